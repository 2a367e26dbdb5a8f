/**
 * The work behind `mcp-proxy status` (loaded lazily): fetch a running proxy's /ready, or connect to the
 * configured upstreams directly; print a table or JSON; decide the exit code.
 */
import http from 'node:http';
import https from 'node:https';
import { DEFAULTS, type ProxyConfig, type UpstreamConfig } from '../../config/schema.js';
import { AppError, errorMessage } from '../../errors.js';
import type { UpstreamStatus } from '../../frontends/http/app.js';
import { mask } from '../../observability/redact.js';
import { within } from '../../util/async.js';
import type { StatusArgs } from '../args.js';
import { registerConfigSecrets } from '../configSecrets.js';
import type { CliContext } from '../context.js';
import { commandLogger } from '../createCli.js';
import { type CredentialArgs, configLoadOptions, credentialChainFor } from '../credentialOptions.js';
import type { GlobalArgs } from '../types.js';

/** One upstream as /ready reports it (the HTTP app's wire shape), or as the pool snapshot gives it. */
export type UpstreamRow = UpstreamStatus;

export interface StatusReport {
  source: 'proxy' | 'config';
  /** The /ready URL asked, or the config file read. */
  target: string;
  ready: boolean;
  deployment: string;
  upstreams: UpstreamRow[];
  /** A running proxy's open sessions per identity id. */
  sessionsByIdentity?: Record<string, number>;
  /** The proxy's and the upstreams' containers, when a Docker engine answers. */
  docker?: unknown;
}

/** States that count as healthy: connected, or switched off on purpose. */
const OK_STATES = new Set(['ready', 'disabled']);

export async function runStatus(args: StatusArgs & GlobalArgs, ctx: CliContext): Promise<number> {
  const report = args.url ? await fromProxy(args, ctx) : await fromConfig(args, ctx);
  const { createDockerClient, tryDockerStatus, formatDockerStatus } = await import('../../upstream/docker/index.js');
  const docker = await tryDockerStatus(() => createDockerClient(ctx.env));
  // Only worth a mention when an engine is there (most desktop setups have none).
  if (docker.available) report.docker = docker;
  // Both forms pass the redactor: what a proxy or an upstream reported may hold a secret this process knows.
  if (args.json) ctx.stdout.write(`${ctx.redactor.redact(JSON.stringify(report, null, 2))}\n`);
  else
    ctx.stdout.write(
      ctx.redactor.redact(
        renderReport(report) + (docker.available ? `\n${formatDockerStatus(docker).join('\n')}\n` : ''),
      ),
    );
  return exitCodeFor(report);
}

export function exitCodeFor(report: StatusReport): number {
  if (!report.ready) return 4;
  return report.upstreams.every((u) => OK_STATES.has(u.state)) ? 0 : 4;
}

function isStatusOnly(body: unknown): boolean {
  return typeof body === 'object' && body !== null && Object.keys(body).join() === 'status';
}

/** `http://h:p`, `http://h:p/mcp`, `http://h:p/ready` -> `http://h:p/ready` (keeping any path prefix). */
export function readyUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    throw new AppError('USAGE', `--url ${raw} is not a valid URL`, { hint: 'e.g. --url http://127.0.0.1:8765' });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new AppError('USAGE', `--url must be http(s), not ${u.protocol}`, {
      hint: 'e.g. --url http://127.0.0.1:8765',
    });
  }
  u.pathname = `${u.pathname.replace(/\/(mcp|sse|messages|ready|health|metrics)?\/?$/, '')}/ready`;
  u.search = '';
  u.hash = '';
  return u.href;
}

