/**
 * Replaces a file atomically: a temp file in the same directory (created with the final mode, so a
 * secret is never readable by others, not even for a moment), fsync, rename. A crash leaves the old
 * file or the new one, never half of one; temp files a killed writer left behind are removed on the
 * next write of the same file, since they may hold secrets too.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface AtomicWriteOptions {
  /** The file's mode, exact (not filtered by the umask) off Windows. */
  mode: number;
  platform?: NodeJS.Platform;
  /**
   * false: no fsync. For files that may be lost or torn by a crash (a cache, checked when read): a
   * rename still never shows a reader half a file while the machine runs.
   */
  durable?: boolean;
}

/** Writes `text` to `file`; on failure the temp file is removed and the error thrown as is. */
export function atomicWrite(file: string, text: string, opts: AtomicWriteOptions): void {
  const posix = (opts.platform ?? process.platform) !== 'win32';
  removeStaleTempFiles(file);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${tempSuffix()}.tmp`);
  try {
    const fd = fs.openSync(tmp, 'wx', opts.mode);
    try {
      if (posix) fs.fchmodSync(fd, opts.mode); // the open mode is filtered by the umask; be exact
      fs.writeSync(fd, text);
      if (opts.durable !== false) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * 8 hex digits telling this process's temp files apart. Not node:crypto (its load is a cost on the way to
 * a stdio proxy's first answer): the temp file is opened exclusively in a private directory, so only
 * uniqueness matters, and a counter gives that within the process.
 */
let written = 0;
function tempSuffix(): string {
  const n = ((Math.floor(Math.random() * 0x10000) << 16) | (written++ & 0xffff)) >>> 0;
  return n.toString(16).padStart(8, '0');
}

/** A temp file younger than this whose writer still runs may be a write in progress: left alone. */
const STALE_AFTER_MS = 10 * 60_000;

/**
 * Removes the temp files of earlier writes of `file` that never got renamed (the writer was killed).
 * Those of a live writer are kept unless they are old.
 */
export function removeStaleTempFiles(file: string, now = Date.now()): string[] {
  const dir = path.dirname(file);
  const prefix = `.${path.basename(file)}.`;
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name.slice(prefix.length));
    if (!m) continue;
    const full = path.join(dir, name);
    try {
      const stat = fs.lstatSync(full);
      if (!stat.isFile()) continue;
      if (isRunning(Number(m[1])) && now - stat.mtimeMs < STALE_AFTER_MS) continue;
      fs.rmSync(full, { force: true });
      removed.push(full);
    } catch {
      // gone already, or not ours to remove
    }
  }
  return removed;
}

function isRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, owned by someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
