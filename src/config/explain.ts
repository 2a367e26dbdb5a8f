/**
 * Turns zod issues into problems a person can act on: each names the JSON path and the place in the
 * file, says what is wrong in plain words, and suggests the fix (the nearest known key for a typo,
 * the accepted values for an enum, the expected shape for a wrong type). No raw zod dumps.
 */
import type { z } from 'zod';
import { type ExplainContext, explainMissingKind, explainUnknownKey } from './explainEntry.js';
import { describeExpected, describeValue, FIELD_HINTS, typeHint } from './explainText.js';
import { type ConfigProblem, makeProblem, nearest } from './problems.js';
import { getAt, isServerPath, KIND_KEYS } from './schemaPaths.js';
import { formatPath, type JsonPath } from './substitute.js';

export type { ExplainContext } from './explainEntry.js';

type Issue = z.core.$ZodIssue;

function explainOne(issue: Issue, ctx: ExplainContext): ConfigProblem[] {
  let path = issue.path as JsonPath;
  const value = getAt(ctx.data, path);
  const secret = ctx.fromEnv.has(formatPath(path));

  // A `type` written as `transport` (FastMCP) is reported where the user wrote it.
  if (path.length === 3 && path[0] === 'mcpServers' && path[2] === 'type') {
    const entry = getAt(ctx.data, path.slice(0, 2)) as Record<string, unknown> | undefined;
    if (entry && typeof entry === 'object' && entry.type === undefined && entry.transport !== undefined) {
      path = [...path.slice(0, 2), 'transport'];
    }
  }

  const at: IssueAt = { path, value, secret, ctx };
  switch (issue.code) {
    case 'invalid_union':
      return explainUnion(issue, at);
    case 'unrecognized_keys':
      return issue.keys.map((k) => explainUnknownKey(path, k, ctx));
    case 'invalid_type':
      return explainInvalidType(issue, at);
    case 'invalid_value':
      return explainInvalidValue(issue, at);
    case 'invalid_format':
      return explainFormat(issue, at);
    case 'too_small':
    case 'too_big':
      return explainSize(issue, at);
    case 'invalid_key':
      return explainKeyName(issue, at);
    case 'invalid_element':
      return issue.issues.flatMap((i) => explainOne({ ...i, path: [...path, ...i.path] } as Issue, ctx));
    default:
      return [makeProblem('schema', path, issue.message.replace(/^Invalid input: /, ''), ctx.locate(path))];
  }
}

/** Where an issue is, what the config holds there, and whether that came from a variable. */
interface IssueAt {
  path: JsonPath;
  value: unknown;
  secret: boolean;
  ctx: ExplainContext;
}

function explainUnion(
  issue: Extract<Issue, { code: 'invalid_union' }>,
  { path, value, secret, ctx }: IssueAt,
): ConfigProblem[] {
  if ((issue as { note?: string }).note === 'No matching discriminator' || 'discriminator' in issue) {
    return [explainMissingKind(path.slice(0, 2), ctx)];
  }
  // A plain union: report the branch that got furthest (the one whose issues are not type mismatches).
  const branches = issue.errors ?? [];
  const best = branches.find((b) => b.length > 0 && b.every((i) => i.code !== 'invalid_type'));
  if (best) return best.flatMap((i) => explainOne({ ...i, path: [...path, ...i.path] } as Issue, ctx));
  const last = path[path.length - 1];
  const hint = typeof last === 'string' && FIELD_HINTS[last] ? `write ${FIELD_HINTS[last]}` : undefined;
  return [
    makeProblem('schema', path, `unexpected ${describeValue(value, secret)}`, ctx.locate(path, 'value'), { hint }),
  ];
}

function explainInvalidType(
  issue: Extract<Issue, { code: 'invalid_type' }>,
  { path, value, secret, ctx }: IssueAt,
): ConfigProblem[] {
  if (path.length === 0) {
    return [
      makeProblem(
        'schema',
        [],
        `the config must be a JSON object, not ${describeValue(value, false)}`,
        ctx.locate([], 'value'),
        {
          hint: 'start from { "mcpServers": { ... } }',
        },
      ),
    ];
  }
  const key = path[path.length - 1];
  if (value === undefined && path.length === 3 && path[0] === 'mcpServers' && KIND_KEYS.includes(String(key))) {
    // An explicit type that does not match the entry: {"type": "http", "command": "..."}.
    const entry = (getAt(ctx.data, path.slice(0, 2)) ?? {}) as Record<string, unknown>;
    const typeKey = entry.type !== undefined ? 'type' : 'transport';
    const written = JSON.stringify(entry[typeKey]);
    const has = KIND_KEYS.find((k) => k !== key && entry[k] !== undefined);
    return [
      makeProblem(
        'schema',
        path,
        `"${typeKey}": ${written} needs "${String(key)}"`,
        ctx.locate([...path.slice(0, 2), typeKey]),
        {
          hint: has
            ? `this entry has "${has}": remove "${typeKey}" to have the kind inferred from it, or add "${String(key)}"`
            : `add "${String(key)}"`,
        },
      ),
    ];
  }
  if (value === undefined) {
    const hint =
      key === 'mcpServers'
        ? 'add "mcpServers": { ... } with one entry per upstream server, e.g. { "mcpServers": { "memory": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"] } } }'
        : typeof key === 'string' && FIELD_HINTS[key]
          ? `add ${FIELD_HINTS[key]}`
          : undefined;
    return [makeProblem('schema', path, `missing required key "${String(key)}"`, ctx.locate(path), { hint })];
  }
  if (isServerPath(path)) return [explainMissingKind(path, ctx)];
  const expected = describeExpected(issue.expected);
  return [
    makeProblem('schema', path, `expected ${expected}, got ${describeValue(value, secret)}`, ctx.locate(path), {
      hint: secret
        ? 'variables expand to text; this value must be written directly'
        : typeHint(path, issue.expected, value),
    }),
  ];
}

