/**
 * The HTTP frontend as a plain `node:http` request handler (it never listens itself; `startHttpFrontend`
 * does). It composes the parts, each in its own file:
 *
 * - `/mcp`       streamable.ts: 2025-era sessions; 2026-07-28 (stateless) requests go on to modern.ts.
 * - `/sse`, `/messages`  legacySse.ts: the deprecated HTTP+SSE transport for old clients.
 * - `/health`, `/ready`, `/metrics`  routes.ts.
 *
 * Safety: Host/Origin validation, CORS, the per-client rate limit and bearer tokens (guards.ts), the body
 * size limit (body.ts), open-session limits and sessions bound to the credential that opened them
 * (sessions.ts). Nothing here logs headers, tokens or session ids (a session id is bearer-like).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULTS } from '../../config/defaults.js';
import { errorMessage } from '../../errors.js';
import { GRACE_OVER_MESSAGE } from '../../lifecycle.js';
import type { Logger } from '../../observability/logger.js';
import { type Metrics, noopMetrics } from '../../observability/metrics.js';
import { Authenticator, type AuthOptions, METADATA_PATH } from './auth.js';
import { clientAddressResolver } from './clientAddress.js';
import { Drain } from './drain.js';
import { type RateLimitOptions, RequestGuard } from './guards.js';
import { LegacySseEndpoint } from './legacySse.js';
import { type ListChanges, ModernEndpoint } from './modern.js';
import { header, methodNotAllowed, sendRpcError } from './responses.js';
import { health, metricsText, notFound, readOnly, ready, readyStatusOnly, requestTarget } from './routes.js';
import { type RegisteredSession, SessionRegistry } from './sessions.js';
import { StreamableEndpoint } from './streamable.js';
import type { DashboardRoutes, HttpStatus, ServerFactory, StatelessHot } from './types.js';

export type { RateLimitOptions } from './guards.js';
export type {
  DashboardRoutes,
  DownstreamServer,
  HttpStatus,
  ServerFactory,
  ServerFactoryContext,
  StatelessHot,
  UpstreamStatus,
} from './types.js';

export interface HttpAppDeps {
  serverFactory: ServerFactory;
  /** 2026-07-28 hot requests served without a Server per request (modern.ts); absent: the SDK serves all. */
  statelessHot?: StatelessHot;
  status: () => HttpStatus;
  metrics?: Metrics;
  logger?: Logger;
  /** Bearer tokens, API keys, OIDC; none = no authentication. */
  auth?: AuthOptions;
  /**
   * Checks a profile a client asks for (`/mcp?profile=NAME`): an error message when there is no such
   * profile. Absent: profiles are refused.
   */
  checkProfile?: (name: string) => string | undefined;
  /** Allowed Host names (no port). `undefined` = any host (see `defaultAllowedHosts`). */
  allowedHosts?: string[];
  /** Origins (or hostnames) allowed besides loopback ones; also enables CORS for them. */
  allowedOrigins?: string[];
  /** Request body limit in bytes (default 4 MiB). */
  maxBodyBytes?: number;
  /** Open 2025-era sessions (Streamable HTTP + SSE) allowed at once (default 1000). */
  maxSessions?: number;
  /** Of those, open at once per client address (default 100). */
  maxSessionsPerClient?: number;
  /** Sessions with no request for this long are closed (default 30 minutes). */
  sessionIdleTimeoutMs?: number;
  /**
   * Load balancers and reverse proxies (IPs, CIDRs) whose X-Forwarded-For names the client; default none
   * (the socket's peer is the client).
   */
  trustedProxies?: string[];
  /** Per client address; `false` disables. Default 50000 requests per 10 s (a flood guard, not a quota). */
  rateLimit?: RateLimitOptions | false;
  /** Requests per authenticated identity (429 with Retry-After past it); absent = no such limit. */
  perIdentityRateLimit?: RateLimitOptions;
  /** SSE keep-alive comment interval in ms (default 15000; 0 disables). */
  keepAliveMs?: number;
  /** Clock for idle expiry and rate limiting (tests). */
  now?: () => number;
  /** The web dashboard (/ui, /api): absent = not served. */
  dashboard?: DashboardRoutes;
}

