/**
 * Cross-field checks the schema cannot express. Run on a config that passed the schema.
 * Errors make the config invalid; warnings are shown (by `validate` and at start-up) but accepted.
 */
import { type ConfigProblem, makeProblem, type SourcePosition } from './problems.js';
import { type Config, DEFAULTS } from './schema.js';
import { formatPath, type JsonPath } from './substitute.js';

export interface RuleContext {
  locate: (path: JsonPath, target?: 'key' | 'value') => SourcePosition | undefined;
  /** Formatted paths whose values came from variables. */
  fromEnv: Set<string>;
  /** Resolves credentials (to see whether MCP_PROXY_TOKEN is set). */
  lookup?: (name: string) => string | undefined;
}

/** 127.0.0.0/8, ::1, localhost (the HTTP frontend applies the same rule when it binds). */
function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  return /^127\.\d+\.\d+\.\d+$/.test(h) || /^::ffff:127\./.test(h);
}

/** The prefix a server's public names get: its `prefix`, else its name; undefined when unprefixed. */
export function effectivePrefix(name: string, prefix: string | false | undefined): string | undefined {
  if (prefix === false || prefix === '') return undefined;
  return prefix ?? name;
}

/** Reports one problem at `path` (a warning unless said otherwise). */
type Add = (path: JsonPath, message: string, hint: string | undefined, severity?: 'error' | 'warning') => void;

export function checkRules(config: Config, ctx: RuleContext): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const add: Add = (path, message, hint, severity = 'warning') =>
    out.push(makeProblem('rule', path, message, ctx.locate(path), { hint, severity }));
  checkServerCount(config, add);
  checkPrefixes(config, add);
  checkServerEntries(config, ctx, add);
  checkProxySettings(config, ctx, add);
  checkAccess(config, add);
  checkAudit(config, add);
  return out;
}

/** Rules and profiles that name a server the config does not have (a typo would silently grant or hide nothing). */
function checkAccess(config: Config, add: Add): void {
  const access = config.proxy?.access;
  if (!access) return;
  const known = Object.keys(config.mcpServers);
  const check = (servers: string[] | undefined, at: JsonPath) =>
    servers?.forEach((name, i) => {
      if (/[*?]/.test(name) || known.includes(name)) return;
      add(
        [...at, 'servers', i],
        `unknown server "${name}" in proxy.access`,
        known.length ? `servers: ${known.join(', ')}` : 'add it to "mcpServers"',
        'error',
      );
    });
  access.rules?.forEach((r, i) => {
    check(r.allow?.servers, ['proxy', 'access', 'rules', i, 'allow']);
    check(r.deny?.servers, ['proxy', 'access', 'rules', i, 'deny']);
  });
  for (const [name, g] of Object.entries(access.profiles ?? {}))
    check(g.servers, ['proxy', 'access', 'profiles', name]);
}

function checkServerCount(config: Config, add: Add): void {
  const entries = Object.entries(config.mcpServers);
  const enabled = entries.filter(([, s]) => !s.disabled);
  if (entries.length === 0) {
    add(['mcpServers'], 'no servers are configured: the proxy will expose nothing', 'add an entry to "mcpServers"');
  } else if (enabled.length === 0) {
    add(
      ['mcpServers'],
      'every server is disabled: the proxy will expose nothing',
      'remove "disabled": true from at least one server',
    );
  }
}

function checkPrefixes(config: Config, add: Add): void {
  const enabled = Object.entries(config.mcpServers).filter(([, s]) => !s.disabled);
  const sep = config.proxy?.separator ?? DEFAULTS.separator;
  // Two servers publishing under the same prefix: a name both have is served from the first only.
  const byPrefix = new Map<string, string>();
  const unprefixed: string[] = [];
  for (const [name, s] of enabled) {
    const p = effectivePrefix(name, s.prefix);
    const where = s.prefix !== undefined ? ['mcpServers', name, 'prefix'] : ['mcpServers', name];
    if (p === undefined) {
      if (unprefixed.length > 0) {
        add(
          where,
          `servers "${unprefixed[0]}" and "${name}" both expose their names unprefixed (prefix: false); a tool, prompt or resource name they share is served from "${unprefixed[0]}" only`,
          `give "${name}" a "prefix"`,
        );
      }
      unprefixed.push(name);
      continue;
    }
    const other = byPrefix.get(p);
    if (other !== undefined) {
      add(
        where,
        `servers "${other}" and "${name}" both publish under the prefix "${p}" (${p}${sep}<name>); a name they share is served from "${other}" only`,
        `give one of them a different "prefix"`,
      );
    } else {
      byPrefix.set(p, name);
    }
  }
}

