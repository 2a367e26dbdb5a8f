/**
 * Downstream sessions and where an upstream's server-to-client traffic goes. Attribution is by
 * construction, never by timing: a message belongs to the call it arrived for (the related request's
 * response stream of a Streamable HTTP upstream, or a connection owned by one session), or, on a
 * shared stream (stdio, SSE), to the one session with calls in flight on that upstream. When several
 * sessions have calls in flight there, nobody can tell: requests are refused and logs stay in the
 * proxy's own log, rather than reach a session they might not belong to.
 */

import type { LoggingLevel, RequestId, Server } from '@modelcontextprotocol/server';
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import type { Caller } from '../audit/caller.js';
import type { Identity } from '../gateway/identity.js';
import type { AccessView } from '../gateway/policy.js';
import type { Logger } from '../observability/logger.js';
import { missingCapabilities, requiredFor } from './inputCapabilities.js';

export type Era = 'legacy' | 'modern';

export interface Session {
  id: number;
  server: Server;
  era: Era;
  /** A stateless (2026-07-28 HTTP) request's server: answers one request, receives nothing later. */
  transient: boolean;
  subscriptions: Set<string>;
  /** The level this session asked for with logging/setLevel; undefined until it asks. */
  logLevel?: LoggingLevel;
  /** Who opened the session (HTTP: the authenticated caller; stdio: `local`). */
  identity: Identity;
  /** What this session's caller may see and use. */
  access: AccessView;
  /** Who opened the session, as the frontend knows it (the audit log and per-identity metrics). */
  caller?: Caller;
  /** This session as an origin of its own (the owner key of per-session upstream connections). */
  readonly self: CallOrigin;
  /**
   * The lists this session has been answered (tools, prompts, resources): list_changed goes only to a
   * session holding a list that changed. One that has not listed yet gets the current list when it asks,
   * so a start-up (a rebuild per server coming up) does not send it a notification per server.
   */
  listed: Listed;
}

export interface Listed {
  tools?: boolean;
  prompts?: boolean;
  resources?: boolean;
}

type LogParams = { level: LoggingLevel; logger?: string; data: unknown };

/** The downstream call an upstream request is made for. */
export interface CallOrigin {
  session: Session;
  /** The downstream request: related messages go on its stream. */
  requestId?: RequestId;
  /** A log related to the downstream request, through the SDK (honours a 2026 caller's per-request level). */
  log?: (params: LogParams) => Promise<void>;
  /** A 2026-07-28 caller's paused call: the upstream's requests become its input_required rounds. */
  ask?: (method: string, params: unknown) => Promise<unknown>;
  /** The client capabilities a 2026-07-28 caller declared on this request (its `_meta` envelope). */
  clientCapabilities?: Record<string, unknown>;
}

/** A new session's record; `self` makes it an origin of its own. */
export function newSession(id: number, server: Server, era: Era, transient: boolean): Session {
  const session = { id, server, era, subscriptions: new Set<string>(), transient, listed: {} } as Session;
  (session as { self: CallOrigin }).self = { session };
  return session;
}

const SEVERITY: LoggingLevel[] = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

export class SessionRouter {
  private readonly persistent = new Map<number, Session>();
  /** Calls in flight per upstream, with the call each one is made for. */
  private readonly inflight = new Map<string, Set<CallOrigin>>();
  private readonly warned = new Set<string>();
  private readonly log: Logger;

  constructor(logger: Logger) {
    this.log = logger;
  }

  register(session: Session): void {
    if (!session.transient) this.persistent.set(session.id, session);
  }

  drop(session: Session): void {
    this.persistent.delete(session.id);
  }

  get(id: number): Session | undefined {
    return this.persistent.get(id);
  }

  sessions(): IterableIterator<Session> {
    return this.persistent.values();
  }

  get size(): number {
    return this.persistent.size;
  }

  /** Marks a request to `upstream` in flight for `origin`; the returned function ends it. */
  begin(upstream: string, origin: CallOrigin): () => void {
    let set = this.inflight.get(upstream);
    if (!set) {
      set = new Set();
      this.inflight.set(upstream, set);
    }
    set.add(origin);
    return () => {
      set.delete(origin);
      if (set.size === 0 && this.inflight.get(upstream) === set) this.inflight.delete(upstream);
    };
  }

