/**
 * /mcp: 2025-era Streamable HTTP sessions (one transport and one Server per `Mcp-Session-Id`, served on
 * node objects directly: the hot path for 2025 clients), and the routing of everything else on /mcp to
 * the 2026 handler. A 2026 request names its revision in MCP-Protocol-Version and never carries a session
 * id; anything unclear goes through the SDK's own classification in the modern endpoint.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isInitializeRequest, PROTOCOL_VERSION_META_KEY } from '@modelcontextprotocol/server';
import { GRACE_OVER_MESSAGE } from '../../lifecycle.js';
import type { Logger } from '../../observability/logger.js';
import { isInitialize } from '../../protocol/jsonrpc.js';
import { readJsonBody } from './body.js';
import type { Drain } from './drain.js';
import type { ModernEndpoint } from './modern.js';
import { header, sendRefusal, sendRpcError } from './responses.js';
import type { Identity } from './security.js';
import { acceptRefusal, NodeSessionTransport } from './session-transport.js';
import type { RegisteredSession, SessionRegistry } from './sessions.js';
import type { Caller, DownstreamServer, ServerFactory } from './types.js';

export interface StreamableEndpointOptions {
  sessions: SessionRegistry<RegisteredSession>;
  modern: ModernEndpoint;
  serverFactory: ServerFactory;
  maxBodyBytes: number;
  keepAliveMs: number;
  /** Sessions with no request for this long are closed by `sweepIdle`. */
  idleMs: number;
  now: () => number;
  onerror: (e: Error) => void;
  log?: Logger;
  /** Counts the requests in flight; while draining, new sessions and 2026 requests are refused. */
  drain: Drain;
}

interface StreamableSession extends RegisteredSession {
  kind: 'streamable-http';
  transport: NodeSessionTransport;
  server: DownstreamServer;
  lastSeen: number;
  /** Requests in flight: a session serving one is never idle. */
  active: number;
  closing: boolean;
  /** Set once its initialize is answered with a result; until then the opening request may still refuse it. */
  initialized: boolean;
}

export class StreamableEndpoint {
  constructor(private readonly opts: StreamableEndpointOptions) {}

  async handle(req: IncomingMessage, res: ServerResponse, caller: Caller): Promise<void> {
    const { identity } = caller;
    const method = req.method ?? 'GET';
    let parsed: unknown;
    if (method === 'POST') {
      const body = await readJsonBody(req, res, this.opts.maxBodyBytes);
      if (!body) return;
      parsed = body.value;
    }
    const modernHeader = isModernRevision(header(req, 'mcp-protocol-version'));
    const sid = header(req, 'mcp-session-id');
    const { drain } = this.opts;
    // An open listen stream is not a call: shutdown must not wait for it.
    if (method !== 'GET' && !isListen(parsed)) drain.track(res, parsed);
    if (sid && !modernHeader) {
      // Another identity's session answers exactly as an unknown one.
      const session = this.opts.sessions.find(sid, 'streamable-http', identity) as StreamableSession | undefined;
      if (!session) {
        return sendRpcError(res, 404, 'Session not found: it expired or was closed; send initialize again', -32001);
      }
      this.trackActivity(session, res);
      session.transport.handle(req, res, parsed);
      return;
    }
    if (drain.refuse(res)) return;
    if (!sid && !modernHeader && method === 'POST' && isLegacyInitialize(parsed)) {
      return this.open(req, res, parsed, caller);
    }
    if (Array.isArray(parsed) && parsed.some(isInitialize)) {
      // As the 2025-03-26 revision says (later ones have no batches): without it this read as "no session".
      return sendRpcError(res, 400, 'Invalid Request: initialize must be sent alone, not in a batch', -32600);
    }
    // A 2026 request naming its revision (and no session) goes straight to the modern handler.
    await this.opts.modern.serve(req, res, parsed, modernHeader && !sid, caller);
  }

