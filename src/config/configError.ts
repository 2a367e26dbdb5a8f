/** The error for a config that cannot be used: every problem, with code frames for syntax errors. */
import { AppError } from '../errors.js';
import type { ConfigAnalysis } from './analyze.js';
import { type ConfigProblem, displayFile, formatProblem } from './problems.js';

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
