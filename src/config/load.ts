/**
 * Config loading: locate -> read -> parse (JSON or YAML) -> substitute `${VAR}` -> validate (zod) ->
 * cross-field rules. Nothing fails fast: syntax aside (nothing can be checked in a file that does not
 * parse), every missing variable, schema problem and rule violation is collected and reported together,
 * each with its JSON path, its line:column in the file and a fix.
 */
import fs from 'node:fs/promises';
import { AppError } from '../errors.js';
import { type CommandCheckOptions, checkCommands } from './commands.js';
import { explainIssues, getAt } from './explain.js';
import { describeSearch, type LocatedConfig, type LocateOptions, locateConfig } from './locate.js';
import { type ConfigFormat, parseSource } from './parse.js';
import { type ConfigProblem, displayFile, formatProblem, makeProblem, sortProblems } from './problems.js';
import { checkRules } from './rules.js';
import { type Config, ConfigSchema, normalizeServerEntry } from './schema.js';
import { formatPath, type JsonPath, type Lookup, type MissingVariable, substitute } from './substitute.js';

export type { ConfigProblem } from './problems.js';

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
}

export interface ServerSummary {
  name: string;
  type: string;
  disabled: boolean;
  /** command + args, url (without query) or image, as written in the file (variables unexpanded). */
  target: string;
}

export interface ConfigAnalysis {
  format: ConfigFormat;
  /** Set when there are no errors (warnings allowed). */
  config?: Config;
  /** Every problem found, in file order. */
  problems: ConfigProblem[];
  missing: MissingVariable[];
  /** Every variable referenced. */
  variables: string[];
  /** Server summaries from what could be read (also when invalid). */
  servers: ServerSummary[];
  /** The source lines, for code frames. */
  text: string;
}

export interface AnalyzeOptions {
  allowMissingVariables?: boolean;
  /** Warn about stdio commands not found on PATH (validate does; run reports them per upstream). */
  checkCommands?: CommandCheckOptions;
  /** Advice for one missing variable (per-problem hint). */
  describeMissing?: (name: string) => string;
}

function envLookup(env: NodeJS.ProcessEnv): Lookup {
  return (name) => env[name];
}

function setAt(data: unknown, path: JsonPath, value: unknown): void {
  const parent = getAt(data, path.slice(0, -1));
  if (parent && typeof parent === 'object') (parent as Record<string | number, unknown>)[path[path.length - 1]] = value;
}

/** `${PORT}` in a number field: a string that came from a variable and reads as the wanted type. */
function coerceFromEnv(
  data: unknown,
  issues: readonly { code: string; path: PropertyKey[]; expected?: string }[],
  fromEnv: Set<string>,
): boolean {
  let changed = false;
  for (const issue of issues) {
    if (issue.code !== 'invalid_type') continue;
    const path = issue.path as JsonPath;
    if (!fromEnv.has(formatPath(path))) continue;
    const v = getAt(data, path);
    if (typeof v !== 'string') continue;
    if ((issue.expected === 'number' || issue.expected === 'int') && /^\s*-?\d+(\.\d+)?\s*$/.test(v)) {
      setAt(data, path, Number(v));
      changed = true;
    } else if (issue.expected === 'boolean' && /^(true|false)$/i.test(v.trim())) {
      setAt(data, path, v.trim().toLowerCase() === 'true');
      changed = true;
    }
  }
  return changed;
}

