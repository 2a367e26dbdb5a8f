/**
 * Where a command resolves to, the way a child started with this environment would find it. One
 * function for both `validate` (a warning) and the upstream (a start-up error), so the two never
 * disagree about what can run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ResolveCommandOptions {
  /** The child's environment: PATH (Path on Windows) and PATHEXT are read from it. */
  env: Record<string, string | undefined>;
  cwd: string;
  platform?: NodeJS.Platform;
  /** Overrides the PATH from env (a server's own `env.PATH`). */
  pathValue?: string;
  /** Is this a file the current user may run? Defaults to a real check (the execute bit off Windows). */
  isRunnable?: (file: string) => boolean;
  /** Looked in after PATH, for a bare name PATH does not find (see usualBinDirs); asked only then. */
  extraDirs?: () => string[];
}

/** Windows' own default, in its order. */
const DEFAULT_PATHEXT = '.COM;.EXE;.BAT;.CMD';

/** An environment variable, case-insensitively on Windows (Path vs PATH). */
export function envGet(
  env: Record<string, string | undefined>,
  name: string,
  platform: NodeJS.Platform,
): string | undefined {
  if (platform !== 'win32') return env[name];
  const key = Object.keys(env).find((k) => k.toUpperCase() === name);
  return key === undefined ? undefined : env[key];
}

/**
 * Where tools are commonly installed, for a command PATH does not find: a GUI client (Claude Desktop
 * started by launchd, an app started from a desktop) starts the proxy with a short PATH such as
 * /usr/bin:/bin, without Homebrew's, nvm's or ~/.local/bin, so `npx` or `uvx` is not found although the
 * user's shell finds it. The directory of the node running the proxy first (npx and npm sit beside it);
 * only directories that exist.
 */
export function usualBinDirs(o: {
  env: Record<string, string | undefined>;
  homedir: string;
  platform: NodeJS.Platform;
  execPath: string;
  exists?: (dir: string) => boolean;
}): string[] {
  const api = o.platform === 'win32' ? path.win32 : path.posix;
  const exists = o.exists ?? ((d: string) => fs.existsSync(d));
  const nodeDir = /^node(\.exe)?$/i.test(api.basename(o.execPath)) ? [api.dirname(o.execPath)] : [];
  const home = (...p: string[]) => api.join(o.homedir, ...p);
  const dirs =
    o.platform === 'win32'
      ? [
          ...nodeDir,
          ...(o.env.APPDATA ? [api.join(o.env.APPDATA, 'npm')] : []),
          ...(o.env.ProgramFiles ? [api.join(o.env.ProgramFiles, 'nodejs')] : []),
          home('.local', 'bin'),
          home('.cargo', 'bin'),
        ]
      : [
          ...nodeDir,
          '/opt/homebrew/bin',
          '/usr/local/bin',
          '/home/linuxbrew/.linuxbrew/bin',
          home('.local', 'bin'),
          home('.cargo', 'bin'),
          home('.volta', 'bin'),
          home('.bun', 'bin'),
          home('.deno', 'bin'),
        ];
  return [...new Set(dirs)].filter(exists);
}

/**
 * The usual directories for a child with environment `env`, as resolveCommand's `extraDirs` (looked up
 * only when PATH misses): none when the server's configured env (`own`) sets its PATH, which is taken as
 * it is (any spelling of the name, as the upstream and `validate` both read it).
 */
export function fallbackDirs(
  env: Record<string, string | undefined>,
  platform: NodeJS.Platform,
  own: Record<string, string> | undefined,
): () => string[] {
  if (Object.keys(own ?? {}).some((k) => k.toUpperCase() === 'PATH')) return () => [];
  const homedir = envGet(env, 'HOME', platform) ?? envGet(env, 'USERPROFILE', platform) ?? os.homedir();
  return () => usualBinDirs({ env, homedir, platform, execPath: process.execPath });
}

export function resolveCommand(
  command: string,
  opts: ResolveCommandOptions,
): { found?: string; searched: string[] /** The extra directory it was found in. */; extraDir?: string } {
  const platform = opts.platform ?? process.platform;
  const isWin = platform === 'win32';
  const api = isWin ? path.win32 : path.posix;
  const runnable = opts.isRunnable ?? ((f: string) => isRunnableFile(f, isWin));
  const exts = isWin ? (envGet(opts.env, 'PATHEXT', platform) ?? DEFAULT_PATHEXT).split(';').filter(Boolean) : [''];
  // A name that already has an extension is taken as is on Windows; without one, only PATHEXT names run.
  const candidates = (base: string) => (isWin && api.extname(base) ? [base] : exts.map((e) => base + e));
  const hasSep = command.includes('/') || (isWin && command.includes('\\'));
  if (hasSep || api.isAbsolute(command)) {
    const full = api.resolve(opts.cwd, command);
    return { found: candidates(full).find(runnable), searched: [api.dirname(full)] };
  }
  const pathValue = opts.pathValue ?? envGet(opts.env, 'PATH', platform) ?? '';
  const dirs = pathValue.split(isWin ? ';' : ':').filter(Boolean);
  for (const dir of dirs) {
    const hit = candidates(api.join(dir, command)).find(runnable);
    if (hit) return { found: hit, searched: dirs };
  }
  for (const dir of opts.extraDirs?.() ?? []) {
    if (dirs.includes(dir)) continue;
    const hit = candidates(api.join(dir, command)).find(runnable);
    if (hit) return { found: hit, searched: dirs, extraDir: dir };
  }
  return { found: undefined, searched: dirs };
}

function isRunnableFile(file: string, isWin: boolean): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    if (!isWin) fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
