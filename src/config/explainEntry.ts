/** Problems with a key or a server entry: an unknown key (typo, misplaced), a missing or unknown kind. */
import { article, describeValue } from './explainText.js';
import { type ConfigProblem, makeProblem, nearest, type SourcePosition } from './problems.js';
import { TRANSPORT_ALIASES } from './schema.js';
import {
  ALL_SERVER_KEYS,
  getAt,
  isServerPath,
  KIND_KEYS,
  knownKeysAt,
  SERVER_KINDS,
  serverKind,
} from './schemaPaths.js';
import type { JsonPath } from './substitute.js';

export interface ExplainContext {
  /** The config value that was validated (after variable substitution, before normalization). */
  data: unknown;
  locate: (path: JsonPath, target?: 'key' | 'value') => SourcePosition | undefined;
  /** Formatted paths of strings whose value came from variables (never echoed back). */
  fromEnv: Set<string>;
}

const TYPE_VALUES = Object.keys(TRANSPORT_ALIASES);
const CANONICAL = [...new Set(Object.values(TRANSPORT_ALIASES))];

function serverShapeHint(name: string): string {
  return (
    `e.g. "${name}": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"] } ` +
    `or "${name}": { "url": "https://example.com/mcp" }`
  );
}

/** An object with a server's kind key (command, url or image): a server entry wherever it stands. */
export function looksLikeServerEntry(v: unknown): boolean {
  return !!v && typeof v === 'object' && ('command' in v || 'url' in v || 'image' in v);
}

/** Keys other clients write for a remote server's URL, and whose they are. */
const OTHER_URL_KEYS: Record<string, string> = { serverUrl: 'Windsurf', httpUrl: 'Gemini CLI' };

export function explainMissingKind(serverPath: JsonPath, ctx: ExplainContext): ConfigProblem {
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
    // Another client's name for the url (an entry pasted from its config).
    for (const [key, client] of Object.entries(OTHER_URL_KEYS)) {
      if (typeof e[key] !== 'string') continue;
      return at(
        [...serverPath, key],
        `server "${name}" needs "url": "${key}" is ${client}'s name for it`,
        `rename "${key}" to "url" (\`mcp-proxy import\` converts a client's whole config)`,
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

export function explainUnknownKey(objPath: JsonPath, key: string, ctx: ExplainContext): ConfigProblem {
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
    if (looksLikeServerEntry(getAt(ctx.data, keyPath))) {
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
