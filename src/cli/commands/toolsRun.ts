/**
 * The work behind `mcp-proxy tools list|call` (loaded lazily). Both targets go through the same
 * upstream pool and aggregator as `run`, so names, filters and errors are exactly what a client
 * sees: with a config, its upstreams are started here; with --url, the running proxy is the one
 * upstream (reached over Streamable HTTP with the usual bearer token, its names kept unprefixed).
 */
import type { Aggregator } from '../../aggregator/server.js';
import { nearest } from '../../config/problems.js';
import { DEFAULTS, type ProxyConfig, type UpstreamConfig } from '../../config/schema.js';
import { AppError, errorMessage } from '../../errors.js';
import type { UpstreamPool } from '../../upstream/pool.js';
import { within } from '../../util/async.js';
import type { ToolsArgs } from '../args.js';
import type { CliContext } from '../context.js';
import { commandLogger } from '../createCli.js';
import { credentialChainFor } from '../credentialOptions.js';
import type { GlobalArgs } from '../types.js';
import { firstToken, loadUpstreamConfig, oneShotPool, readyUrl } from './statusRun.js';

type Args = ToolsArgs & GlobalArgs;

/** The name the running proxy gets as our single upstream in --url mode. */
const REMOTE = 'proxy';

interface Target {
  agg: Aggregator;
  pool: UpstreamPool;
  /** What was asked: the config file or the proxy's /mcp URL. */
  source: string;
  remote: boolean;
}

async function open(args: Args, ctx: CliContext): Promise<Target> {
  let configs: Record<string, UpstreamConfig>;
  let proxy: ProxyConfig | undefined;
  let source: string;
  if (args.url) {
    source = readyUrl(args.url).replace(/\/ready$/, '/mcp');
    const chain = credentialChainFor(args, ctx);
    const token = args.token ?? firstToken(chain.lookup('MCP_PROXY_TOKEN') ?? ctx.env.MCP_PROXY_TOKEN);
    if (token) ctx.redactor.add(token);
    const headers = token ? { Authorization: `Bearer ${token}` } : undefined;
    configs = { [REMOTE]: { type: 'http', url: source, prefix: false, ...(headers && { headers }) } };
  } else {
    const loaded = await loadUpstreamConfig(args, ctx);
    configs = loaded.config.mcpServers as Record<string, UpstreamConfig>;
    proxy = loaded.config.proxy;
    source = loaded.path;
  }
  if (args.timeout !== undefined) {
    proxy = { ...proxy, timeouts: { ...proxy?.timeouts, connect: args.timeout, request: args.timeout } };
  }
  const pool = await oneShotPool(configs, proxy, args, ctx);
  const { Aggregator } = await import('../../aggregator/server.js');
  // Every tool by its public name, whatever tools mode the config serves: this is for looking.
  const agg = new Aggregator({
    pool,
    logger: commandLogger(args, ctx, 'silent'),
    separator: proxy?.separator ?? DEFAULTS.separator,
  });
  try {
    await within(pool.start(), args.timeout ?? proxy?.timeouts?.connect ?? DEFAULTS.connectTimeout);
  } catch (e) {
    await pool.close().catch(() => {});
    throw e;
  }
  const target = { agg, pool, source, remote: Boolean(args.url) };
  if (target.remote) assertRemoteReady(target);
  return target;
}

/** --url: the proxy itself did not answer; say why (a refused token is a credentials problem). */
function assertRemoteReady(t: Target): void {
  const s = t.pool.get(REMOTE)?.status();
  if (s?.state === 'ready') return;
  const why = s?.lastError ?? `state ${s?.state ?? 'unknown'}`;
  void t.pool.close().catch(() => {});
  if (/\b401\b|unauthori[sz]ed/i.test(why)) {
    throw new AppError('CREDENTIALS_INVALID', `the proxy at ${t.source} refused the request: ${why}`, {
      hint: 'pass --token or set the MCP_PROXY_TOKEN credential to a token the proxy accepts',
    });
  }
  throw new AppError('UPSTREAM_UNAVAILABLE', `cannot reach the proxy at ${t.source}: ${why}`, {
    hint: 'is `mcp-proxy run --transport http` running there? check --url (default port 8765)',
  });
}

interface Down {
  name: string;
  state: string;
  lastError?: string;
}

/** Enabled upstreams that are not serving (optionally only `server`). */
function downUpstreams(t: Target, server?: string): Down[] {
  return t.pool
    .snapshot()
    .filter((s) => s.state !== 'ready' && s.state !== 'disabled' && (server === undefined || s.name === server))
    .map((s) => ({ name: s.name, state: s.state, ...(s.lastError && { lastError: s.lastError }) }));
}

function describeDown(d: Down): string {
  return `${d.name}: ${d.state}${d.lastError ? ` (${d.lastError.replace(/\s+/g, ' ').trim()})` : ''}`;
}

// ------------------------------------------------------------------------------------------------ list