async function fromProxy(args: StatusArgs, ctx: CliContext): Promise<StatusReport> {
  const url = readyUrl(args.url!);
  const token =
    args.token ?? firstToken(credentialChainFor(args, ctx).lookup('MCP_PROXY_TOKEN') ?? ctx.env.MCP_PROXY_TOKEN);
  if (token) ctx.redactor.add(token);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await getJson(url, headers, args.timeout ?? DEFAULTS.cliTimeout);
  if (r.error !== undefined) {
    throw new AppError('UPSTREAM_UNAVAILABLE', `cannot reach the proxy at ${url}: ${r.error}`, {
      hint: 'is `mcp-proxy run --transport http` running there? check --url (default port 8765)',
    });
  }
  // Without a token a protected proxy's /ready answers only its status word (for probes): no report.
  const statusOnly = !token && isStatusOnly(r.body);
  if (r.status === 401 || statusOnly) {
    throw new AppError(
      'CREDENTIALS_INVALID',
      token ? `the proxy at ${url} refused the token (${mask(token)})` : `the proxy at ${url} requires a token`,
      { hint: 'pass --token or set the MCP_PROXY_TOKEN credential to a token the proxy accepts' },
    );
  }
  const body = r.body as
    | Partial<{ ready: boolean; upstreams: UpstreamRow[]; sessions: { byIdentity?: Record<string, number> } }>
    | undefined;
  if ((r.status !== 200 && r.status !== 503) || !body || !Array.isArray(body.upstreams)) {
    throw new AppError('UPSTREAM_FAILED', `${url} answered ${r.status} without a readiness report`, {
      hint: 'is this URL an mcp-proxy? its /ready answers JSON with an "upstreams" list',
    });
  }
  return {
    source: 'proxy',
    target: url,
    ready: r.status === 200 && body.ready !== false,
    deployment: ctx.deployment.kind,
    upstreams: body.upstreams.map(toRow),
    ...(body.sessions?.byIdentity && { sessionsByIdentity: sessionCounts(body.sessions.byIdentity) }),
  };
}

function sessionCounts(raw: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (raw && typeof raw === 'object') for (const [k, v] of Object.entries(raw)) out[k] = Number(v) || 0;
  return out;
}

async function fromConfig(args: StatusArgs & GlobalArgs, ctx: CliContext): Promise<StatusReport> {
  const loaded = await loadUpstreamConfig(args, ctx);
  const pool = await oneShotPool(loaded.config.mcpServers, loaded.config.proxy, args, ctx);
  let upstreams: UpstreamRow[];
  try {
    await within(pool.start(), args.timeout ?? DEFAULTS.cliTimeout);
    upstreams = pool.snapshot().map(toRow);
  } finally {
    await pool.close().catch(() => {});
  }
  return { source: 'config', target: loaded.path, ready: true, deployment: ctx.deployment.kind, upstreams };
}

/** The config whose upstreams a one-shot command (status, tools) connects to itself. */
export async function loadUpstreamConfig(args: CredentialArgs & { config?: string }, ctx: CliContext) {
  const { findAndLoadConfig } = await import('../../config/load.js');
  const chain = credentialChainFor(args, ctx);
  const loaded = await findAndLoadConfig(configLoadOptions(args.config, chain, ctx));
  if (!loaded) {
    throw new AppError('CONFIG_NOT_FOUND', 'no config file found to take the upstreams from', {
      hint: 'pass --config FILE, or --url URL to ask a running proxy',
    });
  }
  registerConfigSecrets(loaded.config.mcpServers, ctx.redactor);
  return loaded;
}

/** A pool for a one-shot command: one connect attempt per upstream, their stderr only with --verbose. */
export async function oneShotPool(
  configs: Record<string, UpstreamConfig>,
  proxy: ProxyConfig | undefined,
  args: GlobalArgs,
  ctx: CliContext,
) {
  const { createPool } = await import('../run/pool.js');
  return createPool(ctx, {
    configs,
    // One connect attempt per upstream: report what is found now, do not wait out retries.
    proxy: { ...proxy, retry: { ...proxy?.retry, maxAttempts: 1 } },
    logger: commandLogger(args, ctx, 'silent'),
    relayStderr: Boolean(args.verbose || args.debug),
  });
}

