/**
 * The HTTP frontend as a plain `node:http` request handler (it never listens itself; `startHttpFrontend`
 * does). Routes:
 *
 * - `/mcp`       Streamable HTTP for both protocol eras. 2026-07-28 (stateless, per-request envelope) goes to
 *                the SDK's `createMcpHandler` (legacy: 'reject'); 2025-era traffic (routed with the SDK's own
 *                `isLegacyRequest`) gets a sessionful wiring: one transport and one Server per `Mcp-Session-Id`.
 * - `/sse`, `/messages`  the deprecated HTTP+SSE transport for old clients.
 * - `/health`    liveness, never authenticated.
 * - `/ready`     503 until the first upstream connect round is done, then 200; per-upstream status as JSON.
 * - `/metrics`   Prometheus text.
 *
 * Safety: Host/Origin validation (DNS rebinding), bearer tokens, body size limit, open-session limits (in
 * all and per client address), sessions bound to the credential that opened them, and a per-client rate
 * limit. Nothing here logs headers, tokens or session ids (a session id is bearer-like).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createMcpHandler,
  isInitializeRequest,
  isJsonContentType,
  isLegacyRequest,
  type McpServer,
  PROTOCOL_VERSION_META_KEY,
  type Server,
} from '@modelcontextprotocol/server';
import { errorMessage } from '../../errors.js';
import { isInitialize } from '../../protocol/jsonrpc.js';
import type { Logger } from '../../observability/logger.js';
import { isRenderable, type Metrics, noopMetrics } from '../../observability/metrics.js';
import { checkHost, checkOrigin, type Identity, isConfiguredOrigin, RateLimiter, TokenVerifier } from './security.js';
import { acceptRefusal, NodeSessionTransport } from './session-transport.js';
import { clientAddress, type RegisteredSession, type SessionRefusal, SessionRegistry } from './sessions.js';
import { SseServerTransport } from './sse-transport.js';

/** What the pool reports per upstream (a local, minimal view of the pool's snapshot). */
export interface UpstreamStatus {
  name: string;
  type: string;
  state: string;
  tools: number;
  prompts: number;
  resources: number;
  lastError?: string;
  latencyMs?: number;
  restarts?: number;
  breaker?: string;
}

export interface HttpStatus {
  /** True once the first upstream connect round is done (`pool.firstRoundDone`). */
  ready: boolean;
  upstreams: UpstreamStatus[];
}

/** The downstream MCP server for one session (the aggregator's `Server`, or an `McpServer` in tests). */
export type DownstreamServer = Server | McpServer;

export interface ServerFactoryContext {
  era: 'legacy' | 'modern';
  /** Set for sessionful 2025-era sessions (Streamable HTTP and legacy SSE). */
  sessionId?: string;
  /** Which downstream transport the server will be connected to. */
  transport: 'streamable-http' | 'sse';
  /** Who opened the session (sessionful sessions only): the auth step's identity, never a credential. */
  identity?: Identity;
}

export type ServerFactory = (ctx: ServerFactoryContext) => DownstreamServer | Promise<DownstreamServer>;

export interface RateLimitOptions {
  windowMs: number;
  max: number;
}

export interface HttpAppDeps {
  serverFactory: ServerFactory;
  status: () => HttpStatus;
  metrics?: Metrics;
  logger?: Logger;
  /** Bearer tokens; empty or absent = no authentication. */
  auth?: { tokens: string[] };
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
  /** Per client address; `false` disables. Default 50000 requests per 10 s (a flood guard, not a quota). */
  rateLimit?: RateLimitOptions | false;
  /** SSE keep-alive comment interval in ms (default 15000; 0 disables). */
  keepAliveMs?: number;
  /** Clock for idle expiry and rate limiting (tests). */
  now?: () => number;
}

export interface HttpApp {
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  close(): Promise<void>;
  /** Open 2025-era sessions (Streamable HTTP + legacy SSE). */
  sessionCount(): number;
  /**
   * Tells 2026-07-28 clients with an open `subscriptions/listen` stream that lists changed. (2025-era
   * sessions are told by their own Server, which the aggregator notifies.)
   */
  notifyListChanged(changed: { tools?: boolean; prompts?: boolean; resources?: boolean }): void;
}

