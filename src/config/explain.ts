/**
 * Turns zod issues into problems a person can act on: each names the JSON path and the place in the
 * file, says what is wrong in plain words, and suggests the fix (the nearest known key for a typo,
 * the accepted values for an enum, the expected shape for a wrong type). No raw zod dumps.
 */
import type { z } from 'zod';
import { type ConfigProblem, makeProblem, nearest, type SourcePosition } from './problems.js';
import {
  ConfigSchema,
  DockerServer,
  HttpServer,
  normalizeServerEntry,
  StdioServer,
  TRANSPORT_ALIASES,
} from './schema.js';
import { formatPath, type JsonPath } from './substitute.js';

type Issue = z.core.$ZodIssue;

export interface ExplainContext {
  /** The config value that was validated (after variable substitution, before normalization). */
  data: unknown;
  locate: (path: JsonPath, target?: 'key' | 'value') => SourcePosition | undefined;
  /** Formatted paths of strings whose value came from variables (never echoed back). */
  fromEnv: Set<string>;
}

const SERVER_KINDS: Record<string, readonly string[]> = {
  stdio: Object.keys(StdioServer.shape),
  http: Object.keys(HttpServer.shape),
  sse: Object.keys(HttpServer.shape),
  docker: Object.keys(DockerServer.shape),
};
const ALL_SERVER_KEYS = new Set([...Object.values(SERVER_KINDS).flat(), 'transport']);
const KIND_KEYS = ['command', 'url', 'image'];

export function getAt(data: unknown, path: JsonPath): unknown {
  let v = data;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

function isServerPath(path: JsonPath): boolean {
  return path.length === 2 && path[0] === 'mcpServers';
}

/** The kind a server entry resolves to after `type` / `transport` / inference, if any. */
function serverKind(entry: unknown): string | undefined {
  const n = normalizeServerEntry(entry) as { type?: unknown } | undefined;
  return n && typeof n.type === 'string' && SERVER_KINDS[n.type] ? n.type : undefined;
}

// Walks the zod schema along a path, following the data to pick a discriminated-union member.
function schemaAt(path: JsonPath, data: unknown): z.core.$ZodType | undefined {
  let s: any = ConfigSchema;
  let d: unknown = data;
  const unwrap = () => {
    for (;;) {
      const def = s?._zod?.def;
      if (!def) return;
      if (['optional', 'nullable', 'default', 'readonly', 'nonoptional', 'catch', 'prefault'].includes(def.type)) {
        s = def.innerType;
      } else if (def.type === 'pipe') {
        s = def.out;
      } else if (def.type === 'union' && def.discriminator) {
        const kind = serverKind(d);
        s = def.options.find((o: any) => o._zod.def.shape?.type?._zod.def.values?.includes(kind));
        if (!s) return;
      } else {
        return;
      }
    }
  };
  unwrap();
  for (const seg of path) {
    const def = s?._zod?.def;
    if (!def) return undefined;
    if (def.type === 'object') s = def.shape[seg as string];
    else if (def.type === 'record') s = def.valueType;
    else if (def.type === 'array') s = def.element;
    else return undefined;
    d = getAt(d, [seg]);
    unwrap();
  }
  return s;
}

/** The keys an object at `path` accepts (empty when unknown). */
export function knownKeysAt(path: JsonPath, data: unknown): string[] {
  if (isServerPath(path)) {
    const kind = serverKind(getAt(data, path));
    return kind ? [...SERVER_KINDS[kind], 'transport'] : [...ALL_SERVER_KEYS];
  }
  const s: any = schemaAt(path, data);
  return s?._zod?.def?.type === 'object' ? Object.keys(s._zod.def.shape) : [];
}

function article(word: string): string {
  // Said as letters: "an http server", "an sse server".
  return /^([aeiou]|http|sse)/i.test(word) ? `an ${word}` : `a ${word}`;
}

function describeExpected(expected: string): string {
  switch (expected) {
    case 'record':
    case 'object':
      return 'an object';
    case 'array':
      return 'a list';
    case 'int':
      return 'a whole number';
    case 'boolean':
      return 'true or false';
    default:
      return article(expected);
  }
}

function describeValue(v: unknown, secret: boolean): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') {
    if (secret) return 'a string (from a variable)';
    return v.length <= 40 ? `the string ${JSON.stringify(v)}` : 'a string';
  }
  if (typeof v === 'number') return Number.isInteger(v) ? `the number ${v}` : `the number ${v}`;
  return String(v);
}

