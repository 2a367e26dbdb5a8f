import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeCredential } from '../../src/credentials/store.js';
import { removeStaleTempFiles } from '../../src/util/atomicWrite.js';
import { tempDir } from '../helpers/files.js';

const posix = process.platform !== 'win32';
let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

/** A pid that is certainly not running: a child that has already exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  return r.pid as number;
}

describe('the credentials file writer and its temp files', () => {
  it('removes the temp files a killed run left (they hold secrets), keeps a live writer’s recent one', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const file = path.join(t.dir, 'credentials.json');
    const dead = deadPid();
    // What a `credentials set` killed between write and rename leaves: partial secrets, even world-readable.
    const stale = path.join(t.dir, `.credentials.json.${dead}.0badc0de.tmp`);
    fs.writeFileSync(stale, '{\n  "API_KEY": "sk-partial', { mode: 0o644 });
    const live = path.join(t.dir, `.credentials.json.${process.pid}.0a0b0c0d.tmp`);
    fs.writeFileSync(live, '{}', { mode: 0o600 });
    const other = path.join(t.dir, `.other.json.${dead}.0badc0de.tmp`);
    fs.writeFileSync(other, 'not ours');

    writeCredential({ file, name: 'TOKEN', value: 'secret-value', platform: process.platform });

    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
    expect(fs.existsSync(other)).toBe(true);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ TOKEN: 'secret-value' });
    // No temp file of this write is left either.
    expect(
      fs
        .readdirSync(t.dir)
        .filter((n) => n.startsWith('.credentials.json.'))
        .sort(),
    ).toEqual([path.basename(live)]);
    if (posix) expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('removes an old temp file even when its pid is running again (pid reuse)', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const file = path.join(t.dir, 'credentials.json');
    const old = path.join(t.dir, `.credentials.json.${process.pid}.deadbeef.tmp`);
    fs.writeFileSync(old, 'x');
    const hourAgo = new Date(Date.now() - 60 * 60_000);
    fs.utimesSync(old, hourAgo, hourAgo);
    expect(removeStaleTempFiles(file)).toEqual([old]);
  });

  it.runIf(posix)('creates its temp file 0600 from the start, whatever the umask', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const file = path.join(t.dir, 'credentials.json');
    const modes: number[] = [];
    // Watch the directory while the write happens: every temp file seen must already be 0600.
    const realWrite = fs.writeSync;
    const spy = ((fd: number, ...rest: unknown[]) => {
      for (const n of fs.readdirSync(t.dir)) {
        if (n.endsWith('.tmp')) modes.push(fs.statSync(path.join(t.dir, n)).mode & 0o777);
      }
      return (realWrite as (...a: unknown[]) => number)(fd, ...rest);
    }) as typeof fs.writeSync;
    const before = process.umask(0o000);
    fs.writeSync = spy;
    try {
      writeCredential({ file, name: 'TOKEN', value: 'secret-value', platform: process.platform });
    } finally {
      fs.writeSync = realWrite;
      process.umask(before);
    }
    expect(modes.length).toBeGreaterThan(0);
    expect(modes.every((m) => m === 0o600)).toBe(true);
  });
});

describe('writeCredential on a file saved as UTF-16', () => {
  it('keeps the names already there and writes the file back as UTF-8', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const file = path.join(t.dir, 'credentials.json');
    fs.writeFileSync(file, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"OLD": "kept"}', 'utf16le')]), {
      mode: 0o600,
    });
    writeCredential({ file, name: 'NEW', value: 'added', platform: process.platform });
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ OLD: 'kept', NEW: 'added' });
  });
});