  /** Closes the sessions that have served nothing for `idleMs`. */
  sweepIdle(): void {
    const t = this.opts.now();
    for (const s of this.opts.sessions.values()) {
      if (s.kind !== 'streamable-http') continue;
      const session = s as StreamableSession;
      if (session.active === 0 && t - session.lastSeen >= this.opts.idleMs) void session.close('idle');
    }
  }

  /**
   * A 2025 `initialize` without a session id: a new session with its own transport and Server. What the
   * transport would refuse is refused before anything is created, and a session whose initialize ends
   * without a result (refused, or the client went away) is closed with its request: a refused request
   * never keeps a slot.
   */
  private async open(req: IncomingMessage, res: ServerResponse, body: unknown, caller: Caller): Promise<void> {
    const { identity, profile } = caller;
    const notAcceptable = acceptRefusal(req);
    if (notAcceptable) return sendRpcError(res, notAcceptable.status, notAcceptable.message, notAcceptable.code);
    const client = caller.client;
    const refused = this.opts.sessions.admit(client);
    if (refused) return sendRefusal(res, refused);
    const id = randomUUID();
    const server = await this.opts.serverFactory({
      era: 'legacy',
      sessionId: id,
      transport: 'streamable-http',
      identity,
      profile,
    });
    const session = this.register(id, identity, client, server);
    res.once('close', () => {
      if (!session.initialized) void session.close('initialize not answered');
    });
    try {
      await server.connect(session.transport);
    } catch (e) {
      await session.close('connect failed');
      throw e;
    }
    // The client may have gone away while the server was being built ('close' has fired already).
    if (res.destroyed) return session.close('initialize not answered');
    this.trackActivity(session, res);
    session.transport.handle(req, res, body);
  }

  private register(id: string, identity: Identity, client: string, server: DownstreamServer): StreamableSession {
    const { sessions, log } = this.opts;
    const session: StreamableSession = {
      id,
      kind: 'streamable-http',
      owner: identity.id,
      client,
      server,
      lastSeen: this.opts.now(),
      active: 0,
      closing: false,
      initialized: false,
      transport: new NodeSessionTransport({
        sessionId: id,
        keepAliveMs: this.opts.keepAliveMs,
        onsessionclosed: () => void session.close('deleted'),
        oninitialized: (ok) => {
          session.initialized = ok;
          if (ok) log?.debug({ transport: 'streamable-http' }, 'session opened');
          else void session.close('initialize refused');
        },
      }),
      async close(why) {
        if (session.closing) return;
        session.closing = true;
        sessions.remove(session);
        log?.debug({ why }, 'session closed');
        await session.transport.close(why === 'shutdown' ? GRACE_OVER_MESSAGE : undefined).catch(() => {});
        await session.server.close().catch(() => {});
      },
    };
    session.transport.onclose = () => void session.close('transport closed');
    session.transport.onerror = this.opts.onerror;
    sessions.add(session);
    return session;
  }

  private trackActivity(session: StreamableSession, res: ServerResponse): void {
    const now = this.opts.now;
    session.active++;
    session.lastSeen = now();
    // 'close' comes once per response: a plain listener, no once wrapper, on this per-request path.
    res.on('close', () => {
      session.active--;
      session.lastSeen = now();
    });
  }
}

/** A 2025 `initialize` (no 2026 envelope claim in `_meta`); batches go the SDK's way. */
function isLegacyInitialize(body: unknown): boolean {
  if (!isInitialize(body) || !isInitializeRequest(body)) return false;
  const meta = (body.params as { _meta?: Record<string, unknown> })._meta;
  return meta?.[PROTOCOL_VERSION_META_KEY] === undefined;
}

function isListen(body: unknown): boolean {
  return (body as { method?: unknown } | undefined)?.method === 'subscriptions/listen';
}

/** Revisions after 2025-11-25 are the stateless (2026-07-28 and later) era. */
function isModernRevision(v: string | undefined): boolean {
  return v !== undefined && v > '2025-11-25';
}