const FIELD_HINTS: Record<string, string> = {
  args: 'a list of strings, e.g. "args": ["-y", "@modelcontextprotocol/server-memory"]',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: config syntax, not a template
  env: 'an object of strings, e.g. "env": { "API_KEY": "${API_KEY}" }',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: config syntax, not a template
  headers: 'an object of strings, e.g. "headers": { "Authorization": "Bearer ${TOKEN}" }',
  timeout: 'milliseconds as a number, e.g. 30000',
  connectTimeout: 'milliseconds as a number, e.g. 30000',
  port: 'a number from 0 to 65535, e.g. 8765',
  disabled: 'true or false, without quotes',
  include: 'a list of glob patterns, e.g. ["read_*", "search"]',
  exclude: 'a list of glob patterns, e.g. ["delete_*"]',
  volumes: 'a list like ["/host/dir:/data:ro"]',
  prefix: 'a string like "gh", or false for no prefix',
  tools: 'an object like "tools": { "include": ["read_*"], "exclude": ["delete_*"] }',
  mcpServers:
    'an object with one entry per server, e.g. "mcpServers": { "memory": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"] } }',
};

function typeHint(path: JsonPath, expected: string, value: unknown): string | undefined {
  const last = path[path.length - 1];
  const parent = path[path.length - 2];
  if ((parent === 'env' || parent === 'headers') && expected === 'string' && value !== undefined) {
    return `quote the value: "${String(value)}" (${parent === 'env' ? 'env' : 'header'} values are strings)`;
  }
  if (typeof last === 'string' && FIELD_HINTS[last]) return `write ${FIELD_HINTS[last]}`;
  if (expected === 'array' && typeof value === 'string')
    return `write a list: ["${value.length <= 40 ? value : '...'}"]`;
  if (
    (expected === 'number' || expected === 'int') &&
    typeof value === 'string' &&
    /^\s*-?\d+(\.\d+)?\s*$/.test(value)
  ) {
    return `remove the quotes: ${value.trim()}`;
  }
  if (expected === 'boolean' && (value === 'true' || value === 'false')) return `remove the quotes: ${value}`;
  if (expected === 'string' && (typeof value === 'number' || typeof value === 'boolean')) return `quote it: "${value}"`;
  return undefined;
}

const TYPE_VALUES = Object.keys(TRANSPORT_ALIASES);
const CANONICAL = [...new Set(Object.values(TRANSPORT_ALIASES))];

function serverShapeHint(name: string): string {
  return (
    `e.g. "${name}": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"] } ` +
    `or "${name}": { "url": "https://example.com/mcp" }`
  );
}

