/**
 * The user's cache directory for mcp-proxy: $XDG_CACHE_HOME (or ~/.cache) on Linux, ~/Library/Caches
 * on macOS, %LOCALAPPDATA% on Windows, each with an `mcp-proxy` folder. What lives there can always be
 * rebuilt (catalogs, V8's code cache); losing it only costs the next start its head start.
 */
import os from 'node:os';
import path from 'node:path';

export function userCacheRoot(
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  if (platform === 'win32') {
    return path.win32.join(env.LOCALAPPDATA || path.win32.join(home, 'AppData', 'Local'), 'mcp-proxy');
  }
  if (platform === 'darwin') return path.join(home, 'Library', 'Caches', 'mcp-proxy');
  const xdg = env.XDG_CACHE_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.cache'), 'mcp-proxy');
}

/** An explicit directory setting: undefined when unset, null when it says off ("off", "0", "false"). */
export function explicitDir(value: string | undefined): string | null | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'off' || value === '0' || value === 'false') return null;
  return path.resolve(value);
}

/** A folder of the user cache folder, or of $MCP_PROXY_CACHE_DIR ("off" turns them all off): undefined when off. */
export type CacheFolder = (env: NodeJS.ProcessEnv, platform?: NodeJS.Platform, home?: string) => string | undefined;

const folder =
  (sub: string, inExplicit: string | undefined): CacheFolder =>
  (env, platform = process.platform, home = os.homedir()) =>
    cacheFolder(env, platform, home, sub, inExplicit);

/**
 * Where catalogs are cached: $MCP_PROXY_CACHE_DIR itself, else `catalogs` in the user cache directory
 * (XDG_CACHE_HOME or ~/.cache on Linux, ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows).
 */
export const defaultCacheDir: CacheFolder = folder('catalogs', undefined);

/**
 * Where stdio servers on Node 22.1+ keep Node's module compile cache (NODE_COMPILE_CACHE), beside the
 * catalogs: `node-compile-cache`.
 */
export const serverCompileCacheDir: CacheFolder = folder('node-compile-cache', 'node-compile-cache');

/**
 * Where a stdio `run` keeps its first `initialize` answer for the next start of the same config
 * (cli/run/rememberedOffer.ts): `offers`.
 */
export const startOfferDir: CacheFolder = folder('offers', 'offers');

/** `sub` of the user cache folder, or `inExplicit` of $MCP_PROXY_CACHE_DIR (that folder itself if none). */
function cacheFolder(
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform,
  home: string,
  sub: string,
  inExplicit: string | undefined,
): string | undefined {
  const explicit = explicitDir(env.MCP_PROXY_CACHE_DIR);
  if (explicit === null) return undefined;
  const join = platform === 'win32' ? path.win32.join : path.join;
  if (explicit !== undefined) return inExplicit ? join(explicit, inExplicit) : explicit;
  return join(userCacheRoot(env, platform, home), sub);
}
