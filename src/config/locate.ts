/**
 * Which config file to use. In order:
 *   1. `--config <path>`                      (source 'flag')
 *   2. `$MCP_PROXY_CONFIG`                    (source 'env')
 *   3. `./mcp-proxy.json`, `.yaml`, `.yml`    (source 'cwd')
 *   4. the user config dir                    (source 'user'):
 *        `$XDG_CONFIG_HOME/mcp-proxy/config.{json,yaml,yml}` (default `~/.config`),
 *        on Windows `%APPDATA%\mcp-proxy\config.{json,yaml,yml}`.
 * An explicit path (1, 2) that does not exist is an error naming it; no file at all is `undefined`
 * (the caller decides: `run` serves the embedded default, `validate` reports where it looked).
 * Pure apart from the `exists` probe, which tests replace.
 */
import fs from 'node:fs';
import { AppError } from '../errors.js';
import { pathApi, userConfigDir } from '../util/paths.js';

export type ConfigSource = 'flag' | 'env' | 'cwd' | 'user';

export interface LocatedConfig {
  path: string;
  source: ConfigSource;
}

export interface LocateOptions {
  /** The `--config` flag value. */
  path?: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  homedir: string;
  platform: NodeJS.Platform;
  /** Defaults to a real file-system check. */
  exists?: (p: string) => boolean;
}

export const CWD_CONFIG_NAMES = ['mcp-proxy.json', 'mcp-proxy.yaml', 'mcp-proxy.yml'] as const;
export const USER_CONFIG_NAMES = ['config.json', 'config.yaml', 'config.yml'] as const;

function defaultExists(p: string): boolean {
  try {
    fs.statSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Resolves a user-given path: `~` and `~/...` against the home dir, relative paths against cwd. */
export function resolveUserPath(p: string, opts: Pick<LocateOptions, 'cwd' | 'homedir' | 'platform'>): string {
  const api = pathApi(opts.platform);
  let out = p;
  if (out === '~') out = opts.homedir;
  else if (out.startsWith('~/') || (opts.platform === 'win32' && out.startsWith('~\\'))) {
    out = api.join(opts.homedir, out.slice(2));
  }
  return api.resolve(opts.cwd, out);
}

/** Every automatic place, in search order (not including --config / $MCP_PROXY_CONFIG). */
export function searchPlaces(opts: Omit<LocateOptions, 'path' | 'exists'>): LocatedConfig[] {
  const api = pathApi(opts.platform);
  const places: LocatedConfig[] = [];
  for (const n of CWD_CONFIG_NAMES) places.push({ path: api.join(opts.cwd, n), source: 'cwd' });
  const dir = userConfigDir(opts);
  for (const n of USER_CONFIG_NAMES) places.push({ path: api.join(dir, n), source: 'user' });
  return places;
}

/** Human-readable list of where we looked, for "no config found" messages. */
export function describeSearch(opts: Omit<LocateOptions, 'path' | 'exists'>): string[] {
  return ['--config <file>', '$MCP_PROXY_CONFIG (not set)', ...searchPlaces(opts).map((p) => p.path)];
}

export function locateConfig(opts: LocateOptions): LocatedConfig | undefined {
  const exists = opts.exists ?? defaultExists;
  if (opts.path !== undefined && opts.path !== '') {
    const p = resolveUserPath(opts.path, opts);
    if (!exists(p)) {
      throw new AppError('CONFIG_NOT_FOUND', `config file not found: ${p} (from --config)`, {
        hint: `check the path, or run without --config to use ./mcp-proxy.json or ${userConfigDir(opts)}${pathApi(opts.platform).sep}config.json`,
      });
    }
    return { path: p, source: 'flag' };
  }
  const fromEnv = opts.env.MCP_PROXY_CONFIG;
  if (fromEnv) {
    const p = resolveUserPath(fromEnv, opts);
    if (!exists(p)) {
      throw new AppError('CONFIG_NOT_FOUND', `config file not found: ${p} (from $MCP_PROXY_CONFIG)`, {
        hint: 'fix or unset MCP_PROXY_CONFIG, or pass --config <file>',
      });
    }
    return { path: p, source: 'env' };
  }
  for (const place of searchPlaces(opts)) {
    if (exists(place.path)) return place;
  }
  return undefined;
}
