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