export interface HttpApp {
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  close(): Promise<void>;
  /** Open 2025-era sessions (Streamable HTTP + legacy SSE). */
  sessionCount(): number;
  /**
   * Starts draining (shutdown behind a load balancer): /ready answers 503, new sessions and 2026
   * requests are refused with 503, requests of open sessions are still served.
   */
  drain(): void;
  /** MCP requests whose response has not ended (open streams do not count). */
  inflight(): number;
  /**
   * Tells 2026-07-28 clients with an open `subscriptions/listen` stream that lists changed. (2025-era
   * sessions are told by their own Server, which the aggregator notifies.)
   */
  notifyListChanged(changed: ListChanges): void;
}

/** The HTTP frontend's defaults (the one table in config/defaults.ts). */
export const HTTP_DEFAULTS = DEFAULTS.http;

export function createHttpApp(deps: HttpAppDeps): HttpApp {
  const now = deps.now ?? Date.now;
  const metrics = deps.metrics ?? noopMetrics;
  const log = deps.logger?.child({ component: 'http' });
  const maxBodyBytes = deps.maxBodyBytes ?? HTTP_DEFAULTS.maxBodyBytes;
  const keepAliveMs = deps.keepAliveMs ?? HTTP_DEFAULTS.keepAliveMs;
  const idleMs = deps.sessionIdleTimeoutMs ?? HTTP_DEFAULTS.sessionIdleTimeoutMs;
  const onerror = (e: Error) => log?.debug({ err: e.message }, 'mcp transport error');

  const sessions = new SessionRegistry<RegisteredSession>(
    {
      maxSessions: deps.maxSessions ?? HTTP_DEFAULTS.maxSessions,
      maxSessionsPerClient: deps.maxSessionsPerClient ?? HTTP_DEFAULTS.maxSessionsPerClient,
    },
    () => publishSessions(),
  );
  const publishSessions = () => {
    metrics.setOpenSessions('streamable-http', sessions.count('streamable-http'));
    metrics.setOpenSessions('sse', sessions.count('sse'));
  };
  publishSessions();
  const auth = new Authenticator(deps.auth ?? { tokens: [] });
  const guard = new RequestGuard({
    auth,
    allowedHosts: deps.allowedHosts,
    allowedOrigins: deps.allowedOrigins,
    rateLimit: deps.rateLimit === false ? undefined : (deps.rateLimit ?? HTTP_DEFAULTS.rateLimit),
    perIdentity: deps.perIdentityRateLimit,
    onIdentityLimited: (identity) => metrics.incIdentityRateLimited(identity.id),
    clientOf: clientAddressResolver(deps.trustedProxies),
    now,
  });
  const endpoint = { serverFactory: deps.serverFactory, maxBodyBytes, keepAliveMs, onerror, log };
  const drain = new Drain();
  const modern = new ModernEndpoint({ ...endpoint, hot: deps.statelessHot });
  const mcp = new StreamableEndpoint({ ...endpoint, sessions, modern, idleMs, now, drain });
  const sse = new LegacySseEndpoint({ ...endpoint, sessions });
  const checkProfile = deps.checkProfile ?? ((name: string) => `unknown profile "${name}": no profiles are configured`);
  const parts: Parts = {
    guard,
    auth,
    checkProfile,
    mcp,
    sse,
    sessions,
    status: deps.status,
    metrics,
    dashboard: deps.dashboard,
    drain,
  };

  // Idle sessions and passed rate-limit windows are swept on one timer.
  const sweepEvery = Math.max(10, Math.min(Math.floor(idleMs / 2), 30_000));
  const sweeper = setInterval(() => {
    mcp.sweepIdle();
    guard.sweep();
  }, sweepEvery);
  sweeper.unref();

  let closed = false;
  return {
    handler(req, res) {
      if (closed) return sendRpcError(res, 503, 'Service Unavailable: the proxy is shutting down');
      const served = route(parts, req, res).catch((e) => {
        log?.error({ err: errorMessage(e), path: req.url?.split('?')[0] }, 'http request failed');
        if (!res.headersSent) sendRpcError(res, 500, 'Internal error', -32603);
        else res.end();
      });
      // The trace line's fields are built only when it is written (this runs for every request).
      if (!log?.isLevelEnabled('trace')) return;
      const started = now();
      void served.finally(() => {
        log.trace(
          { method: req.method, path: req.url?.split('?')[0], status: res.statusCode, ms: now() - started },
          'http',
        );
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(sweeper);
      await Promise.all([...sessions.values()].map((s) => s.close('shutdown')));
      // What is still open (2026 requests) is answered before the listener goes.
      drain.giveUp(GRACE_OVER_MESSAGE);
      await modern.close();
    },
    sessionCount: () => sessions.size,
    drain: () => drain.start(),
    inflight: () => drain.inflight,
    notifyListChanged(changed) {
      if (!closed) modern.notify(changed);
    },
  };
}

/** What a request is routed to. */
interface Parts {
  guard: RequestGuard;
  auth: Authenticator;
  checkProfile: (name: string) => string | undefined;
  mcp: StreamableEndpoint;
  sse: LegacySseEndpoint;
  sessions: SessionRegistry<RegisteredSession>;
  status: () => HttpStatus;
  metrics: Metrics;
  dashboard?: DashboardRoutes;
  drain: Drain;
}

async function route(p: Parts, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const target = requestTarget(req);
  const { path } = target;
  const method = (req.method ?? 'GET').toUpperCase();
  if (path === '/health') return readOnly(res, method) ? health(res) : undefined;

  const screened = p.guard.screen(req, res, method);
  if (!screened) return;
  // Probes (load balancers, kubelets) carry no credential: without one, /ready says only ready or not.
  if (path === '/ready' && p.auth.required && header(req, 'authorization') === undefined) {
    return readOnly(res, method) ? readyStatusOnly(res, p.status(), p.drain.draining) : undefined;
  }
  if (path === METADATA_PATH || path.startsWith(`${METADATA_PATH}/`)) {
    return readOnly(res, method) ? p.auth.serveMetadata(req, res) : undefined;
  }
  // The dashboard's public files are under /ui and /api, never /mcp.
  if (p.dashboard && path !== '/mcp') {
    if (path === '/' && method === 'GET') return redirect(res, '/ui/');
    if (await p.dashboard.servePublic(res, path, method)) return;
  }
  // A synchronous check (no token introspection) is not awaited: nothing is asynchronous on that path.
  const checked = p.guard.admit(req, res, screened);
  const admitted = checked instanceof Promise ? await checked : checked;
  if (!admitted) return;
  const { identity, client, cors } = admitted;
  const profile = target.hasQuery ? (target.url().searchParams.get('profile') ?? undefined) : undefined;
  if (profile !== undefined && (path === '/mcp' || path === '/sse')) {
    const problem = p.checkProfile(profile);
    if (problem) return sendRpcError(res, 400, `Bad Request: ${problem}`);
  }
  if (p.dashboard && path.startsWith('/api/v1/')) return p.dashboard.api(req, res, identity, target.url(), path);
  switch (path) {
    case '/mcp':
      return p.mcp.handle(req, res, { identity, client, profile });
    case '/sse':
      if (method !== 'GET') return methodNotAllowed(res, 'GET');
      if (p.drain.refuse(res)) return;
      return p.sse.open(res, cors, { identity, client, profile });
    case '/messages':
      if (method !== 'POST') return methodNotAllowed(res, 'POST');
      return p.sse.post(req, res, target.url(), identity);
    case '/ready':
      return readOnly(res, method) ? ready(res, p.status(), p.sessions, p.drain.draining) : undefined;
    case '/metrics':
      return readOnly(res, method) ? metricsText(res, p.metrics) : undefined;
    default:
      return notFound(res);
  }
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { location });
  res.end();
}
