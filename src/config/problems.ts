/**
 * One problem found in a config file, and how to show it. Every check (syntax, variables, schema,
 * cross-field rules) produces these, so `validate` can list them all together, sorted by position.
 */
import path from 'node:path';
import { formatPath, type JsonPath } from './substitute.js';

/** file: not found or unreadable; syntax: not JSON/YAML; variable: `${VAR}`; schema: shape; rule: cross-field. */
export type ProblemKind = 'file' | 'syntax' | 'variable' | 'schema' | 'rule';

export interface ConfigProblem {
  severity: 'error' | 'warning';
  kind: ProblemKind;
  /** Formatted JSON path, e.g. `mcpServers.github.url`; '' for file-level problems. */
  path: string;
  /** 1-based line and column in the file, when known. */
  line?: number;
  column?: number;
  message: string;
  /** What to do about it. */
  hint?: string;
  /** For `kind: 'variable'`: the variable's name. */
  variable?: string;
}

export interface SourcePosition {
  line: number;
  column: number;
}

export function makeProblem(
  kind: ProblemKind,
  pathSegments: JsonPath | '',
  message: string,
  pos: SourcePosition | undefined,
  extra: { hint?: string; severity?: 'error' | 'warning'; variable?: string } = {},
): ConfigProblem {
  const p: ConfigProblem = {
    severity: extra.severity ?? 'error',
    kind,
    path: pathSegments === '' || pathSegments.length === 0 ? '' : formatPath(pathSegments),
    message,
  };
  if (pos) {
    p.line = pos.line;
    p.column = pos.column;
  }
  if (extra.hint) p.hint = extra.hint;
  if (extra.variable) p.variable = extra.variable;
  return p;
}

/** Errors first is not wanted: keep file order, so a reader can walk down the file. */
export function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.line ?? 0) - (b.p.line ?? 0) || (a.p.column ?? 0) - (b.p.column ?? 0) || a.i - b.i)
    .map((x) => x.p);
}

/** A path as the user would want to read it: relative to cwd when inside it. */
export function displayFile(file: string, cwd?: string): string {
  if (!cwd) return file;
  const rel = path.relative(cwd, file);
  if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) return rel;
  return file;
}

/** `file:line:col path: message` (+ an indented hint line). */
export function formatProblem(p: ConfigProblem, file: string): string[] {
  const where = p.line !== undefined ? `${file}:${p.line}:${p.column ?? 1}` : file;
  const label = p.severity === 'warning' ? 'warning: ' : '';
  const lines = [`${where}${p.path ? ` ${p.path}` : ''}: ${label}${p.message}`];
  if (p.hint) {
    const [first, ...rest] = p.hint.split('\n');
    lines.push(`  -> ${first}`, ...rest.map((l) => `     ${l}`));
  }
  return lines;
}

/** Levenshtein distance (insert, delete, substitute, and adjacent transposition). */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  const d: number[][] = Array.from({ length: m + 1 }, (_, i) => [i, ...new Array<number>(n).fill(0)]);
  for (let j = 0; j <= n; j++) d[0][j] = j;
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[m][n];
}

/** The candidate nearest to `input` if it is plausibly a typo of it (case-insensitive), else undefined. */
export function nearest(input: string, candidates: Iterable<string>): string | undefined {
  const lower = input.toLowerCase();
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const cl = c.toLowerCase();
    if (cl === lower) return c;
    const score = editDistance(lower, cl);
    // Separator-insensitive match: connect_timeout, connect-timeout -> connectTimeout.
    const squash = (s: string) => s.replace(/[-_ ]/g, '');
    const s = squash(lower) === squash(cl) ? 0.5 : score;
    if (s < bestScore) {
      bestScore = s;
      best = c;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(1, Math.min(3, Math.floor(Math.max(input.length, best.length) / 3)));
  return bestScore <= limit ? best : undefined;
}

/** A key seen twice in one object (JSON) or mapping (YAML); `path` ends with the key. */
export function duplicateKey(
  path: JsonPath,
  first: SourcePosition,
  at: SourcePosition,
  container: 'object' | 'mapping',
): ConfigProblem {
  const key = String(path.at(-1));
  return makeProblem('schema', path, `duplicate key "${key}" (also at line ${first.line}:${first.column})`, at, {
    hint: `each key may appear once per ${container}: remove or rename one of them`,
  });
}
