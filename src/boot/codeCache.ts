/**
 * V8's code cache for the core (src/boot/launcher.ts): compiling the core's few megabytes of source,
 * and then each function the start-up runs, is most of what `run` spends before it can answer
 * `initialize`. The first `run` leaves V8's compiled code in the user cache directory; later starts
 * hand it to V8, which then skips that work (it checks the data against the source, V8 version and
 * flags itself, and compiles normally when they do not match).
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
}

const PREFIX = 'core-';

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
  const name = `${PREFIX}${key.replace(/[^A-Za-z0-9_.-]/g, '_')}.v8`;
  const file = path.join(dir, name);
  let data: Buffer | undefined;
  try {
    data = fs.readFileSync(file);
  } catch {}
  return {
    data,
    save(produced) {
      const tmp = `${file}.${process.pid}.tmp`;
      try {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        fs.writeFileSync(tmp, produced, { mode: 0o600 });
        fs.renameSync(tmp, file);
        for (const f of fs.readdirSync(dir)) {
          if (f.startsWith(PREFIX) && f.endsWith('.v8') && f !== name) fs.rmSync(path.join(dir, f), { force: true });
        }
      } catch {
        try {
          fs.rmSync(tmp, { force: true });
        } catch {}
      }
    },
  };
}