function explainInvalidValue(
  issue: Extract<Issue, { code: 'invalid_value' }>,
  { path, value, secret, ctx }: IssueAt,
): ConfigProblem[] {
  const values = issue.values.map((v) => String(v));
  const near = typeof value === 'string' ? nearest(value, values) : undefined;
  const list = issue.values.map((v) => JSON.stringify(v)).join(', ');
  const last = path[path.length - 1];
  const fieldHint = typeof last === 'string' ? FIELD_HINTS[last] : undefined;
  return [
    makeProblem('schema', path, `${describeValue(value, secret)} is not allowed here`, ctx.locate(path), {
      hint: near
        ? `did you mean "${near}"? accepted: ${list}`
        : fieldHint && issue.values.length === 1
          ? `write ${fieldHint}`
          : `accepted: ${list}`,
    }),
  ];
}

function explainFormat(
  issue: Extract<Issue, { code: 'invalid_format' }>,
  { path, value, secret, ctx }: IssueAt,
): ConfigProblem[] {
  const custom = !/^Invalid/.test(issue.message);
  let message = custom ? issue.message : `invalid ${issue.format}`;
  let hint: string | undefined;
  if (issue.format === 'url' && typeof value === 'string' && !secret) {
    message = `${message}, got ${JSON.stringify(value)}`;
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) hint = `add the scheme: "http://${value.replace(/^\/+/, '')}"`;
    else if (!/^https?:/i.test(value)) hint = 'only http:// and https:// URLs are supported';
  } else if (issue.format === 'regex' && typeof value === 'string' && !secret) {
    message = `${JSON.stringify(value)}: ${message}`;
  }
  return [makeProblem('schema', path, message, ctx.locate(path), { hint })];
}

function explainSize(
  issue: Extract<Issue, { code: 'too_small' | 'too_big' }>,
  { path, value, secret, ctx }: IssueAt,
): ConfigProblem[] {
  const small = issue.code === 'too_small';
  const limit = small ? (issue as { minimum: unknown }).minimum : (issue as { maximum: unknown }).maximum;
  const inclusive = (issue as { inclusive?: boolean }).inclusive !== false;
  let message: string;
  if (!/^Too (small|big)/.test(issue.message)) message = issue.message;
  else if (issue.origin === 'number' || issue.origin === 'int') {
    message = `must be ${small ? (inclusive ? 'at least' : 'greater than') : inclusive ? 'at most' : 'less than'} ${limit}, got ${describeValue(value, secret)}`;
  } else if (issue.origin === 'string' && small && Number(limit) === 1) message = 'must not be empty';
  else
    message = `must have ${small ? 'at least' : 'at most'} ${limit} ${issue.origin === 'string' ? 'characters' : 'items'}`;
  return [makeProblem('schema', path, message, ctx.locate(path))];
}

function explainKeyName(issue: Extract<Issue, { code: 'invalid_key' }>, { path, ctx }: IssueAt): ConfigProblem[] {
  const inner = issue.issues[0];
  const key = String(path[path.length - 1]);
  const custom = inner && !/^Invalid/.test(inner.message) ? inner.message : 'invalid key';
  const fixed = key.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 48);
  return [
    makeProblem('schema', path, `invalid name "${key}": ${custom}`, ctx.locate(path), {
      hint: fixed && fixed !== key ? `rename it, e.g. "${fixed}"` : undefined,
    }),
  ];
}

/** Every zod issue as a friendly problem, deduplicated. */
export function explainIssues(issues: readonly Issue[], ctx: ExplainContext): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const seen = new Set<string>();
  for (const issue of issues) {
    for (const p of explainOne(issue, ctx)) {
      const k = `${p.path}\u0000${p.message}`;
      if (seen.has(k)) continue;
      seen.add(k);
      out.push(p);
    }
  }
  return out;
}