  /**
   * The call a server-to-client message of `upstream` belongs to, or why none can be named. A known
   * origin without a request id gets one of its session's calls in flight on that upstream.
   */
  private attribute(upstream: string, origin: CallOrigin | undefined): CallOrigin | string {
    const calls = this.inflight.get(upstream);
    if (origin) {
      if (origin.requestId !== undefined || !calls) return origin;
      for (const c of calls) if (c.session === origin.session) return c;
      return origin;
    }
    const sessions = new Set<Session>();
    let first: CallOrigin | undefined;
    for (const c of calls ?? []) {
      sessions.add(c.session);
      first ??= c;
    }
    if (sessions.size === 1) return first!;
    if (sessions.size > 1) {
      return `calls from ${sessions.size} client sessions are in flight on the shared connection to "${upstream}", so the proxy cannot tell which one this is for; set "isolation": "session" on this server to give each session its own connection`;
    }
    // Nothing in flight: only a lone client can be the one meant.
    if (this.persistent.size === 1) return [...this.persistent.values()][0].self;
    return `no call is in flight on "${upstream}" and ${this.persistent.size} client sessions are connected, so the proxy cannot tell which one this is for`;
  }

  /** A server-to-client request (sampling, elicitation, roots) of `upstream`, to the session it belongs to. */
  async request(
    upstream: string,
    method: string,
    params: unknown,
    signal: AbortSignal,
    origin: CallOrigin | undefined,
  ): Promise<any> {
    const target = this.attribute(upstream, origin);
    if (typeof target === 'string') {
      this.warnOnce(upstream, method, target);
      throw new ProtocolError(ProtocolErrorCode.InternalError, `${method} from "${upstream}" refused: ${target}`);
    }
    const { session } = target;
    const need =
      method === 'sampling/createMessage' ? 'sampling' : method === 'elicitation/create' ? 'elicitation' : 'roots';
    if (target.ask) {
      // Asked of a caller that did not declare it, the whole call would fail on the caller's side (an
      // upstream may ask for roots on its own, e.g. at its start, while a call happens to be in flight).
      const required = requiredFor({ method, params: params as Record<string, unknown> });
      if (target.clientCapabilities && required && missingCapabilities(required, target.clientCapabilities)) {
        throw new ProtocolError(
          ProtocolErrorCode.MethodNotFound,
          `${method}: the calling client did not declare ${need} on this request`,
        );
      }
      return target.ask(method, params);
    }
    if (session.transient) {
      throw new ProtocolError(
        ProtocolErrorCode.MethodNotFound,
        `${method}: the calling client speaks 2026-07-28 over stateless HTTP and cannot be sent requests during a call; the upstream must ask with an input_required result`,
      );
    }
    const caps = (session.server.getClientCapabilities() ?? {}) as Record<string, unknown>;
    if (!caps[need]) {
      throw new ProtocolError(
        ProtocolErrorCode.MethodNotFound,
        `${method}: the downstream client does not support ${need}`,
      );
    }
    return ask(session, method, params, { signal, relatedRequestId: target.requestId });
  }

  /**
   * An upstream log message: to the call it belongs to; with nothing in flight, to the sessions that
   * asked for logs (logging/setLevel), or the lone client; when it cannot be attributed, to nobody.
   */
  relayLog(upstream: string, params: LogParams, origin: CallOrigin | undefined): void {
    const msg = { ...params, logger: params.logger ? `${upstream}/${params.logger}` : upstream };
    if (origin || this.inflight.has(upstream)) {
      const target = this.attribute(upstream, origin);
      if (typeof target === 'string') {
        this.log.debug({ upstream }, 'upstream log message not relayed: it cannot be attributed to one session');
        return;
      }
      deliverLog(target, msg);
      return;
    }
    const lone = this.persistent.size === 1;
    for (const s of this.persistent.values()) {
      if (lone || s.logLevel !== undefined) deliverLog(s.self, msg);
    }
  }

  private warnOnce(upstream: string, method: string, why: string): void {
    const key = `${upstream}\0${method}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.log.warn({ upstream }, `${method} refused: ${why}`);
  }
}

function ask(
  session: Session,
  method: string,
  params: any,
  options: { signal: AbortSignal; relatedRequestId?: RequestId },
) {
  if (method === 'sampling/createMessage') return session.server.createMessage(params, options);
  if (method === 'elicitation/create') return session.server.elicitInput(params, options);
  return session.server.listRoots(params, options);
}

function deliverLog(target: CallOrigin, msg: LogParams): void {
  const { session } = target;
  if (session.era === 'modern' || session.transient) {
    // 2026-07-28: a log exists only within a request, at the level that request asked for.
    void target.log?.(msg).catch(() => {});
    return;
  }
  if (session.logLevel && SEVERITY.indexOf(msg.level) < SEVERITY.indexOf(session.logLevel)) return;
  void session.server
    .notification(
      { method: 'notifications/message', params: msg },
      target.requestId !== undefined ? { relatedRequestId: target.requestId } : undefined,
    )
    .catch(() => {});
}