function checkServerEntries(config: Config, ctx: RuleContext, add: Add): void {
  const entries = Object.entries(config.mcpServers);
  for (const [name, s] of entries) {
    const base: JsonPath = ['mcpServers', name];
    if (s.type === 'stdio') {
      checkShellSyntax(s, base, ctx, add);
      const fromEnv = ctx.fromEnv.has(formatPath([...base, 'command']));
      const cmd = s.command;
      const looksLikePath = /^([A-Za-z]:)?[\\/]/.test(cmd) || cmd.startsWith('.');
      if (!fromEnv && /\s/.test(cmd.trim()) && !looksLikePath && (s.args?.length ?? 0) === 0) {
        const [prog, ...rest] = cmd.trim().split(/\s+/);
        add(
          [...base, 'command'],
          `"command" contains spaces: "${cmd}" would be run as one program name`,
          `put the arguments in "args": "command": ${JSON.stringify(prog)}, "args": ${JSON.stringify(rest)}`,
        );
      }
    }
    if ((s.type === 'http' || s.type === 'sse') && s.oauth) {
      const auth = Object.keys(s.headers ?? {}).find((h) => h.toLowerCase() === 'authorization');
      if (auth) {
        add(
          [...base, 'headers', auth],
          '"oauth" and an Authorization header both set: the OAuth login would replace this header',
          'remove the Authorization header, or remove "oauth" to keep the static token',
          'error',
        );
      }
    }
    if (s.idleTimeout !== undefined && !s.lazy) {
      add(
        [...base, 'idleTimeout'],
        '"idleTimeout" has no effect without "lazy": true (only a lazy server is stopped when idle)',
        'add "lazy": true to this server, or remove "idleTimeout"',
      );
    }
    for (const key of ['timeout', 'connectTimeout', 'idleTimeout'] as const) {
      const v = s[key];
      if (v !== undefined && v < 100) {
        add([...base, key], `"${key}" is in milliseconds: ${v} means ${v} ms`, `did you mean ${v * 1000} (${v} s)?`);
      }
    }
  }
}

/**
 * `~` and `%NAME%` in a stdio server's command, arguments or working directory: no shell runs the
 * command (as in every MCP client), so the server would get them as written and fail on a path that
 * does not exist. The proxy's own variables are `${NAME}`.
 */
function checkShellSyntax(
  s: { command: string; args?: string[]; cwd?: string },
  base: JsonPath,
  ctx: RuleContext,
  add: Add,
): void {
  const fields: [JsonPath, string | undefined][] = [
    [[...base, 'command'], s.command],
    ...(s.args ?? []).map((a, i): [JsonPath, string] => [[...base, 'args', i], a]),
    [[...base, 'cwd'], s.cwd],
  ];
  for (const [where, value] of fields) {
    if (value === undefined || ctx.fromEnv.has(formatPath(where))) continue;
    const shown = `"${formatPath(where.slice(2))}"`;
    if (/^~(?=$|[\\/])/.test(value)) {
      add(
        where,
        `${shown} starts with "~", which only a shell expands: ${JSON.stringify(value)} is used as written`,
        `write ${JSON.stringify(`\${HOME}${value.slice(1)}`)} (or \${USERPROFILE} on Windows), or the absolute path`,
      );
      continue;
    }
    const windowsVar = /%([A-Za-z_][A-Za-z0-9_]+)%/.exec(value);
    if (windowsVar) {
      add(
        where,
        `${shown} uses "${windowsVar[0]}", which only cmd.exe expands: ${JSON.stringify(value)} is used as written`,
        `write ${JSON.stringify(value.replace(windowsVar[0], `\${${windowsVar[1]}}`))}: the proxy fills in \${NAME} from the environment`,
      );
    }
  }
}

function checkProxySettings(config: Config, ctx: RuleContext, add: Add): void {
  const timeouts = config.proxy?.timeouts;
  for (const key of ['connect', 'request'] as const) {
    const v = timeouts?.[key];
    if (v !== undefined && v < 100) {
      add(
        ['proxy', 'timeouts', key],
        `"${key}" is in milliseconds: ${v} means ${v} ms`,
        `did you mean ${v * 1000} (${v} s)?`,
      );
    }
  }

  const proxy = config.proxy;
  if (proxy?.transport === 'stdio') {
    for (const key of ['host', 'port', 'http'] as const) {
      if (proxy[key] !== undefined) {
        add(
          ['proxy', key],
          `proxy.${key} is only used when serving HTTP, and proxy.transport is "stdio"`,
          'set "transport": "http" (or run with --transport http), or remove it',
        );
      }
    }
  }
  if (
    proxy?.transport === 'http' &&
    proxy.host !== undefined &&
    !isLoopback(proxy.host) &&
    !proxy.http?.allowUnauthenticated &&
    ctx.lookup &&
    !ctx.lookup('MCP_PROXY_TOKEN')
  ) {
    add(
      ['proxy', 'host'],
      `proxy.host ${JSON.stringify(proxy.host)} is reachable from other machines, and MCP_PROXY_TOKEN is not set: run will refuse to start`,
      'set the MCP_PROXY_TOKEN credential (`mcp-proxy credentials set MCP_PROXY_TOKEN`), bind 127.0.0.1, ' +
        'or set proxy.http.allowUnauthenticated: true if something in front of the proxy authenticates',
    );
  }

  const retry = config.proxy?.retry;
  if (retry?.initialDelay !== undefined && retry.maxDelay !== undefined && retry.initialDelay > retry.maxDelay) {
    add(
      ['proxy', 'retry', 'initialDelay'],
      `retry.initialDelay (${retry.initialDelay}) is larger than retry.maxDelay (${retry.maxDelay})`,
      'make initialDelay <= maxDelay',
      'error',
    );
  }
}

function checkAudit(config: Config, add: Add): void {
  const url = config.proxy?.audit?.postgres?.url;
  if (url === undefined) return;
  let protocol = '';
  try {
    protocol = new URL(url).protocol;
  } catch {}
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
    add(
      ['proxy', 'audit', 'postgres', 'url'],
      'proxy.audit.postgres.url is not a PostgreSQL connection URL',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a ${VAR} reference is what the user writes
      'write it as postgres://user:${AUDIT_DB_PASSWORD}@host:5432/database',
      'error',
    );
  }
}