export const HTTP_DEFAULTS = {
  maxBodyBytes: 4 * 1024 * 1024,
  maxSessions: 1000,
  maxSessionsPerClient: 100,
  sessionIdleTimeoutMs: 30 * 60_000,
  rateLimit: { windowMs: 10_000, max: 50_000 },
  keepAliveMs: 15_000,
} as const;

const MCP_HEADERS =
  'Content-Type, Authorization, Mcp-Session-Id, Mcp-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID';

interface LegacySession extends RegisteredSession {
  kind: 'streamable-http';
  transport: NodeSessionTransport;
  server: DownstreamServer;
  lastSeen: number;
  active: number;
  closing: boolean;
  /** Set once its initialize is answered with a result; until then the opening request may still refuse it. */
  initialized: boolean;
}

interface SseSession extends RegisteredSession {
  kind: 'sse';
  transport: SseServerTransport;
  server?: DownstreamServer;
}

type Session = LegacySession | SseSession;

export function createHttpApp(deps: HttpAppDeps): HttpApp {
  const now = deps.now ?? Date.now;
  const metrics = deps.metrics ?? noopMetrics;
  const log = deps.logger?.child({ component: 'http' });
  const maxBody = deps.maxBodyBytes ?? HTTP_DEFAULTS.maxBodyBytes;
  const sessions = new SessionRegistry<Session>({
    maxSessions: deps.maxSessions ?? HTTP_DEFAULTS.maxSessions,
    maxSessionsPerClient: deps.maxSessionsPerClient ?? HTTP_DEFAULTS.maxSessionsPerClient,
  });
  const idleMs = deps.sessionIdleTimeoutMs ?? HTTP_DEFAULTS.sessionIdleTimeoutMs;
  const keepAliveMs = deps.keepAliveMs ?? HTTP_DEFAULTS.keepAliveMs;
  const tokens = new TokenVerifier(deps.auth?.tokens ?? []);
  const rl = deps.rateLimit === false ? undefined : (deps.rateLimit ?? HTTP_DEFAULTS.rateLimit);
  const limiter = rl ? new RateLimiter(rl.windowMs, rl.max, now) : undefined;
  let closed = false;

  const onerror = (e: Error) => log?.debug({ err: e.message }, 'mcp transport error');

  const modern = createMcpHandler((ctx) => deps.serverFactory({ era: ctx.era, transport: 'streamable-http' }), {
    legacy: 'reject',
    maxRequestBodySize: maxBody,
    keepAliveMs,
    onerror,
  });

  const sessionCount = () => sessions.size;
  const publishSessions = () => {
    metrics.setOpenSessions('streamable-http', sessions.count('streamable-http'));
    metrics.setOpenSessions('sse', sessions.count('sse'));
  };
  publishSessions();

  // ---------------------------------------------------------------- 2025-era Streamable HTTP (sessionful)

  async function closeLegacySession(s: LegacySession, why: string): Promise<void> {
    if (s.closing) return;
    s.closing = true;
    sessions.remove(s);
    publishSessions();
    log?.debug({ why }, 'session closed');
    await s.transport.close().catch(() => {});
    await s.server.close().catch(() => {});
  }

  /**
   * A 2025 `initialize` without a session id: a new session with its own transport and Server. What the
   * transport would refuse is refused before anything is created, and a session whose initialize ends
   * without a result (refused, or the client went away) is closed with its request: a refused request
   * never keeps a slot.
   */
  async function openLegacySession(
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    identity: Identity,
  ): Promise<void> {
    const notAcceptable = acceptRefusal(req);
    if (notAcceptable) return sendJson(res, notAcceptable.status, rpcError(notAcceptable.code, notAcceptable.message));
    const client = clientAddress(req.socket.remoteAddress);
    const refused = sessions.admit(client);
    if (refused) return sendRefusal(res, refused);
    const id = randomUUID();
    const server = await deps.serverFactory({ era: 'legacy', sessionId: id, transport: 'streamable-http', identity });
    const session: LegacySession = {
      id,
      kind: 'streamable-http',
      owner: identity.key,
      client,
      server,
      lastSeen: now(),
      active: 0,
      closing: false,
      initialized: false,
      transport: new NodeSessionTransport({
        sessionId: id,
        keepAliveMs,
        onsessionclosed: () => void closeLegacySession(session, 'deleted'),
        oninitialized: (ok) => {
          session.initialized = ok;
          if (ok) log?.debug({ transport: 'streamable-http' }, 'session opened');
          else void closeLegacySession(session, 'initialize refused');
        },
      }),
    };
    session.transport.onclose = () => void closeLegacySession(session, 'transport closed');
    session.transport.onerror = onerror;
    sessions.add(session);
    publishSessions();
    res.once('close', () => {
      if (!session.initialized) void closeLegacySession(session, 'initialize not answered');
    });
    try {
      await server.connect(session.transport);
    } catch (e) {
      await closeLegacySession(session, 'connect failed');
      throw e;
    }
    // The client may have gone away while the server was being built ('close' has fired already).
    if (res.destroyed) return closeLegacySession(session, 'initialize not answered');
    trackActivity(session, res);
    session.transport.handle(req, res, body);
  }

  function trackActivity(session: LegacySession, res: ServerResponse): void {
    session.active++;
    session.lastSeen = now();
    res.once('close', () => {
      session.active--;
      session.lastSeen = now();
    });
  }

  /** 2025-era traffic the fast paths did not take: only refusals are left. */
  async function legacyFetch(request: Request): Promise<Response> {
    if (request.headers.get('mcp-session-id')) {
      return rpcErrorResponse(
        400,
        -32000,
        'Bad Request: MCP-Protocol-Version names a 2026 revision but the request is a 2025-era (session) request',
      );
    }
    return rpcErrorResponse(400, -32000, 'Bad Request: Mcp-Session-Id header is required (send initialize first)');
  }

  async function mcpFetch(request: Request, options?: { parsedBody?: unknown }): Promise<Response> {
    const parsedBody = options?.parsedBody;
    if (await isLegacyRequest(request, parsedBody, { maxRequestBodySize: maxBody })) return legacyFetch(request);
    return modern.fetch(request, parsedBody === undefined ? undefined : { parsedBody });
  }

  /**
   * Node request -> the fetch-shaped SDK handlers -> Node response. Leaner than the SDK's generic
   * `toNodeHandler` on the hot path: the body is already parsed (handed over as `parsedBody`, so the
   * `Request` carries none and nothing is serialized again), a 2026 request that names its revision
   * skips the era classification the modern handler repeats anyway, and a JSON answer is written in
   * one piece instead of through the web stream reader. An SSE answer is streamed as it comes.
   */
  async function serveFetch(req: IncomingMessage, res: ServerResponse, parsed: unknown, modernOnly: boolean) {
    const abort = new AbortController();
    let finished = false;
    res.once('close', () => {
      if (!finished) abort.abort();
    });
    let response: Response;
    try {
      const request = toBodylessRequest(req, abort.signal);
      const options = parsed === undefined ? undefined : { parsedBody: parsed };
      response = modernOnly ? await modern.fetch(request, options) : await mcpFetch(request, options);
    } catch (e) {
      onerror(e instanceof Error ? e : new Error(String(e)));
      const id = (parsed as { id?: unknown } | undefined)?.id;
      const echoed = typeof id === 'string' || typeof id === 'number' ? id : null;
      response = Response.json({ ...rpcError(-32603, 'Internal error'), id: echoed }, { status: 500 });
    }
    const headers: Record<string, string> = {};
    response.headers.forEach((v, k) => {
      headers[k] = v;
    });
    if (response.body === null) {
      finished = true;
      res.writeHead(response.status, headers);
      res.end();
      return;
    }
    if (!headers['content-type']?.startsWith('text/event-stream')) {
      const body = Buffer.from(await response.arrayBuffer());
      finished = true;
      headers['content-length'] = String(body.length);
      res.writeHead(response.status, headers);
      res.end(body);
      return;
    }
    res.writeHead(response.status, headers);
    res.flushHeaders();
    const reader = response.body.getReader();
    abort.signal.addEventListener('abort', () => void reader.cancel().catch(() => {}), { once: true });
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done || abort.signal.aborted) break;
        if (!res.write(value))
          await new Promise<void>((r) => {
            const release = () => {
              res.off('drain', release);
              abort.signal.removeEventListener('abort', release);
              r();
            };
            res.on('drain', release);
            abort.signal.addEventListener('abort', release, { once: true });
          });
      }
    } catch {
      // The client went away or the stream failed: end what was sent.
    }
    finished = true;
    res.end();
  }

  async function handleMcp(req: IncomingMessage, res: ServerResponse, identity: Identity): Promise<void> {
    const method = req.method ?? 'GET';
    let parsed: unknown;
    if (method === 'POST') {
      if (!isJsonContentType(header(req, 'content-type') ?? null)) {
        return sendJson(res, 415, rpcError(-32000, 'Unsupported Media Type: Content-Type must be application/json'));
      }
      const body = await readBody(req, maxBody);
      if (body === TOO_LARGE) return sendTooLarge(res, maxBody);
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        return sendJson(res, 400, rpcError(-32700, 'Parse error: the request body is not valid JSON'));
      }
    }
    // Fast paths for 2025-era sessions, on node objects directly. A 2026 request names its revision in
    // MCP-Protocol-Version (and never carries a session id); anything else goes through the SDK's own
    // classification (isLegacyRequest) to the modern handler or to a refusal.
    const modernHeader = isModernRevision(header(req, 'mcp-protocol-version'));
    const sid = header(req, 'mcp-session-id');
    if (sid && !modernHeader) {
      // Another identity's session answers exactly as an unknown one.
      const session = sessions.find(sid, 'streamable-http', identity) as LegacySession | undefined;
      if (!session) {
        return sendJson(
          res,
          404,
          rpcError(-32001, 'Session not found: it expired or was closed; send initialize again'),
        );
      }
      trackActivity(session, res);
      session.transport.handle(req, res, parsed);
      return;
    }
    if (!sid && !modernHeader && method === 'POST' && isLegacyInitialize(parsed)) {
      return openLegacySession(req, res, parsed, identity);
    }
    // A 2026 request naming its revision (and no session) goes straight to the modern handler.
    await serveFetch(req, res, parsed, modernHeader && !sid);
  }

  // ---------------------------------------------------------------- legacy HTTP+SSE

  async function handleSseOpen(
    req: IncomingMessage,
    res: ServerResponse,
    cors: Record<string, string>,
    identity: Identity,
  ) {
    const client = clientAddress(req.socket.remoteAddress);
    const refused = sessions.admit(client);
    if (refused) return sendRefusal(res, refused);
    const id = randomUUID();
    const transport = new SseServerTransport(res, {
      sessionId: id,
      endpoint: `/messages?sessionId=${id}`,
      keepAliveMs,
      headers: cors,
    });
    const session: SseSession = { id, kind: 'sse', owner: identity.key, client, transport };
    sessions.add(session);
    publishSessions();
    transport.onclose = () => {
      if (sessions.remove(session)) publishSessions();
      log?.debug({ transport: 'sse' }, 'session closed');
      void session.server?.close().catch(() => {});
    };
    transport.onerror = onerror;
    try {
      session.server = await deps.serverFactory({ era: 'legacy', sessionId: id, transport: 'sse', identity });
      if (transport.isClosed || res.destroyed) {
        // Gone before the stream started: the transport never saw its close, so free the slot here.
        if (sessions.remove(session)) publishSessions();
        await session.server.close().catch(() => {});
        return;
      }
      await session.server.connect(transport);
      log?.debug({ transport: 'sse' }, 'session opened');
    } catch (e) {
      sessions.remove(session);
      publishSessions();
      throw e;
    }
  }

  async function handleSseMessage(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    identity: Identity,
  ): Promise<void> {
    const id = url.searchParams.get('sessionId');
    if (!id) return sendJson(res, 400, rpcError(-32000, 'Bad Request: sessionId query parameter is required'));
    // Another identity's session answers exactly as an unknown one.
    const s = sessions.find(id, 'sse', identity) as SseSession | undefined;
    if (!s) return sendJson(res, 404, rpcError(-32001, 'Session not found: open a new stream with GET /sse'));
    if (!isJsonContentType(header(req, 'content-type') ?? null)) {
      return sendJson(res, 415, rpcError(-32000, 'Unsupported Media Type: Content-Type must be application/json'));
    }
    const body = await readBody(req, maxBody);
    if (body === TOO_LARGE) return sendTooLarge(res, maxBody);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return sendJson(res, 400, rpcError(-32700, 'Parse error: the request body is not valid JSON'));
    }
    try {
      s.transport.handlePostedBody(parsed);
    } catch (e) {
      return sendJson(res, 400, rpcError(-32600, `Invalid Request: ${errorMessage(e)}`));
    }
    res.writeHead(202, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('Accepted');
  }

  // ---------------------------------------------------------------- routing

  function corsHeaders(req: IncomingMessage): Record<string, string> {
    const origin = header(req, 'origin');
    if (!isConfiguredOrigin(origin, deps.allowedOrigins)) return {};
    return {
      'access-control-allow-origin': origin!,
      vary: 'Origin',
      'access-control-expose-headers': 'Mcp-Session-Id, Mcp-Protocol-Version, WWW-Authenticate',
    };
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    const method = (req.method ?? 'GET').toUpperCase();

    if (path === '/health') {
      if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(res, 'GET, HEAD');
      return sendJson(res, 200, { status: 'ok' });
    }

    const rejected =
      checkHost(header(req, 'host'), deps.allowedHosts) ?? checkOrigin(header(req, 'origin'), deps.allowedOrigins);
    if (rejected) return sendJson(res, rejected.status, rpcError(-32000, rejected.message));

    const cors = corsHeaders(req);
    for (const [k, v] of Object.entries(cors)) res.setHeader(k, v);
    if (method === 'OPTIONS') {
      if (cors['access-control-allow-origin']) {
        res.setHeader('access-control-allow-methods', 'GET, POST, DELETE, OPTIONS');
        res.setHeader('access-control-allow-headers', MCP_HEADERS);
        res.setHeader('access-control-max-age', '600');
      }
      res.writeHead(204);
      res.end();
      return;
    }

    if (limiter) {
      const wait = limiter.hit(req.socket.remoteAddress ?? 'unknown');
      if (wait !== undefined) {
        res.setHeader('retry-after', String(wait));
        return sendJson(res, 429, rpcError(-32000, `Too Many Requests: retry after ${wait} s`));
      }
    }

    const identity = tokens.identify(header(req, 'authorization'));
    if (!identity) {
      res.setHeader('www-authenticate', 'Bearer realm="mcp-proxy"');
      return sendJson(
        res,
        401,
        rpcError(-32001, 'Unauthorized: send "Authorization: Bearer <token>" with a token the proxy accepts'),
      );
    }

    switch (path) {
      case '/mcp':
        return handleMcp(req, res, identity);
      case '/sse':
        if (method !== 'GET') return methodNotAllowed(res, 'GET');
        return handleSseOpen(req, res, cors, identity);
      case '/messages':
        if (method !== 'POST') return methodNotAllowed(res, 'POST');
        return handleSseMessage(req, res, url, identity);
      case '/ready': {
        if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(res, 'GET, HEAD');
        const st = deps.status();
        return sendJson(res, st.ready ? 200 : 503, {
          status: st.ready ? 'ready' : 'starting',
          ready: st.ready,
          upstreams: st.upstreams,
          sessions: { 'streamable-http': sessions.count('streamable-http'), sse: sessions.count('sse') },
        });
      }
      case '/metrics': {
        if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(res, 'GET, HEAD');
        if (!isRenderable(metrics)) return sendJson(res, 404, { error: 'metrics are disabled' });
        const text = await metrics.render();
        res.writeHead(200, { 'content-type': metrics.contentType });
        res.end(text);
        return;
      }
      default:
        return sendJson(res, 404, {
          error: 'not found',
          paths: ['/mcp', '/sse', '/messages', '/health', '/ready', '/metrics'],
        });
    }
  }

  // ---------------------------------------------------------------- idle sweep

  const sweepEvery = Math.max(10, Math.min(Math.floor(idleMs / 2), 30_000));
  const sweeper = setInterval(() => {
    const t = now();
    for (const s of sessions.values()) {
      if (s.kind === 'streamable-http' && s.active === 0 && t - s.lastSeen >= idleMs)
        void closeLegacySession(s, 'idle');
    }
    limiter?.sweep();
  }, sweepEvery);
  sweeper.unref();

  return {
    handler(req, res) {
      if (closed) {
        sendJson(res, 503, rpcError(-32000, 'Service Unavailable: the proxy is shutting down'));
        return;
      }
      const started = now();
      route(req, res)
        .catch((e) => {
          log?.error({ err: errorMessage(e), path: req.url?.split('?')[0] }, 'http request failed');
          if (!res.headersSent) sendJson(res, 500, rpcError(-32603, 'Internal error'));
          else res.end();
        })
        .finally(() => {
          log?.trace(
            { method: req.method, path: req.url?.split('?')[0], status: res.statusCode, ms: now() - started },
            'http',
          );
        });
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(sweeper);
      await Promise.all([
        ...[...sessions.values()].map((s) =>
          s.kind === 'sse' ? s.transport.close() : closeLegacySession(s, 'shutdown'),
        ),
        modern.close(),
      ]);
      publishSessions();
    },
    sessionCount,
    notifyListChanged(changed) {
      if (closed) return;
      if (changed.tools) modern.notify.toolsChanged();
      if (changed.prompts) modern.notify.promptsChanged();
      if (changed.resources) modern.notify.resourcesChanged();
    },
  };
}

