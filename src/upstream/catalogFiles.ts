/**
 * Where the catalog cache keeps its files and how they are named: one `NAME-HASH.json` per server and
 * config. Apart from catalogCache.ts so the launcher's pre-read can tell a server with no entry at all
 * without loading hashing and the rest of the cache.
 */
import os from 'node:os';
import path from 'node:path';
import { explicitDir, userCacheRoot } from '../util/cacheDir.js';

/**
 * Where catalogs are cached: $MCP_PROXY_CACHE_DIR ("off" turns it off), else `catalogs` in the user
 * cache directory (XDG_CACHE_HOME or ~/.cache on Linux, ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows).
 */
export function defaultCacheDir(
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string | undefined {
  const explicit = explicitDir(env.MCP_PROXY_CACHE_DIR);
  if (explicit !== undefined) return explicit ?? undefined;
  const root = userCacheRoot(env, platform, home);
  return platform === 'win32' ? path.win32.join(root, 'catalogs') : path.join(root, 'catalogs');
}

/** The start of the file name of every entry of server `name` (whatever its config's hash). */
export function entryPrefix(name: string): string {
  return `${name.replace(/[^A-Za-z0-9_-]/g, '_')}-`;
}
