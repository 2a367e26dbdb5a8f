/**
 * One request on an upstream's current client: wait for a connect in progress, fail fast when the
 * upstream is down or its breaker is open, account the outcome to the upstream's health, recover an
 * expired session, and turn what went wrong into the error the caller sees.
 */
import type { Client } from '@modelcontextprotocol/client';
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/client';
import type { UpstreamConfig } from '../config/schema.js';
import { AppError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { isNestingOverflow } from '../protocol/jsonrpc.js';
import { sleep, within } from '../util/async.js';
import type { UpstreamBreaker } from './breaker.js';
import { isAnswer, isConnectionGone, isServerGone } from './errors.js';
import { HealthPinger } from './health.js';
import { isNeedsLogin } from './oauth/needsLogin.js';
import type { CallOptions } from './options.js';
import { withOrigin } from './origin.js';
import { type ExpiryPort, isSessionExpired, recordMethod, recoverFromExpiry } from './sessionExpiry.js';
import type { StatusKeeper } from './status.js';

/** What a call needs from its connection. */
export interface CallPort {
  name: string;
  type: UpstreamConfig['type'];
  log: Logger;
  status: StatusKeeper;
  breaker: UpstreamBreaker;
  client(): Client | undefined;
  /** The 2025-era session the current client holds on a Streamable HTTP upstream. */
  sessionId(): string | undefined;
  closing(): boolean;
  /** The connect in progress, if any. */
  connecting(): Promise<boolean> | undefined;
  connectTimeout: number;
  /** Drops the current client and connects again now; shared with a connect already in progress. */
  reconnect(reason: string): Promise<boolean>;
  /** The connect in progress (or whether the connection is ready). */
  /** An HTTP/SSE server that refused the connection: drop `client` and reconnect with backoff. */
  unreachable(client: Client, e: unknown): void;
  /** An OAuth login that ended (refresh refused): dropping it reports "needs login" in the status. */
  loggedOut(client: Client, e: unknown): void;
}

export class CallRunner {
  inflight = 0;
  lastActivity = Date.now();
  /** Clients dropped because the server expired their session. */
  private readonly expiredClients = new WeakSet<Client>();
  private readonly expiry: ExpiryPort;
  /** Pings the upstream through this call path when it has been idle (HTTP/SSE; see health.ts). */
  readonly pinger: HealthPinger;

  constructor(
    private readonly port: CallPort,
    health: { pingEvery: number; requestTimeout: number },
  ) {
    this.expiry = {
      name: port.name,
      log: port.log,
      reconnect: (reason) => port.reconnect(reason),
      pending: () => port.connecting() ?? Promise.resolve(port.status.state === 'ready'),
      noteExpiry: (why) => port.status.degrade(port.status.health.expired(why)),
      current: () => port.client(),
      lastError: () => port.status.lastError,
    };
    this.pinger = new HealthPinger({
      every: health.pingEvery,
      idle: (every) => port.status.state === 'ready' && this.inflight === 0 && Date.now() - this.lastActivity >= every,
      ping: (timeout) => this.run((c) => c.ping({ timeout }), { method: 'ping' }),
      requestTimeout: health.requestTimeout,
      log: port.log,
    });
  }

  /** Calls still in flight on `client` belong to a dead session: they take the same path as an expiry. */
  expire(client: Client): void {
    this.expiredClients.add(client);
  }

  async run<T>(fn: (client: Client) => Promise<T>, opts: CallOptions = {}): Promise<T> {
    const { port } = this;
    const { state } = port.status;
    // Only a connect in progress is waited for (the common case, a ready upstream, takes no turn).
    if (state === 'connecting' || state === 'restarting') await this.settle();
    const client = port.client();
    if (!client || port.status.state !== 'ready') throw new AppError('UPSTREAM_UNAVAILABLE', port.status.unavailable());
    const seen: { method?: string } = { method: opts.method };
    const sessionId = port.sessionId();
    // Only a Streamable HTTP upstream relates server-to-client messages to a request (its response stream).
    const origin = port.type === 'http' ? opts.origin : undefined;
    const send = (c: Client) => withOrigin(origin, () => fn(c));
    this.inflight++;
    try {
      const result = await this.guarded(() => send(recordMethod(client, seen)), client);
      port.status.answered();
      return result;
    } catch (e) {
      return await this.failed(e, { client, sessionId, method: seen.method, send });
    } finally {
      this.inflight--;
      this.lastActivity = Date.now();
    }
  }

  /** Waits for a connect in progress rather than fail a call that would succeed. */
  private async settle(): Promise<void> {
    const { state } = this.port.status;
    const connecting = this.port.connecting();
    // A (re-)initialize in progress is short and bounded by the handshake deadline: wait for it.
    if (state === 'connecting' && connecting) await connecting;
    // A server swapping in after a config change (or restarting after a crash) that is connecting
    // right now: wait for it, at most its connect timeout.
    else if (state === 'restarting' && connecting) {
      await within(
        connecting.catch(() => {}),
        this.port.connectTimeout,
      );
    }
  }

  /** Lets the calls in flight finish, at most `graceMs` or until `connected()` says no; returns those left. */
  async drain(graceMs: number, connected: () => boolean): Promise<number> {
    const deadline = Date.now() + graceMs;
    while (this.inflight > 0 && Date.now() < deadline && connected()) await sleep(20);
    return this.inflight;
  }

  /** A call on `client` failed with `e`: account it, maybe recover; throws what the caller sees. */
  private async failed<T>(
    e: unknown,
    call: { client: Client; sessionId?: string; method?: string; send: (c: Client) => Promise<T> },
  ): Promise<T> {
    const { port } = this;
    const { client } = call;
    if (isNestingOverflow(e)) {
      // The caller's arguments, not the server: JSON.stringify on the way upstream ran out of stack.
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        `the request to upstream "${port.name}" is nested too deeply to forward (JSON nesting exhausted the stack); flatten the arguments`,
      );
    }
    if (port.closing()) throw e;
    const current = client === port.client();
    const expired = isSessionExpired(port.type, call.sessionId, e) || this.expiredClients.has(client);
    if (!expired && current) {
      if (isAnswer(e)) port.status.answered();
      else port.status.degrade(port.status.health.failed(e, port.status.state === 'ready'));
    }
    if (!expired && isConnectionGone(e)) {
      // The connection went away while this call was on it (a crash, a restart, a reload).
      throw new AppError(
        'UPSTREAM_UNAVAILABLE',
        current
          ? `upstream "${port.name}" closed the connection during the call`
          : `${port.status.unavailable()} (the connection closed during the call)`,
      );
    }
    if (expired) {
      // Concurrent calls that hit the same expired session share one re-initialize.
      const result = await recoverFromExpiry(e, current, call.method ?? 'unknown', this.expiry, (fresh) =>
        this.guarded(() => call.send(fresh)),
      );
      port.status.answered();
      return result;
    }
    if (!current) throw e;
    if (isNeedsLogin(e)) port.loggedOut(client, e);
    if (isServerGone(e) && (port.type === 'http' || port.type === 'sse')) port.unreachable(client, e);
    throw e;
  }

  /**
   * Runs fn behind the circuit breaker. A failure of a call that was on a session we already gave up
   * (an expired one being re-initialized) says nothing about the server's health: not counted.
   */
  private guarded<T>(fn: () => Promise<T>, client?: Client): Promise<T> {
    return this.port.breaker.execute(fn, client ? () => this.expiredClients.has(client) : undefined);
  }
}
