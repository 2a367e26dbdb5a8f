import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeText, readTextFile, readTextFileSync } from '../../src/util/textFile.js';
import { tmpDir } from '../helpers/files.js';

const TEXT = '{"mcpServers": {"é": {"command": "node"}}} ✓';

function utf16be(text: string): Buffer {
  return Buffer.from(text, 'utf16le').swap16();
}

describe('decodeText', () => {
  it('reads UTF-8 with and without a byte-order mark', () => {
    expect(decodeText(Buffer.from(TEXT))).toBe(TEXT);
    expect(decodeText(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(TEXT)]))).toBe(TEXT);
  });

  it('reads UTF-16 little- and big-endian by their byte-order mark (PowerShell 5, Notepad "Unicode")', () => {
    expect(decodeText(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TEXT, 'utf16le')]))).toBe(TEXT);
    expect(decodeText(Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(TEXT)]))).toBe(TEXT);
  });

  it('drops a trailing odd byte of big-endian UTF-16 and leaves the input untouched', () => {
    const input = Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be('ab'), Buffer.from([0x41])]);
    const copy = Buffer.from(input);
    expect(decodeText(input)).toBe('ab');
    expect(input.equals(copy)).toBe(true);
  });

  it('takes text without a mark as UTF-8, also a Uint8Array', () => {
    expect(decodeText(new Uint8Array(Buffer.from('plain')))).toBe('plain');
    expect(decodeText(Buffer.alloc(0))).toBe('');
  });
});

describe('readTextFile', () => {
  it('reads a UTF-16 file as its text, sync and async', async () => {
    const file = path.join(tmpDir('textfile-'), 'c.json');
    fs.writeFileSync(file, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TEXT, 'utf16le')]));
    expect(readTextFileSync(file)).toBe(TEXT);
    await expect(readTextFile(file)).resolves.toBe(TEXT);
  });
});