function toRow(u: Partial<UpstreamRow> & { name?: string }): UpstreamRow {
  return {
    name: String(u.name ?? '?'),
    type: String(u.type ?? '?'),
    state: String(u.state ?? 'unknown'),
    tools: Number(u.tools ?? 0),
    prompts: Number(u.prompts ?? 0),
    resources: Number(u.resources ?? 0),
    ...(u.latencyMs !== undefined && { latencyMs: Number(u.latencyMs) }),
    ...(u.lastError && { lastError: String(u.lastError) }),
    ...(u.restarts !== undefined && { restarts: Number(u.restarts) }),
    ...(u.breaker && { breaker: String(u.breaker) }),
    ...(u.balance && { balance: String(u.balance) }),
    ...(u.catalogMismatch && { catalogMismatch: String(u.catalogMismatch) }),
    ...(Array.isArray(u.replicas) && {
      replicas: u.replicas.map((x) => ({
        ...toRow(x),
        backup: x.backup === true,
        weight: Number(x.weight ?? 1),
        outstanding: Number(x.outstanding ?? 0),
      })),
    }),
  };
}

export function firstToken(raw: string | undefined): string | undefined {
  return raw?.split(/[\s,]+/).find(Boolean);
}

export function renderReport(r: StatusReport): string {
  const head = ['SERVER', 'TRANSPORT', 'STATE', 'TOOLS', 'PROMPTS', 'RESOURCES', 'LATENCY', 'RESTARTS', 'ERROR'];
  // A server with replicas is followed by one indented row per replica.
  const listed = r.upstreams.flatMap((u) => [
    u,
    ...(u.replicas ?? []).map((x) => ({ ...x, name: `  ${x.name}${x.backup ? ' (backup)' : ''}` })),
  ]);
  const rows = listed.map((u) => [
    u.name,
    u.type,
    u.breaker && u.breaker !== 'closed' ? `${u.state} (breaker ${u.breaker})` : u.state,
    String(u.tools),
    String(u.prompts),
    String(u.resources),
    u.latencyMs === undefined ? '-' : `${Math.round(u.latencyMs)} ms`,
    String(u.restarts ?? 0),
    oneLine(u.catalogMismatch ? `${u.catalogMismatch}${u.lastError ? `; ${u.lastError}` : ''}` : (u.lastError ?? '')),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const ok = r.upstreams.filter((u) => OK_STATES.has(u.state)).length;
  const from = r.source === 'proxy' ? `proxy ${r.target}` : `config ${r.target}`;
  const state = !r.ready ? 'starting (first connect round not done)' : `${ok}/${r.upstreams.length} upstreams ok`;
  const out = [`${from}: ${state}  [deployment: ${r.deployment}]`, ''];
  if (rows.length === 0) out.push('(no upstream servers configured)');
  else out.push(line(head), ...rows.map(line));
  if (r.sessionsByIdentity) out.push('', ...renderSessions(r.sessionsByIdentity));
  return `${out.join('\n')}\n`;
}

/** Open sessions per identity, most first. */
function renderSessions(by: Record<string, number>): string[] {
  const entries = Object.entries(by).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (!entries.length) return ['open sessions: none'];
  const w = Math.max('IDENTITY'.length, ...entries.map(([k]) => k.length));
  return [`${'IDENTITY'.padEnd(w)}  SESSIONS`, ...entries.map(([k, n]) => `${k.padEnd(w)}  ${n}`)];
}

function oneLine(s: string): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > 80 ? `${t.slice(0, 77)}...` : t;
}

interface JsonResult {
  status?: number;
  body?: unknown;
  error?: string;
}

/** GET with a deadline over node:http (fetch refuses some ports a user may pick); never rejects. */
function getJson(url: string, headers: Record<string, string>, timeoutMs: number): Promise<JsonResult> {
  return new Promise((resolve) => {
    const target = new URL(url);
    const lib = target.protocol === 'https:' ? https : http;
    const req = lib.get(target, { headers, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (text.length < 4 * 1024 * 1024) text += c;
      });
      res.on('end', () => {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode, body });
      });
      res.on('error', (e) => resolve({ error: errorMessage(e) }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ? `${e.code}` : e.message }));
  });
}
