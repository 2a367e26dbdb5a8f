/**
 * One upstream server: connect with a timeout, keep its catalog, restart with backoff when it
 * crashes, fail fast behind a circuit breaker, and report its status truthfully. This class holds the
 * state and the transitions; its parts live beside it: one connect attempt (connectAttempt.ts) and
 * its handshake (handshake.ts), when to retry (restartPolicy.ts), the breaker (breaker.ts), call
 * health and the idle pinger (health.ts), expired sessions (sessionExpiry.ts), what an error means
 * (errors.ts), and the status snapshot (status.ts).
 */
import { EventEmitter } from 'node:events';
import type { Client, ServerCapabilities } from '@modelcontextprotocol/client';
import type { UpstreamConfig } from '../config/schema.js';
import { errorMessage, isAppError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { UpstreamBreaker } from './breaker.js';
import { type CallPort, CallRunner } from './calls.js';
import { type Connected, connectAttempt, type Link, release } from './connectAttempt.js';
import { describeConnectError, isTimeout, logTrouble, safeUrl, transportTrouble } from './errors.js';
import { openLane } from './fastLane.js';
import { isNeedsLogin } from './oauth/needsLogin.js';
import type { CallOptions, ConnectionOptions } from './options.js';
import { detached } from './origin.js';
import { Relisting, type RelistingPort } from './relisting.js';
import { RestartPolicy } from './restartPolicy.js';
import { StatusKeeper, type UpstreamCatalog, type UpstreamState, type UpstreamStatus } from './status.js';
import type { Upstream } from './upstream.js';

// What other modules import along with the connection: they need not know how its parts are laid out.
export { isUpstreamFailure } from './errors.js';
export { type ConnectionOptions, DEFAULT_RETRY, type DownstreamBridge } from './options.js';
export type { UpstreamCatalog, UpstreamStatus } from './status.js';

export class UpstreamConnection extends EventEmitter implements Upstream {
  readonly name: string;
  readonly config: UpstreamConfig;
  private readonly opts: ConnectionOptions;
  private readonly log: Logger;
  /** The live connection, while ready. */
  private link?: Link;
  private readonly report: StatusKeeper;
  private readonly policy: RestartPolicy;
  private readonly breaker: UpstreamBreaker;
  private readonly calls: CallRunner;
  private retryTimer?: NodeJS.Timeout;
  private closing = false;
  private firstAttempt?: Promise<void>;
  private resolveFirst?: () => void;
  /** The connect in progress (shared by everyone waiting for it), and how to abandon it. */
  private connecting?: Promise<boolean>;
  private abandon?: AbortController;
  /** Bumped per connect, so events of an old client are ignored. */
  private generation = 0;
  private warnedGarbage = false;
  /** `auto` found this server refuses 2025-11-25 initialize: negotiate 2026-07-28 from now on. */
  private modernOnly = false;
  /** Why the transport is about to close the connection itself (e.g. a stdout line over the limit). */
  private closeCause?: string;
  private readonly relisting: Relisting;
  instructions?: string;
  capabilities?: ServerCapabilities;
  serverInfo?: { name: string; version: string };

  constructor(opts: ConnectionOptions) {
    super();
    this.opts = opts;
    this.name = opts.name;
    this.config = opts.config;
    this.log = opts.logger.child({ component: `upstream:${opts.name}` });
    const redact = opts.redact ?? ((text: string) => text);
    const emit = (event: 'status' | 'catalog' = 'status') => this.emit(event);
    const initial = opts.config.disabled ? 'disabled' : 'connecting';
    const report = new StatusKeeper(this.name, initial, { metrics: opts.metrics, log: this.log, redact, emit });
    this.report = report;
    if (opts.replacing && !opts.config.disabled) report.swapIn(opts.replacing);
    const type = opts.config.type;
    this.policy = new RestartPolicy(opts.retry, type === 'stdio' || type === 'docker');
    this.breaker = new UpstreamBreaker(this.name, opts.breaker, redact);
    this.breaker.reportTo({ metrics: opts.metrics, log: this.log, quiet: () => report.retired, changed: emit });
    const remote = this.config.type === 'http' || this.config.type === 'sse';
    const pingEvery = remote ? (opts.healthCheckInterval ?? 0) : 0;
    this.calls = new CallRunner(this.callPort(), { pingEvery, requestTimeout: this.requestTimeout });
    const port: RelistingPort = {
      log: this.log,
      redact,
      report,
      requestTimeout: this.requestTimeout,
      client: (generation) => (generation === this.generation ? this.link?.client : undefined),
      current: (generation) => generation === this.generation,
      emitCatalog: () => this.emit('catalog'),
    };
    this.relisting = new Relisting(port, opts.restAfter);
  }

  /** Set while the prompts and resources of a connect that listed its tools first are still to list. */
  get restListing(): Promise<void> | undefined {
    return this.relisting.pending;
  }

  private callPort(): CallPort {
    return {
      name: this.name,
      type: this.config.type,
      log: this.log,
      status: this.report,
      breaker: this.breaker,
      client: () => this.link?.client,
      sessionId: () => (this.link?.transport.transport as { sessionId?: string } | undefined)?.sessionId,
      closing: () => this.closing,
      connecting: () => this.connecting,
      connectTimeout: this.connectTimeout,
      reconnect: (reason) => this.reconnect(reason),
      unreachable: (client, e) => this.drop(client, `cannot reach ${safeUrl(this.config)}: ${errorMessage(e)}`),
      loggedOut: (client, e) => this.loggedOut(client, errorMessage(e)),
    };
  }

  get state(): UpstreamState {
    return this.report.state;
  }
  get catalog(): UpstreamCatalog {
    return this.report.catalog;
  }
  get lastError(): string | undefined {
    return this.report.lastError;
  }
  /** Ready and its breaker not open: a call sent now would be tried (a replica group picks among these). */
  get available(): boolean {
    return this.report.state === 'ready' && this.breaker.state !== 'open';
  }
  /** The request timeout for this server. */
  get requestTimeout(): number {
    return this.config.timeout ?? this.opts.requestTimeout;
  }
  private get connectTimeout(): number {
    return this.config.connectTimeout ?? this.opts.connectTimeout;
  }

  status(): UpstreamStatus {
    return this.report.snapshot({
      type: this.config.type,
      restarts: this.policy.restarts,
      breaker: this.breaker.state,
      protocolVersion: this.link?.client.getNegotiatedProtocolVersion(),
    });
  }

  /** Starts connecting; resolves when the first attempt has succeeded or failed (never rejects). */
  start(): Promise<void> {
    if (this.report.state === 'disabled') return Promise.resolve();
    if (!this.firstAttempt) {
      this.firstAttempt = new Promise((resolve) => {
        this.resolveFirst = resolve;
      });
      void this.connect();
    }
    return this.firstAttempt;
  }

  /** One connect attempt (shared while in progress); on failure it schedules the next. */
  private connect(): Promise<boolean> {
    if (!this.connecting) {
      this.connecting = detached(() => this.attempt()).finally(() => {
        this.connecting = undefined;
      });
    }
    return this.connecting;
  }

  private async attempt(): Promise<boolean> {
    if (this.closing) return false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const generation = ++this.generation;
    this.policy.attemptStarted();
    const stale = () => this.closing || generation !== this.generation;
    const abandon = new AbortController();
    this.abandon = abandon;
    try {
      const outcome = await connectAttempt({
        name: this.name,
        config: this.config,
        transportDeps: this.opts.transportDeps,
        openTransport: this.opts.openTransport,
        timeout: this.connectTimeout,
        signal: abandon.signal,
        declare: this.opts.declare,
        toolsFirst: this.relisting.toolsFirst,
        client: {
          name: this.name,
          protocol: this.config.protocol,
          modernOnly: this.modernOnly,
          bridge: this.opts.bridge,
          owner: this.opts.owner,
          onListChanged: () => void this.refresh(generation),
        },
        stale,
        log: this.relisting.listingLog,
        onEarlyError: (e, client) => this.onTransportError(e, client),
        onModernOnly: (e) => {
          this.modernOnly = true;
          this.log.info({ err: errorMessage(e) }, 'the server refused 2025-11-25 initialize; negotiating 2026-07-28');
        },
      });
      if (stale()) {
        if (outcome.ok) await release(outcome);
        return false;
      }
      if (outcome.ok) {
        this.connected(outcome, generation);
        return true;
      }
      this.connectFailed(outcome.error, outcome.exit);
      return false;
    } finally {
      if (this.abandon === abandon) this.abandon = undefined;
      this.resolveFirst?.();
      this.resolveFirst = undefined;
    }
  }

  private connected(outcome: Connected, generation: number): void {
    const { client, catalog, ms } = outcome;
    this.link = { client, transport: outcome.transport };
    openLane(client, outcome.transport.transport);
    this.instructions = client.getInstructions();
    this.capabilities = client.getServerCapabilities();
    this.serverInfo = client.getServerVersion();
    this.report.latencyMs = ms;
    this.report.nextRetryAt = undefined;
    this.policy.connected();
    client.onclose = () => this.onClosed(generation);
    client.onerror = (e) => this.onTransportError(e, client);
    this.report.catalog = catalog;
    this.report.set('ready', '');
    const { tools, prompts, resources } = catalog;
    const protocol = client.getNegotiatedProtocolVersion();
    const counts = outcome.restPending
      ? { tools: tools.length, rest: 'listed next' }
      : { tools: tools.length, prompts: prompts.length, resources: resources.length };
    this.log.info({ ...counts, protocol, ms }, 'connected');
    this.relisting.connected(generation, outcome.restPending);
    // Always: a rebuild while this server was down may have dropped its entries.
    this.emit('catalog');
    this.calls.pinger.start();
  }

  /**
   * After a failed attempt: give up (permanent error, attempts or restart limit, a server that never
   * answers), wait for a login, or retry with backoff. A timed-out process is one we stopped: how it ended says nothing.
   */
  private connectFailed(e: unknown, exit: string | undefined): void {
    const timedOut = isTimeout(e);
    const message = exit && !timedOut ? `the server ${exit}` : describeConnectError(e, this.name);
    const permanent = isAppError(e) && e.code === 'UPSTREAM_FAILED';
    const timeoutMs = this.connectTimeout;
    const decision = isNeedsLogin(e)
      ? { login: true }
      : this.policy.connectFailed(Date.now(), { message, permanent, timedOut, timeoutMs });
    if ('login' in decision) this.awaitLogin(message);
    else if ('giveUp' in decision) {
      this.report.stop('failed', decision.giveUp);
      this.log.error({ err: decision.giveUp }, 'failed to connect; not retrying');
    } else {
      this.retryIn(decision.retryIn, 'retrying', message);
      const attempt = this.policy.attempts;
      this.log.warn({ err: message, retryInMs: decision.retryIn, attempt }, 'connect failed; will retry');
    }
    this.report.clearCatalog();
  }

  private retryIn(delay: number, state: UpstreamState, reason: string): void {
    this.report.nextRetryAt = Date.now() + delay;
    this.report.set(state, reason);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
    this.retryTimer.unref();
  }

  private onTransportError(e: Error, client: Client): void {
    const t = transportTrouble(e, this.config.type);
    // A legacy SSE session lives on its stream (its EventSource retry would never re-initialize it).
    if (t.kind === 'stream-dropped') this.drop(client, t.reason);
    else {
      // An overflow: the transport closes the connection next; say why instead of "closed unexpectedly".
      if (t.kind === 'overflow') this.closeCause = t.message;
      this.warnedGarbage = logTrouble(this.log, this.name, t, this.warnedGarbage);
    }
  }

  /** The client's connection ended without us closing it: the process died or the stream dropped. */
  private onClosed(generation: number): void {
    if (generation !== this.generation || this.closing) return;
    const transport = this.link?.transport;
    this.link = undefined;
    const exit = transport?.describeExit?.();
    const cause = this.closeCause;
    this.closeCause = undefined;
    void transport?.dispose().catch(() => {});
    this.lost(cause ?? (exit ? `the server ${exit}` : 'the connection closed unexpectedly'));
  }

  /**
   * The upstream went away while ready: restart (processes, limited per window) or reconnect
   * (HTTP/SSE, with backoff). In-flight calls have already failed with "connection closed".
   */
  private lost(reason: string): void {
    this.opts.metrics.incUpstreamRestarts(this.name);
    const decision = this.policy.lost(Date.now(), reason);
    if ('giveUp' in decision) {
      this.report.stop('failed', decision.giveUp);
      this.log.error(decision.giveUp);
      return;
    }
    this.retryIn(decision.retryIn, this.policy.isProcess ? 'restarting' : 'retrying', reason);
    const what = this.policy.isProcess ? 'server exited; restarting' : 'connection lost; reconnecting';
    this.log.warn({ err: reason, inMs: decision.retryIn }, what);
  }

  /** An HTTP/SSE connection is dead: drop `client` (if still current) and reconnect with backoff. */
  private drop(client: Client, reason: string): void {
    if (this.unlink(client)) this.lost(reason);
  }

  /** The OAuth login ended during a call: drop `client`; no reconnect until a new login. */
  private loggedOut(client: Client, reason: string): void {
    if (this.unlink(client)) this.awaitLogin(reason);
  }

  /** Releases `client` if it is still the current one (and we are not closing); false otherwise. */
  private unlink(client: Client): boolean {
    if (this.closing || client !== this.link?.client) return false;
    const link = this.link;
    this.link = undefined;
    this.generation++;
    void release(link);
    return true;
  }

  /** Only the user can help (`auth login`): no retries; the token-file watch applies the config again. */
  private awaitLogin(reason: string): void {
    this.report.stop('needs-login', reason);
    this.log.error({ err: reason }, 'needs an OAuth login; not connecting until one is made');
  }

  /** Drops the current client and connects again now (an expired session, a dead HTTP server). */
  private async reconnect(reason: string): Promise<boolean> {
    if (this.connecting) return this.connecting;
    if (this.closing) return false;
    const link = this.link;
    this.link = undefined;
    this.generation++;
    // Calls still in flight on the old session fail when it closes; they take the same path as a 404.
    if (link) this.calls.expire(link.client);
    this.log.info({ reason }, 'reconnecting');
    this.report.set('connecting', reason);
    const done = this.connect();
    // Closing the old client fails its in-flight requests (they belonged to the dead session).
    void release(link);
    return done;
  }

  /** Re-lists everything after a list_changed; emits 'catalog' when something changed. */
  refresh(generation = this.generation): Promise<void> {
    return this.relisting.refresh(generation);
  }

  /** Runs one request against the upstream (see calls.ts: waiting, breaker, expired sessions). */
  call<T>(fn: (client: Client) => Promise<T>, opts: CallOptions = {}): Promise<T> {
    return this.calls.run(fn, opts);
  }

  /** Tells the upstream the downstream roots changed (it will ask roots/list again). */
  async notifyRootsChanged(): Promise<void> {
    await this.link?.client.sendRootsListChanged?.().catch(() => {});
  }

  /** Replaced (its config changed, or removed): out of status and metrics; the calls in flight on it
   * finish (at most graceMs), then it closes. */
  async retire(graceMs: number): Promise<void> {
    this.report.retired = true;
    this.stopping();
    const inflight = await this.calls.drain(graceMs, () => this.link !== undefined);
    if (inflight > 0) this.log.warn({ inflight, graceMs }, 'replaced connection: closing with calls still in flight');
    await this.close();
  }

  async close(): Promise<void> {
    this.stopping();
    this.resolveFirst?.();
    const link = this.link;
    this.link = undefined;
    this.report.nextRetryAt = undefined;
    if (this.report.state !== 'disabled') this.report.set('closed');
    await release(link);
    // The abandoned connect in progress stops its own transport.
    await this.connecting?.catch(() => {});
  }

  /** No more reconnects or pings from here on. */
  private stopping(): void {
    this.closing = true;
    // A connect in progress is abandoned, not awaited: a server hanging at start must not hold up shutdown.
    this.abandon?.abort();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.calls.pinger.stop();
  }
}
