/**
 * Config loading: locate -> read -> analyze (analyze.ts). `run` gets a Config or a ConfigError naming
 * every problem; `validate` gets a report of them.
 */
import { AppError } from '../errors.js';
import { readTextFile } from '../util/textFile.js';
import { type AnalyzeOptions, analyzeConfigText, type ServerSummary } from './analyze.js';
import { type ConfigError, configErrorFor } from './configError.js';
import { describeSearch, type LocatedConfig, type LocateOptions, locateConfig } from './locate.js';
import type { ConfigFormat } from './parse.js';
import type { ConfigProblem } from './problems.js';
import type { Config } from './schema.js';
import type { Lookup } from './substitute.js';

export interface LoadConfigOptions {
  /** The `--config` flag value. */
  path?: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  homedir: string;
  platform: NodeJS.Platform;
  /** Resolves `${VAR}`; defaults to reading `env`. */
  lookup?: Lookup;
  /** Deployment-specific advice for a missing variable (from the credentials chain). */
  describeMissing?: (name: string) => string;
  /** validateConfigFile only: report missing variables as warnings (`validate --allow-missing`). */
  allowMissingVariables?: boolean;
  /** Overridable file-system probe for locate (tests). */
  exists?: (p: string) => boolean;
  /** validateConfigFile: warn about stdio commands not found on PATH (default true there). */
  checkCommands?: boolean;
}

export interface LoadedConfig {
  config: Config;
  /** Absolute path of the file read. */
  path: string;
  source: LocatedConfig['source'];
  format: ConfigFormat;
  /** Accepted, but worth telling the user (log them at start-up). */
  warnings: ConfigProblem[];
  /** Every variable the config references (e.g. to register resolved values with the redactor). */
  variables: string[];
  /** The file's text as read (what a stdio `run` keys its remembered first answer by). */
  text?: string;
}

function envLookup(env: NodeJS.ProcessEnv): Lookup {
  return (name) => env[name];
}

/** Parses config text (e.g. on reload); throws a ConfigError listing every problem. */
export function parseConfigText(
  text: string,
  fileName: string,
  lookup: Lookup,
  opts: Omit<AnalyzeOptions, 'allowMissingVariables'> & { cwd?: string; platform?: NodeJS.Platform } = {},
): { config: Config; format: ConfigFormat; warnings: ConfigProblem[]; variables: string[] } {
  const analysis = analyzeConfigText(text, fileName, lookup, { ...opts, allowMissingVariables: false });
  const err = configErrorFor(analysis, fileName, opts);
  if (err || !analysis.config) throw err ?? new AppError('INTERNAL', 'config analysis produced no config');
  return {
    config: analysis.config,
    format: analysis.format,
    warnings: analysis.problems.filter((p) => p.severity === 'warning'),
    variables: analysis.variables,
  };
}

/** Reads a config file; file-system failures become CONFIG_NOT_FOUND / CONFIG_UNREADABLE naming the path. */
export async function readConfigFile(
  file: string,
  read: (file: string) => Promise<string> = readTextFile,
): Promise<string> {
  try {
    return await read(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new AppError('CONFIG_NOT_FOUND', `config file not found: ${file}`, { hint: 'check the path' });
    }
    if (code === 'EISDIR') {
      throw new AppError('CONFIG_UNREADABLE', `cannot read config ${file}: it is a directory, not a file`, {
        hint: `point at the file itself, e.g. ${file.replace(/[\\/]+$/, '')}/mcp-proxy.json`,
      });
    }
    if (code === 'EACCES' || code === 'EPERM') {
      throw new AppError('CONFIG_UNREADABLE', `cannot read config ${file}: permission denied`, {
        hint: 'make it readable by the user running the proxy (e.g. chmod 600 and the right owner)',
      });
    }
    throw new AppError('CONFIG_UNREADABLE', `cannot read config ${file}: ${(e as Error).message}`, { cause: e });
  }
}

function notFound(opts: Omit<LocateOptions, 'exists'>): AppError {
  return new AppError('CONFIG_NOT_FOUND', 'no config file found', {
    details: ['searched:', ...describeSearch(opts).map((p) => `  ${p}`)],
    hint: 'create ./mcp-proxy.json (see the README for an example), or pass --config <file>',
  });
}

/** Locates and loads; undefined when there is no config anywhere (`run` then serves the embedded default). */
export async function findAndLoadConfig(opts: LoadConfigOptions): Promise<LoadedConfig | undefined> {
  const located = locateConfig(opts);
  if (!located) return undefined;
  return loadLocated(located, opts);
}

/** Locates and loads the config; throws an AppError (exit 2) for every way it can be unusable. */
export async function loadConfig(opts: LoadConfigOptions): Promise<LoadedConfig> {
  const loaded = await findAndLoadConfig(opts);
  if (!loaded) throw notFound(opts);
  return loaded;
}

async function loadLocated(located: LocatedConfig, opts: LoadConfigOptions): Promise<LoadedConfig> {
  const text = await readConfigFile(located.path);
  const parsed = parseConfigText(text, located.path, opts.lookup ?? envLookup(opts.env), {
    cwd: opts.cwd,
    platform: opts.platform,
    describeMissing: opts.describeMissing,
  });
  return { ...parsed, path: located.path, source: located.source, text };
}

export interface ValidationReport {
  valid: boolean;
  path: string;
  source: LocatedConfig['source'];
  format: ConfigFormat;
  problems: ConfigProblem[];
  servers: ServerSummary[];
  variables: string[];
  /** The error `run` would fail with (undefined when valid). */
  error?: ConfigError;
}

/**
 * Everything `validate` reports. Config problems are in the report (never thrown); a missing or
 * unreadable file throws an AppError (CONFIG_NOT_FOUND lists the places searched).
 */
export async function validateConfigFile(opts: LoadConfigOptions): Promise<ValidationReport> {
  const located = locateConfig(opts);
  if (!located) throw notFound(opts);
  const text = await readConfigFile(located.path);
  const analysis = analyzeConfigText(text, located.path, opts.lookup ?? envLookup(opts.env), {
    allowMissingVariables: opts.allowMissingVariables,
    describeMissing: opts.describeMissing,
    checkCommands: opts.checkCommands === false ? undefined : { env: opts.env, platform: opts.platform, cwd: opts.cwd },
  });
  const error = configErrorFor(analysis, located.path, opts);
  return {
    valid: !error,
    path: located.path,
    source: located.source,
    format: analysis.format,
    problems: analysis.problems,
    servers: analysis.servers,
    variables: analysis.variables,
    error,
  };
}