// ---------------------------------------------------------------- helpers

const TOO_LARGE = Symbol('too-large');

function readBody(req: IncomingMessage, max: number): Promise<Buffer | typeof TOO_LARGE> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) return Promise.resolve(TOO_LARGE);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > max) {
        done = true;
        req.pause();
        resolve(TOO_LARGE);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
      done = true;
    });
    req.on('error', (e) => {
      if (!done) reject(e);
      done = true;
    });
  });
}

/** A 2025 `initialize` (no 2026 envelope claim in `_meta`); batches go the SDK's way. */
function isLegacyInitialize(body: unknown): boolean {
  if (!isInitialize(body) || !isInitializeRequest(body)) return false;
  const meta = (body.params as { _meta?: Record<string, unknown> })._meta;
  return meta?.[PROTOCOL_VERSION_META_KEY] === undefined;
}

/** Revisions after 2025-11-25 are the stateless (2026-07-28 and later) era. */
function isModernRevision(v: string | undefined): boolean {
  return v !== undefined && v > '2025-11-25';
}

/**
 * The web `Request` the SDK handlers take, without a body: the body was read and parsed already and
 * travels as `parsedBody` (the handlers read nothing else when it is given).
 */
function toBodylessRequest(req: IncomingMessage, signal: AbortSignal): Request {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name === 'content-length' || name === 'transfer-encoding' || name === 'content-encoding') continue;
    if (name.startsWith(':')) continue;
    headers.append(name, raw[i + 1]!);
  }
  return new Request(`http://${header(req, 'host') ?? 'localhost'}${req.url ?? '/'}`, {
    method: req.method ?? 'GET',
    headers,
    signal,
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function rpcError(code: number, message: string): object {
  return { jsonrpc: '2.0', error: { code, message }, id: null };
}

function rpcErrorResponse(status: number, code: number, message: string): Response {
  return Response.json(rpcError(code, message), { status });
}

function sendRefusal(res: ServerResponse, r: SessionRefusal): void {
  res.setHeader('retry-after', '5');
  sendJson(res, r.status, rpcError(-32000, r.message));
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendTooLarge(res: ServerResponse, max: number): void {
  res.setHeader('connection', 'close');
  sendJson(res, 413, rpcError(-32000, `Payload Too Large: the request body exceeds ${max} bytes`));
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  res.setHeader('allow', allow);
  sendJson(res, 405, rpcError(-32000, `Method Not Allowed (allowed: ${allow})`));
}