function summarize(raw: unknown): ServerSummary[] {
  const servers = getAt(raw, ['mcpServers']);
  if (!servers || typeof servers !== 'object' || Array.isArray(servers)) return [];
  return Object.entries(servers as Record<string, unknown>).map(([name, entry]) => {
    const n = (normalizeServerEntry(entry) ?? {}) as Record<string, unknown>;
    const type = typeof n.type === 'string' ? n.type : 'unknown';
    let target = '';
    if (typeof n.command === 'string') {
      const args = Array.isArray(n.args) ? n.args.filter((a) => typeof a === 'string') : [];
      target = [n.command, ...args].join(' ');
    } else if (typeof n.url === 'string') {
      target = n.url.replace(/\/\/[^/@]*@/, '//').replace(/[?#].*$/, '');
    } else if (typeof n.image === 'string') {
      target = n.image;
    }
    return { name, type, disabled: n.disabled === true, target };
  });
}

/** Parses, substitutes and validates config text. Never throws; every problem is in the result. */
export function analyzeConfigText(
  text: string,
  fileName: string,
  lookup: Lookup,
  opts: AnalyzeOptions = {},
): ConfigAnalysis {
  const parsed = parseSource(text, fileName);
  const base = { format: parsed.format, text, missing: [] as MissingVariable[], variables: [] as string[] };
  if (parsed.value === undefined) {
    return { ...base, problems: sortProblems(parsed.problems), servers: [] };
  }
  const problems: ConfigProblem[] = [...parsed.problems];

  // 1. Variables: every missing one, where it is used.
  const sub = substitute(parsed.value, lookup);
  const fromEnv = new Set(sub.substituted.map(formatPath));
  const severity = opts.allowMissingVariables ? 'warning' : 'error';
  for (const m of sub.missing) {
    problems.push(
      makeProblem('variable', m.path, `variable \${${m.name}} is not set`, parsed.locate(m.path, 'value'), {
        variable: m.name,
        severity,
        hint: opts.describeMissing
          ? opts.describeMissing(m.name)
          : `set ${m.name} in the environment, or give a default: \${${m.name}:-value}`,
      }),
    );
  }
  for (const inv of sub.invalid) {
    problems.push(
      makeProblem('variable', inv.path, inv.message, parsed.locate(inv.path, 'value'), {
        hint: 'write a literal "$" as "$$"',
      }),
    );
  }
  const missingPaths = [...sub.missing, ...sub.invalid].map((m) => formatPath(m.path));
  const underMissing = (p: string) =>
    missingPaths.some((m) => p === m || p.startsWith(`${m}.`) || p.startsWith(`${m}[`));

  // 2. Schema (numbers and booleans that came from variables are read as such).
  const data = sub.value;
  let result = ConfigSchema.safeParse(data);
  for (let i = 0; i < 3 && !result.success && coerceFromEnv(data, result.error.issues as never, fromEnv); i++) {
    result = ConfigSchema.safeParse(data);
  }
  if (!result.success) {
    const explained = explainIssues(result.error.issues, { data, locate: parsed.locate, fromEnv });
    problems.push(...explained.filter((p) => !underMissing(p.path)));
  } else {
    // 3. Rules across fields.
    problems.push(...checkRules(result.data, { locate: parsed.locate, fromEnv, lookup }));
    if (opts.checkCommands)
      problems.push(...checkCommands(result.data, { ...opts.checkCommands, locate: parsed.locate }));
  }

  const hasErrors = problems.some((p) => p.severity === 'error');
  return {
    ...base,
    config: result.success && !hasErrors ? result.data : undefined,
    problems: sortProblems(problems),
    missing: sub.missing,
    variables: sub.referenced,
    servers: summarize(parsed.value),
  };
}

/** A config that cannot be used: the problems, each with its place and fix. */
export class ConfigError extends AppError {
  readonly file: string;
  readonly problems: ConfigProblem[];
  constructor(
    code: 'CONFIG_PARSE' | 'CONFIG_INVALID' | 'CONFIG_MISSING_VARIABLES',
    message: string,
    file: string,
    problems: ConfigProblem[],
    options: { hint?: string; details?: string[] },
  ) {
    super(code, message, options);
    this.name = 'ConfigError';
    this.file = file;
    this.problems = problems;
  }
}

function codeFrame(text: string, line: number, column: number): string[] {
  const src = text.replace(/^\uFEFF/, '').split('\n')[line - 1];
  if (src === undefined || src.trim() === '') return [];
  const clean = src.replace(/\r$/, '').replace(/\t/g, ' ');
  const start = Math.max(0, column - 60);
  const shown = clean.slice(start, start + 100);
  return [
    `   ${line} | ${shown}`,
    `   ${' '.repeat(String(line).length)} | ${' '.repeat(Math.max(0, column - 1 - start))}^`,
  ];
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function missingHint(
  names: string[],
  platform: NodeJS.Platform | undefined,
  describeMissing?: (name: string) => string,
): string {
  if (describeMissing) return names.map((n) => describeMissing(n)).join('\n');
  const example =
    platform === 'win32'
      ? names.map((n) => `$env:${n} = "..."`).join('; ')
      : `export ${names.map((n) => `${n}=...`).join(' ')}`;
  const first = names[0];
  return `set ${names.length === 1 ? 'it' : 'them'} in the environment the proxy starts in (${example}), or give a default in the config: \${${first}:-value}`;
}

/** The AppError for an analysis with errors (undefined when there are none). */
export function configErrorFor(
  analysis: ConfigAnalysis,
  file: string,
  opts: { cwd?: string; platform?: NodeJS.Platform; describeMissing?: (name: string) => string } = {},
): ConfigError | undefined {
  const errors = analysis.problems.filter((p) => p.severity === 'error');
  if (errors.length === 0) return undefined;
  const shown = displayFile(file, opts.cwd);
  const details: string[] = [];
  for (const p of analysis.problems) {
    // Missing variables share one hint at the end instead of one per use.
    const lines = formatProblem(p.kind === 'variable' && p.variable ? { ...p, hint: undefined } : p, shown);
    details.push(...lines);
    if (p.kind === 'syntax' && p.severity === 'error' && p.line !== undefined) {
      details.push(...codeFrame(analysis.text, p.line, p.column ?? 1));
    }
  }
  if (errors.some((p) => p.kind === 'syntax')) {
    const what = analysis.format === 'yaml' ? 'YAML' : 'JSON';
    const first = errors.find((p) => p.kind === 'syntax')!;
    const empty = /empty|no content/.test(first.message);
    return new ConfigError(
      'CONFIG_PARSE',
      empty ? `config file ${shown} is empty` : `config file ${shown} is not valid ${what}`,
      file,
      analysis.problems,
      { details },
    );
  }
  const missingNames = [...new Set(errors.filter((p) => p.kind === 'variable' && p.variable).map((p) => p.variable!))];
  const hint = missingNames.length ? missingHint(missingNames, opts.platform, opts.describeMissing) : undefined;
  if (errors.every((p) => p.kind === 'variable' && p.variable)) {
    return new ConfigError(
      'CONFIG_MISSING_VARIABLES',
      `config ${shown} uses ${plural(missingNames.length, 'variable')} that ${missingNames.length === 1 ? 'is' : 'are'} not set: ${missingNames.join(', ')}`,
      file,
      analysis.problems,
      { details, hint },
    );
  }
  return new ConfigError(
    'CONFIG_INVALID',
    `config ${shown} is invalid (${plural(errors.length, 'problem')})`,
    file,
    analysis.problems,
    {
      details,
      hint,
    },
  );
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
  read: (file: string) => Promise<string> = (f) => fs.readFile(f, 'utf8'),
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
  return { ...parsed, path: located.path, source: located.source };
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
