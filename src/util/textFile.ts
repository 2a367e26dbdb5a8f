/**
 * Text files as people's editors save them: UTF-8, with or without a byte-order mark, or UTF-16 with
 * its byte-order mark, which is what Windows PowerShell 5's `>` and `Out-File` and Notepad's "Unicode"
 * write. Read as UTF-8, a UTF-16 config is every other byte NUL and fails as "not valid JSON" at its
 * first character, which tells its author nothing. Without a mark the text is taken as UTF-8.
 */
import fs from 'node:fs';

export function decodeText(bytes: Uint8Array): string {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf[0] === 0xff && buf[1] === 0xfe) return buf.toString('utf16le', 2);
  if (buf[0] === 0xfe && buf[1] === 0xff) {
    // Big-endian: swapped into a copy (a trailing odd byte is no character).
    const body = Buffer.from(buf.subarray(2, 2 + ((buf.length - 2) & ~1)));
    return body.swap16().toString('utf16le');
  }
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return buf.toString('utf8', 3);
  return buf.toString('utf8');
}

export function readTextFileSync(file: string): string {
  return decodeText(fs.readFileSync(file));
}

export async function readTextFile(file: string): Promise<string> {
  return decodeText(await fs.promises.readFile(file));
}