export async function listTools(args: Args, ctx: CliContext): Promise<number> {
  const t = await open(args, ctx);
  try {
    if (args.server && !t.remote && !t.pool.get(args.server)) {
      const names = t.pool.list().map((c) => c.name);
      const near = nearest(args.server, names);
      throw new AppError('USAGE', `no server "${args.server}" in ${t.source}`, {
        hint: `${near ? `did you mean "${near}"? ` : ''}servers: ${names.join(', ') || '(none)'}`,
      });
    }
    const tools = [...t.agg.catalog.tools.entries()]
      .map(([name, e]) => ({
        name,
        server: t.remote ? serverOfRemote(name) : e.upstream,
        description: (e.item as { description?: string }).description,
        inputSchema: (e.item as { inputSchema?: unknown }).inputSchema,
      }))
      .filter((x) => !args.server || x.server === args.server);
    const down = t.remote ? [] : downUpstreams(t, args.server);
    if (args.json) {
      ctx.stdout.write(`${ctx.redactor.redact(JSON.stringify({ source: t.source, tools, down }, null, 2))}\n`);
    } else {
      const width = Math.max(0, ...tools.map((x) => x.name.length));
      const lines = [
        `${t.remote ? 'proxy' : 'config'} ${t.source}: ${tools.length} tool${tools.length === 1 ? '' : 's'}`,
      ];
      if (tools.length) lines.push('');
      for (const x of tools) lines.push(`  ${x.name.padEnd(width)}  ${firstLine(x.description)}`.trimEnd());
      ctx.stdout.write(`${ctx.redactor.redact(lines.join('\n'))}\n`);
    }
    for (const d of down)
      ctx.stderr.write(`${ctx.redactor.redact(`warning: ${describeDown(d)}; its tools are missing`)}\n`);
    return down.length ? 4 : 0;
  } finally {
    await t.pool.close().catch(() => {});
  }
}

/** A running proxy's names are `<server><separator><tool>`; the separator is its own (default "__"). */
function serverOfRemote(name: string): string | undefined {
  const at = name.indexOf(DEFAULTS.separator);
  return at > 0 ? name.slice(0, at) : undefined;
}

function firstLine(s: string | undefined): string {
  const line = (s ?? '').split('\n')[0].trim();
  return line.length > 90 ? `${line.slice(0, 87)}...` : line;
}

// ------------------------------------------------------------------------------------------------ call

/** `--args` as a JSON object; a precise usage error (exit 2) otherwise. */
export function parseToolArgs(raw: string | undefined): Record<string, unknown> {
  if (raw === undefined || raw.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    throw new AppError('USAGE', `--args is not valid JSON: ${errorMessage(e)}`, {
      hint: `quote it for the shell, e.g. --args '{"text":"hello"}'`,
    });
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new AppError(
      'USAGE',
      `--args must be a JSON object ({...}), not ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`,
      {
        hint: `e.g. --args '{"text":"hello"}'`,
      },
    );
  }
  return value as Record<string, unknown>;
}

export async function callTool(args: Args, ctx: CliContext): Promise<number> {
  const name = args.name;
  if (!name) {
    throw new AppError('USAGE', 'tools call needs the tool name', {
      hint: 'e.g. `mcp-proxy tools call echo__echo --args \'{"text":"hi"}\'` (`mcp-proxy tools list` shows the names)',
    });
  }
  const toolArgs = parseToolArgs(args.args);
  const t = await open(args, ctx);
  try {
    if (!t.agg.catalog.tools.has(name)) {
      const near = nearest(name, t.agg.catalog.tools.keys());
      const didYouMean = near ? `did you mean "${near}"? ` : '';
      const down = t.remote ? [] : downUpstreams(t);
      // The tool may belong to a server that did not start: that is an upstream failure, not a typo.
      if (down.length) {
        throw new AppError('UPSTREAM_UNAVAILABLE', `no tool "${name}" is served now; some servers are down`, {
          details: down.map(describeDown),
          hint: `${didYouMean}\`mcp-proxy status\` shows each server; \`mcp-proxy tools list\` what is served`,
        });
      }
      throw new AppError('USAGE', `no tool "${name}" in ${t.source}`, {
        hint: `${didYouMean}\`mcp-proxy tools list\` shows every tool`,
      });
    }
    let result: Record<string, unknown>;
    try {
      const signal = args.timeout !== undefined ? AbortSignal.timeout(args.timeout) : new AbortController().signal;
      result = await t.agg.callTool(name, toolArgs, { signal });
    } catch (e) {
      throw new AppError('UPSTREAM_FAILED', `calling ${name} failed: ${errorMessage(e)}`);
    }
    const text = args.json ? JSON.stringify(result, null, 2) : renderResult(result);
    ctx.stdout.write(`${ctx.redactor.redact(text)}\n`);
    if (result.isError === true) {
      ctx.stderr.write(`error: ${name} returned an error result (isError)\n`);
      return 4;
    }
    return 0;
  } finally {
    await t.pool.close().catch(() => {});
  }
}

/** A tool result for people: text as text, other content as one line each, structured content as JSON. */
export function renderResult(result: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const c of (result.content ?? []) as Record<string, any>[]) {
    if (c.type === 'text') parts.push(String(c.text ?? ''));
    else if (c.type === 'image' || c.type === 'audio') {
      parts.push(`[${c.type} ${c.mimeType ?? ''}, ${Math.floor((String(c.data ?? '').length * 3) / 4)} bytes]`);
    } else if (c.type === 'resource') {
      const r = c.resource ?? {};
      parts.push(`[resource ${r.uri ?? ''}]${typeof r.text === 'string' ? `\n${r.text}` : ''}`);
    } else if (c.type === 'resource_link') parts.push(`[link ${c.uri ?? ''}]${c.name ? ` ${c.name}` : ''}`);
    else parts.push(JSON.stringify(c));
  }
  if (result.structuredContent !== undefined) {
    parts.push(`structured content:\n${JSON.stringify(result.structuredContent, null, 2)}`);
  }
  if (result.resultType === 'input_required')
    parts.push('(the tool asked for client input, which the command line cannot give)');
  return parts.length ? parts.join('\n') : '(no content)';
}
