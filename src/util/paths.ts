/** Platform paths: the path API of a given platform, and where the user's mcp-proxy files live. */
import fs from 'node:fs';
import path from 'node:path';

/** The path functions of `platform` (tests and `--platform` reason about another OS than the host). */
export function pathApi(platform: NodeJS.Platform): path.PlatformPath {
  return platform === 'win32' ? path.win32 : path.posix;
}

export interface UserDirOptions {
  env: Record<string, string | undefined>;
  homedir: string;
  platform: NodeJS.Platform;
}

/**
 * The directory holding the user's config and credentials files: `$XDG_CONFIG_HOME/mcp-proxy`
 * (default `~/.config/mcp-proxy`), or `%APPDATA%\mcp-proxy` on Windows.
 */
export function userConfigDir({ env, homedir, platform }: UserDirOptions): string {
  const api = pathApi(platform);
  if (platform === 'win32') {
    const appData = env.APPDATA || api.join(homedir, 'AppData', 'Roaming');
    return api.join(appData, 'mcp-proxy');
  }
  const xdg = env.XDG_CONFIG_HOME;
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const base = xdg && api.isAbsolute(xdg) ? xdg : api.join(homedir, '.config');
  return api.join(base, 'mcp-proxy');
}

/** Whether `p` is an existing directory (false for anything that cannot be read). */
export function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}
