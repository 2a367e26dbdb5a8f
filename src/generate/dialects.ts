// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are what this module writes
/**
 * Client entries -> the proxy's server entry shape, for the keys a client writes that mean something
 * else (or the same thing under another name) in the proxy config. Runs before the generic conversion
 * in importer.ts, which then validates the result as the proxy would.
 */
import type { ClientId } from './clients.js';

type Entry = Record<string, unknown>;

const seconds = (v: unknown): number | undefined => (typeof v === 'number' && v > 0 ? Math.round(v * 1000) : undefined);

function toolFilter(e: Entry, include: string, exclude: string): void {
  const tools: Entry = {};
  if (Array.isArray(e[include])) tools.include = e[include];
  if (Array.isArray(e[exclude])) tools.exclude = e[exclude];
  delete e[include];
  delete e[exclude];
  if (Object.keys(tools).length) e.tools = tools;
}

/** Returns a copy of `raw` in the proxy's vocabulary (`raw` itself when the client writes it already). */
export function normalizeDialect(client: ClientId | undefined, raw: Entry): Entry {
  const e: Entry = { ...raw };
  switch (client) {
    case 'windsurf':
      if (e.serverUrl !== undefined && e.url === undefined) e.url = e.serverUrl;
      delete e.serverUrl;
      return e;
    case 'gemini-cli':
      // httpUrl is Streamable HTTP; url is SSE there. Gemini CLI also expands $VAR.
      if (e.httpUrl !== undefined) {
        e.url = e.httpUrl;
        e.type = 'http';
      } else if (e.url !== undefined && e.type === undefined) e.type = 'sse';
      delete e.httpUrl;
      delete e.trust;
      toolFilter(e, 'includeTools', 'excludeTools');
      return dollarVariables(e);
    case 'cline':
      // Cline's timeout is in seconds; the proxy's is in milliseconds.
      if (e.timeout !== undefined) e.timeout = seconds(e.timeout);
      return e;
    case 'zed': {
      // Older Zed settings nest the command: {"command": {"path", "args", "env"}}.
      const c = e.command;
      if (c && typeof c === 'object' && !Array.isArray(c)) {
        const cmd = c as Entry;
        e.command = cmd.path;
        if (cmd.args !== undefined) e.args = cmd.args;
        if (cmd.env !== undefined) e.env = cmd.env;
      }
      if (e.enabled === false) e.disabled = true;
      delete e.enabled;
      delete e.source;
      delete e.settings;
      return e;
    }
    case 'codex': {
      if (e.enabled === false) e.disabled = true;
      delete e.enabled;
      const headers: Record<string, string> = { ...((e.http_headers as Record<string, string>) ?? {}) };
      for (const [h, v] of Object.entries((e.env_http_headers as Record<string, string>) ?? {}))
        headers[h] = `\${${v}}`;
      if (typeof e.bearer_token_env_var === 'string') headers.Authorization = `Bearer \${${e.bearer_token_env_var}}`;
      if (Object.keys(headers).length) e.headers = headers;
      if (e.startup_timeout_sec !== undefined) e.connectTimeout = seconds(e.startup_timeout_sec);
      if (e.tool_timeout_sec !== undefined) e.timeout = seconds(e.tool_timeout_sec);
      toolFilter(e, 'enabled_tools', 'disabled_tools');
      for (const k of [
        'http_headers',
        'env_http_headers',
        'bearer_token_env_var',
        'startup_timeout_sec',
        'startup_timeout_ms',
        'tool_timeout_sec',
        'env_vars',
      ])
        delete e[k];
      return e;
    }
    default:
      return e;
  }
}

/** `$NAME` -> `${NAME}` in every string (Gemini CLI's settings accept both). */
function dollarVariables(e: Entry): Entry {
  const fix = (v: unknown): unknown => {
    if (typeof v === 'string') return v.replace(/\$([A-Za-z_][A-Za-z0-9_]*)/g, '${$1}');
    if (Array.isArray(v)) return v.map(fix);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v as Entry).map(([k, x]) => [k, fix(x)]));
    return v;
  };
  return fix(e) as Entry;
}