function explainMissingKind(serverPath: JsonPath, ctx: ExplainContext): ConfigProblem {
  const name = String(serverPath[1]);
  const entry = getAt(ctx.data, serverPath);
  const pos = ctx.locate(serverPath);
  const at = (p: JsonPath, msg: string, hint?: string) => makeProblem('schema', p, msg, ctx.locate(p), { hint });
  if (entry && typeof entry === 'object' && !Array.isArray(entry)) {
    const e = entry as Record<string, unknown>;
    const typeKey = e.type !== undefined ? 'type' : e.transport !== undefined ? 'transport' : undefined;
    if (typeKey) {
      const v = e[typeKey];
      const accepted = `use one of: ${CANONICAL.join(', ')} (also accepted: ${TYPE_VALUES.filter((t) => !CANONICAL.includes(t as never)).join(', ')})`;
      if (typeof v !== 'string') {
        return at([...serverPath, typeKey], `"${typeKey}" must be a string, not ${describeValue(v, false)}`, accepted);
      }
      const near = nearest(v, TYPE_VALUES);
      return at(
        [...serverPath, typeKey],
        `unknown server type "${v}"`,
        near ? `did you mean "${near}"? ${accepted}` : accepted,
      );
    }
    // No type, and none of command / url / image: maybe a typo of one of them.
    for (const key of Object.keys(e)) {
      if (ALL_SERVER_KEYS.has(key)) continue;
      const near = nearest(key, KIND_KEYS);
      if (near) {
        return at(
          [...serverPath, key],
          `server "${name}" needs "command" (stdio), "url" (http or sse) or "image" (docker); "${key}" is not a known key`,
          `did you mean "${near}"?`,
        );
      }
    }
  }
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    return makeProblem(
      'schema',
      serverPath,
      `server "${name}" must be an object, not ${describeValue(entry, false)}`,
      pos,
      {
        hint: serverShapeHint(name),
      },
    );
  }
  return makeProblem(
    'schema',
    serverPath,
    `server "${name}" needs "command" (stdio), "url" (http or sse) or "image" (docker)`,
    pos,
    {
      hint: serverShapeHint(name),
    },
  );
}

function explainUnknownKey(objPath: JsonPath, key: string, ctx: ExplainContext): ConfigProblem {
  const keyPath = [...objPath, key];
  const pos = ctx.locate(keyPath);
  const problem = (message: string, hint?: string) => makeProblem('schema', keyPath, message, pos, { hint });

  if (objPath.length === 0) {
    if (key === 'servers') {
      return problem(
        'unknown key "servers"',
        'did you mean "mcpServers"? (VS Code\'s mcp.json says "servers"; this proxy reads "mcpServers", as Claude Desktop and Cursor write it)',
      );
    }
    const v = getAt(ctx.data, keyPath) as Record<string, unknown> | undefined;
    if (v && typeof v === 'object' && ('command' in v || 'url' in v || 'image' in v)) {
      return problem(
        `unknown top-level key "${key}"`,
        `it looks like a server entry: move it inside "mcpServers": { "${key}": { ... } }`,
      );
    }
  }

  if (isServerPath(objPath)) {
    const entry = getAt(ctx.data, objPath);
    const kind = serverKind(entry);
    if (kind) {
      const owners = Object.entries(SERVER_KINDS)
        .filter(([k, keys]) => k !== kind && keys.includes(key))
        .map(([k]) => k);
      if (owners.length > 0) {
        if (key === 'url' && kind === 'stdio') {
          return problem(
            `"url" does not belong in a stdio server (this one has "command")`,
            'a server is either started locally ("command") or reached remotely ("url"): remove one, or split it into two servers',
          );
        }
        if ((key === 'command' || key === 'image') && kind !== 'stdio') {
          return problem(
            `"${key}" does not belong in ${article(kind)} server`,
            `a server has exactly one of "command" (stdio), "url" (http or sse) or "image" (docker)`,
          );
        }
        return problem(
          `"${key}" does not apply to ${article(kind)} server`,
          `"${key}" is for ${owners.join(' and ')} servers`,
        );
      }
    }
  }

  const known = knownKeysAt(objPath, ctx.data);
  const near = nearest(key, known);
  if (near) return problem(`unknown key "${key}"`, `did you mean "${near}"?`);
  const list = known.filter((k) => k !== '$schema');
  return problem(`unknown key "${key}"`, list.length ? `keys accepted here: ${list.join(', ')}` : 'remove it');
}

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

  switch (issue.code) {
    case 'invalid_union': {
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
    case 'unrecognized_keys':
      return issue.keys.map((k) => explainUnknownKey(path, k, ctx));
    case 'invalid_type': {
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
    case 'invalid_value': {
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
    case 'invalid_format': {
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
    case 'too_small':
    case 'too_big': {
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
    case 'invalid_key': {
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
    case 'invalid_element':
      return issue.issues.flatMap((i) => explainOne({ ...i, path: [...path, ...i.path] } as Issue, ctx));
    default:
      return [makeProblem('schema', path, issue.message.replace(/^Invalid input: /, ''), ctx.locate(path))];
  }
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
