/**
 * Starts the frontend `run` serves on: Streamable HTTP (bound before any upstream starts, so a port
 * in use is reported at once) or stdio. Each registers how it stops with the lifecycle.
 */
import type { Aggregator } from '../../aggregator/server.js';
import { callerOf } from '../../audit/caller.js';
import { DEFAULTS, type ProxyConfig } from '../../config/schema.js';
import type { LogRing } from '../../dashboard/logRing.js';
import type { EarlyStdio } from '../../frontends/earlyStdio.js';
import type { AccessControl } from '../../gateway/access.js';
import type { Lifecycle } from '../../lifecycle.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import type { UpstreamPool } from '../../upstream/pool.js';
import type { CliContext } from '../context.js';
import type { RunOptions } from './options.js';

export interface FrontendDeps {
  args: RunOptions;
  ctx: CliContext;
  proxy: ProxyConfig;
  logger: Logger;
  metrics: Metrics;
  agg: Aggregator;
  pool: UpstreamPool;
  lifecycle: Lifecycle;
  lookup: (name: string) => string | undefined;
  access: AccessControl;
  /** Where the config and the credentials file are (the keys file is found from them). */
  where: { configPath?: string; credentialsFile: string };
  /** Recent log lines (the dashboard's log view). */
  logs: LogRing;
  /** The reader that took a stdio client's first message while the proxy loaded. */
  earlyStdio?: EarlyStdio;
}

/** What a started frontend tells the composition root. */
export interface Served {
  /** Settles once the (stdio) client's first message is in, or stdin ended. */
  firstMessage?: Promise<void>;
  /** What the one (stdio) client declared in an `initialize` sent first (stdio.ts). */
  clientCapabilities?: Promise<Record<string, unknown> | undefined>;
}

export async function startHttp(d: FrontendDeps): Promise<Served> {
  const { args, ctx, proxy, agg, pool, lifecycle } = d;
  const log = d.logger.child({ component: 'run' });
  const { startHttpFrontend } = await import('../../frontends/http/start.js');
  const { HTTP_DEFAULTS } = await import('../../frontends/http/app.js');
  const tokens = httpTokens(d.lookup('MCP_PROXY_TOKEN') ?? ctx.env.MCP_PROXY_TOKEN);
  for (const t of tokens) ctx.redactor.add(t);
  const http = proxy.http ?? {};
  const { createHttpIdentities } = await import('./gateway.js');
  const ids = createHttpIdentities(proxy.auth, d.where, d.logger);
  lifecycle.add('keys', async () => ids.close());
  const dashboard = args.dashboard === false ? undefined : await startDashboard(d);
  const stateless = agg.statelessHandler();
  const frontend = await startHttpFrontend({
    host: args.host ?? proxy.host,
    port: args.port ?? proxy.port,
    allowUnauthenticated: args.allowUnauthenticated ?? http.allowUnauthenticated,
    allowedHosts: http.allowedHosts,
    allowedOrigins: http.allowedOrigins,
    maxBodyBytes: http.maxBodyBytes,
    maxSessions: http.maxSessions,
    maxSessionsPerClient: http.maxSessionsPerClient,
    sessionIdleTimeoutMs: http.sessionIdleTimeout,
    requestTimeoutMs: http.requestTimeout,
    headersTimeoutMs: http.headersTimeout,
    maxConnections: http.maxConnections,
    trustedProxies: http.trustedProxies,
    rateLimit: http.rateLimit ? { ...HTTP_DEFAULTS.rateLimit, ...definedOnly(http.rateLimit) } : undefined,
    perIdentityRateLimit: proxy.limits?.perIdentity
      ? { ...DEFAULTS.perIdentityLimit, ...definedOnly(proxy.limits.perIdentity) }
      : undefined,
    auth: { tokens, keys: ids.keys, oidc: ids.oidc, resource: ids.resource, scopes: ids.scopes },
    checkProfile: (name) => d.access.checkProfile(name),
    logger: d.logger,
    metrics: d.metrics,
    serverFactory: (c) =>
      agg.createServer({
        era: c.era,
        transient: c.era === 'modern',
        identity: c.identity,
        profile: c.profile,
        caller: callerOf(c.identity, c.sessionId),
      }),
    // Its caller is the request's identity (the handler's default: a stateless request has no session).
    statelessHot: stateless,
    status: () => ({ ready: pool.firstRoundDone, upstreams: pool.snapshot() }),
    dashboard,
  });
  // 2026-07-28 clients hear of list changes on their subscriptions/listen streams.
  agg.on('list_changed', (k) => frontend.app.notifyListChanged(k));
  // The listener stays open while draining, so probes see /ready turn 503 and late requests get a 503
  // a load balancer retries elsewhere rather than a refused connection; it closes with the frontend.
  lifecycle.addStopAccepting('http', () => frontend.app.drain());
  lifecycle.addInflight(() => frontend.app.inflight());
  lifecycle.add('http', () => frontend.close());
  const authOn = tokens.length > 0 || ids.keys.size > 0 || ids.oidc !== undefined;
  log.info(
    { url: frontend.url, auth: authOn, keys: ids.keys.size, oidc: ids.oidc !== undefined },
    `serving Streamable HTTP at ${frontend.url}`,
  );
  ctx.stderr.write(`mcp-proxy: listening on ${frontend.url}${authOn ? ' (bearer token required)' : ''}\n`);
  if (dashboard) ctx.stderr.write(`mcp-proxy: dashboard at ${frontend.baseUrl}/ui/\n`);
  return {};
}

async function startDashboard(d: FrontendDeps) {
  const { createDashboard } = await import('./dashboard.js');
  const dashboard = createDashboard({
    ctx: d.ctx,
    agg: d.agg,
    pool: d.pool,
    access: d.access,
    logs: d.logs,
    metrics: d.metrics,
    configPath: d.where.configPath,
    credentials: { credentials: d.args.credentials, envFile: d.args.envFile },
    maxBodyBytes: d.proxy.http?.maxBodyBytes,
    oidc: d.proxy.auth?.oidc,
  });
  d.lifecycle.add('dashboard', async () => dashboard.close());
  return dashboard;
}

export async function startStdio(d: FrontendDeps): Promise<Served> {
  const log = d.logger.child({ component: 'run' });
  const { startStdioFrontend } = await import('../../frontends/stdio.js');
  const stdio = startStdioFrontend(d.agg, d.logger, d.ctx.stdin, d.args.profile, d.earlyStdio);
  d.lifecycle.add('stdio', () => stdio.close());
  d.lifecycle.addInflight(() => stdio.pending());
  void stdio.closed.then(() => {
    if (d.lifecycle.isShuttingDown) return;
    log.info('stdin closed: shutting down');
    void d.lifecycle.shutdown('stdin closed');
  });
  return { firstMessage: stdio.firstMessage, clientCapabilities: stdio.clientCapabilities };
}

/** MCP_PROXY_TOKEN: one or more bearer tokens, comma- or space-separated. */
function httpTokens(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(/[\s,]+/)
    .map((t) => t.trim())
    .filter(Boolean);
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
