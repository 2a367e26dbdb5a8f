/**
 * Config text -> Config, collecting every problem: parse (JSON or YAML) -> substitute `${VAR}` ->
 * validate (zod) -> cross-field rules. Syntax aside (nothing can be checked in a file that does not
 * parse), every missing variable, schema problem and rule violation is reported together, each with
 * its JSON path, its line:column in the file and a fix.
 */
import { type CommandCheckOptions, checkCommands } from './commands.js';
import { explainIssues } from './explain.js';
import { looksLikeServerEntry } from './explainEntry.js';
import { type ConfigFormat, parseSource } from './parse.js';
import { type ConfigProblem, makeProblem, nearest, type SourcePosition, sortProblems } from './problems.js';
import { checkRules } from './rules.js';
import { type Config, ConfigSchema, normalizeServerEntry } from './schema.js';
import { getAt } from './schemaPaths.js';
import { formatPath, type JsonPath, type Lookup, type MissingVariable, substitute } from './substitute.js';

/**
 * A config is parsed once or twice per run: zod's compiled fast path (code generated for each object
 * schema on its first parse) costs far more than it saves then, and it sits on the way to the first answer.
 */
const ONE_SHOT = { jitless: true } as const;

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

/** The top-level keys the proxy reads. */
const TOP_LEVEL_KEYS = ['mcpServers', 'proxy', '$schema'];

/**
 * Top-level keys of another application that shares the file (Claude Desktop keeps its own settings
 * beside "mcpServers"), so its config runs as it is: ignored, with a warning, and `x-` keys (YAML anchors,
 * as in compose files) silently. A near miss of the proxy's own keys, VS Code's "servers" and a server
 * entry at the top level stay for the schema, which explains them as errors.
 */
function dropForeignKeys(data: unknown, locate: (path: JsonPath) => SourcePosition | undefined): ConfigProblem[] {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return [];
  const top = data as Record<string, unknown>;
  const out: ConfigProblem[] = [];
  for (const [key, v] of Object.entries(top)) {
    if (key.startsWith('x-')) {
      delete top[key];
      continue;
    }
    if (TOP_LEVEL_KEYS.includes(key) || key === 'servers' || nearest(key, TOP_LEVEL_KEYS)) continue;
    if (looksLikeServerEntry(v)) continue;
    delete top[key];
    out.push(
      makeProblem('schema', [key], `"${key}" is not a proxy setting: ignored`, locate([key]), {
        severity: 'warning',
        hint: 'the proxy reads "mcpServers" and "proxy"; another application\'s settings may share the file',
      }),
    );
  }
  return out;
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
  problems.push(...dropForeignKeys(data, parsed.locate));
  let result = ConfigSchema.safeParse(data, ONE_SHOT);
  for (let i = 0; i < 3 && !result.success && coerceFromEnv(data, result.error.issues as never, fromEnv); i++) {
    result = ConfigSchema.safeParse(data, ONE_SHOT);
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
