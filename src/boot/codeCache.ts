/**
 * V8's code cache for the core (src/boot/launcher.ts): compiling the core's few megabytes of source,
 * and then each function the start-up runs, is most of what `run` spends before it can answer
 * `initialize`. The first `run` leaves V8's compiled code in the user cache directory; later starts
 * hand it to V8, which then skips that work (it checks the data against the source, V8 version and
 * flags itself, and compiles normally when they do not match).
 *
 * Next to it lies the core's source itself, already decompressed: reading it back is cheaper than
 * brotli. Its name carries the core's content hash and it is written atomically, so a file of the
 * expected size is that core; any other size (a truncated or foreign file) is ignored and the embedded
 * copy decompressed as on a first start.
 *
 * `MCP_PROXY_CODE_CACHE`: a directory, or "off"; default `code` in the user cache directory. A file
 * that cannot be read or written costs nothing but the head start.
 */
import fs from 'node:fs';
import path from 'node:path';
import { explicitDir, userCacheRoot } from '../util/cacheDir.js';

export interface CodeCache {
  /** The cached data for this core, if there is any. */
  data?: Buffer;
  /** Stores freshly produced data (atomically); old files of other versions go. */
  save(data: Buffer): void;
  /** The core's source kept by an earlier start, if there is one of exactly `bytes` bytes (ASCII). */
  source(bytes: number): string | undefined;
  /** Keeps the core's source for the next start (atomically); old files of other versions go. */
  saveSource(source: string): void;
}

const PREFIX = 'core-';
const CODE = '.v8';
const SOURCE = '.js';

/** `key` names this exact core (version, Node, architecture, content hash): another one never reads the file. */
export function coreCodeCache(env: NodeJS.ProcessEnv, key: string): CodeCache | undefined {
  const explicit = explicitDir(env.MCP_PROXY_CODE_CACHE);
  if (explicit === null) return undefined;
  let dir: string;
  try {
    dir = explicit ?? path.join(userCacheRoot(env), 'code');
  } catch {
    return undefined; // no home directory to put it in
  }
  const base = `${PREFIX}${key.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
  const file = path.join(dir, base + CODE);
  let data: Buffer | undefined;
  try {
    data = fs.readFileSync(file);
  } catch {}
  return {
    data,
    save: (produced) => writeAtomically(dir, base, CODE, produced),
    source(bytes) {
      try {
        const buf = fs.readFileSync(path.join(dir, base + SOURCE));
        return buf.length === bytes ? buf.toString('latin1') : undefined;
      } catch {
        return undefined;
      }
    },
    saveSource: (source) => writeAtomically(dir, base, SOURCE, Buffer.from(source, 'latin1')),
  };
}

/** Writes `<base><ext>` through a temporary file and removes other versions' files of that kind. */
function writeAtomically(dir: string, base: string, ext: string, content: Buffer): void {
  const file = path.join(dir, base + ext);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(tmp, content, { mode: 0o600 });
    fs.renameSync(tmp, file);
    for (const f of fs.readdirSync(dir)) {
      if (f.startsWith(PREFIX) && f.endsWith(ext) && f !== base + ext) fs.rmSync(path.join(dir, f), { force: true });
    }
  } catch {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {}
  }
}
