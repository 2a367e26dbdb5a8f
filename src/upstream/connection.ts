/**
 * One upstream server: connect with a timeout, keep its catalog, restart with backoff when it
 * crashes, fail fast behind a circuit breaker, and report its status truthfully.
 */
import { EventEmitter } from 'node:events';
import type {
  ClientCapabilities,
  Prompt,
  Resource,
  ResourceTemplateType,
  ServerCapabilities,
  Tool,
} from '@modelcontextprotocol/client';
import { Client, ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/client';
import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
} from 'cockatiel';
import type { UpstreamConfig } from '../config/schema.js';
import { DEFAULTS } from '../config/schema.js';
import { AppError, errorMessage, isAppError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { RedactFn } from '../observability/redact.js';
import { isNestingOverflow } from '../protocol/jsonrpc.js';
import { VERSION } from '../version.js';
import { isNeedsLogin } from './oauth/needsLogin.js';
import { currentOrigin, detached, withOrigin } from './origin.js';
import { createTransport, type TransportDeps, type UpstreamTransport } from './transports.js';

/**
 * `degraded` is only ever reported (status, metrics): a connected server whose calls keep failing.
 * It still takes calls (one success makes it `ready` again), so `state` stays `ready` meanwhile.
 */
export type UpstreamState =
  | 'connecting'
  | 'ready'
  | 'degraded'
  | 'retrying'
  | 'restarting'
  | 'failed'
  | 'disabled'
  | 'closed';
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface UpstreamCatalog {
  tools: Tool[];
  prompts: Prompt[];
  resources: Resource[];
  resourceTemplates: ResourceTemplateType[];
}

export interface UpstreamStatus {
  name: string;
  type: UpstreamConfig['type'];
  state: UpstreamState;
  tools: number;
  prompts: number;
  resources: number;
  lastError?: string;
  /** Connect (handshake + first listing) time of the last successful connect, ms. */
  latencyMs?: number;
  restarts: number;
  breaker: BreakerState;
  protocolVersion?: string;
  nextRetryAt?: string;
}

/**
 * Where server-to-client traffic of an upstream goes: the aggregator routes it to a session.
 * `origin` is the call it arrived for, when that is known (see origin.ts), or the session that owns a
 * per-session connection; undefined when the protocol does not say.
 */
export interface DownstreamBridge {
  /** sampling/createMessage, elicitation/create, roots/list from an upstream. */
  request(
    upstream: string,
    method: string,
    params: unknown,
    signal: AbortSignal,
    origin?: object,
  ): Promise<Record<string, unknown>>;
  /** notifications/message and notifications/resources/updated from an upstream. */
  notify(upstream: string, method: string, params: unknown, origin?: object): void;
}

export interface RetryPolicy {
  initialDelay: number;
  maxDelay: number;
  /** Connect attempts before giving up; 0 = keep trying. */
  maxAttempts: number;
  maxRestarts: number;
  restartWindow: number;
}

export interface ConnectionOptions {
  name: string;
  config: UpstreamConfig;
  transportDeps: TransportDeps;
  logger: Logger;
  metrics: Metrics;
  bridge?: DownstreamBridge;
  connectTimeout: number;
  requestTimeout: number;
  retry: RetryPolicy;
  breaker: { failureThreshold: number; halfOpenAfter: number };
  /** Ping an idle HTTP/SSE upstream this often, ms (0 = never). */
  healthCheckInterval?: number;
  /** The downstream session that owns this connection (isolation "session"): all its traffic is that session's. */
  owner?: object;
  /**
   * Masks registered secrets. Applied to every upstream-derived text this connection keeps or builds
   * an error from (last error, last call error, exit descriptions with stderr tails), so /ready,
   * status and errors to clients never carry a secret the upstream printed.
   */
  redact?: RedactFn;
  /**
   * The catalog of the connection this one replaces (a changed config): its public names stay listed
   * while it connects, and calls wait for it instead of finding an unknown tool.
   */
  replacing?: UpstreamCatalog;
}

/** Consecutive failed calls after which a connected upstream is reported degraded. */
export const DEGRADED_AFTER = 3;

export const DEFAULT_RETRY: RetryPolicy = {
  initialDelay: 500,
  maxDelay: 30_000,
  maxAttempts: 0,
  maxRestarts: 5,
  restartWindow: 60_000,
};

const EMPTY_CATALOG: UpstreamCatalog = { tools: [], prompts: [], resources: [], resourceTemplates: [] };

/**
 * The capabilities the proxy declares upstream: it relays these to the downstream session. One
 * connection serves every client (and a 2025 hop fixes capabilities at initialize), so extensions
 * are the ones the proxy relays whole: MCP Apps (a tool's `ui://` resource is served byte-identical
 * under its public URI, and the app's own tool calls are routed); a host that renders no UI shows
 * the tool's text content, which MCP Apps servers must always return.
 */
const CLIENT_CAPABILITIES: ClientCapabilities = {
  sampling: {},
  elicitation: { form: {}, url: {} },
  roots: { listChanged: true },
  extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: ['text/html;profile=mcp-app'] } },
};

/** Errors that mean the upstream is unhealthy (not an answer it chose to give, not a caller's cancel). */
export function isUpstreamFailure(e: unknown): boolean {
  if (isAppError(e)) return e.code === 'UPSTREAM_UNAVAILABLE';
  const err = e as { code?: unknown; data?: { timeout?: unknown }; status?: unknown } | undefined;
  const code = err?.code;
  const msg = errorMessage(e).toLowerCase();
  if (code === 'REQUEST_TIMEOUT') {
    // The SDK also reports a caller's abort under this code; only a real timeout is the upstream's fault.
    return err?.data?.timeout !== undefined || msg.includes('timed out') || msg.includes('maximum total timeout');
  }
  const status = httpStatus(e);
  // Not 404: on a 2025-era server that is an expired session, handled by re-initializing.
  if (status !== undefined) return status >= 500 || status === 429;
  return (
    code === -32001 || // SDK request timeout (v1 wire code)
    code === 'CONNECTION_CLOSED' ||
    code === 'NOT_CONNECTED' ||
    isNetworkError(e) ||
    msg.includes('timed out') ||
    msg.includes('connection closed') ||
    msg.includes('not connected')
  );
}

/** The HTTP status an SDK HTTP error carries, if any. */
function httpStatus(e: unknown): number | undefined {
  const err = e as { status?: unknown; data?: { status?: unknown } } | undefined;
  const s = err?.status ?? err?.data?.status;
  return typeof s === 'number' ? s : undefined;
}

/** fetch failures: refused, reset, DNS, a socket dropped mid-response. */
function isNetworkError(e: unknown): boolean {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur; i++) {
    const c = cur as { code?: unknown; message?: unknown; cause?: unknown };
    if (
      typeof c.code === 'string' &&
      /^(ECONNREFUSED|ECONNRESET|EPIPE|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|UND_ERR_SOCKET|UND_ERR_CLOSED|UND_ERR_CONNECT_TIMEOUT)$/.test(
        c.code,
      )
    )
      return true;
    const m = typeof c.message === 'string' ? c.message.toLowerCase() : '';
    if (m === 'fetch failed' || m.includes('socket hang up') || m.includes('other side closed') || m === 'terminated')
      return true;
    cur = c.cause;
  }
  return false;
}

/** Connection refused / host unreachable: the server is not there (as opposed to one bad answer). */
function isServerGone(e: unknown): boolean {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur; i++) {
    const c = cur as { code?: unknown; cause?: unknown };
    if (typeof c.code === 'string' && /^(ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ENOTFOUND)$/.test(c.code)) return true;
    cur = c.cause;
  }
  return false;
}

/** Methods that do not change anything upstream: safe to send again after a re-initialize. */
const READ_ONLY_METHODS = new Set([
  'tools/list',
  'prompts/list',
  'prompts/get',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'completion/complete',
  'ping',
]);
const READ_ONLY_CLIENT_CALLS: Record<string, string> = {
  listTools: 'tools/list',
  listPrompts: 'prompts/list',
  getPrompt: 'prompts/get',
  listResources: 'resources/list',
  listResourceTemplates: 'resources/templates/list',
  readResource: 'resources/read',
  complete: 'completion/complete',
  ping: 'ping',
  callTool: 'tools/call',
  subscribeResource: 'resources/subscribe',
  unsubscribeResource: 'resources/unsubscribe',
};

export interface CallOptions {
  /** The MCP method this call sends (decides whether it may be retried after a re-initialize). */
  method?: string;
  /** The downstream call this request is made for (see origin.ts). */
  origin?: object;
}

export class UpstreamConnection extends EventEmitter {
  readonly name: string;
  readonly config: UpstreamConfig;
  private readonly opts: ConnectionOptions;
  private readonly log: Logger;
  private readonly redact: RedactFn;
  private client?: Client;
  private transport?: UpstreamTransport;
  private _state: UpstreamState;
  private _lastError?: string;
  private _latencyMs?: number;
  private _restarts = 0;
  /** When the process of this upstream ended (or failed to come up), within restartWindow. */
  private exitTimes: number[] = [];
  private attempts = 0;
  private retryTimer?: NodeJS.Timeout;
  private nextRetryAt?: number;
  private closing = false;
  private _catalog: UpstreamCatalog = EMPTY_CATALOG;
  private readonly breaker: CircuitBreakerPolicy;
  private firstAttempt?: Promise<void>;
  private resolveFirst?: () => void;
  /** The connect in progress (shared by everyone waiting for it). */
  private connecting?: Promise<boolean>;
  /** Bumped per connect, so events of an old client are ignored. */
  private generation = 0;
  private warnedGarbage = false;
  /** `auto` found this server refuses 2025-11-25 initialize: negotiate 2026-07-28 from now on. */
  private modernOnly = false;
  private healthTimer?: NodeJS.Timeout;
  /** Clients dropped because the server expired their session (see call()). */
  private readonly expiredClients = new WeakSet<Client>();
  private lastActivity = Date.now();
  private inflightCalls = 0;
  /** Calls in a row that failed at the transport level (no answer from the server). */
  private consecutiveFailures = 0;
  /** Session expiries without a call answered in between (they span re-initializes). */
  private expiriesInARow = 0;
  private degraded = false;
  /** Replaced by a new connection: finishing its calls, then closing; no status, metrics or reconnects. */
  private retired = false;
  /** Replacing an older connection (see ConnectionOptions.replacing) until the first connect ends. */
  private swapping = false;
  /** Why the transport is about to close the connection itself (e.g. a stdout line over the limit). */
  private closeCause?: string;
  instructions?: string;
  capabilities?: ServerCapabilities;
  serverInfo?: { name: string; version: string };

  constructor(opts: ConnectionOptions) {
    super();
    this.opts = opts;
    this.name = opts.name;
    this.config = opts.config;
    this.log = opts.logger.child({ component: `upstream:${opts.name}` });
    this.redact = opts.redact ?? ((text) => text);
    this._state = opts.config.disabled ? 'disabled' : 'connecting';
    if (opts.replacing && !opts.config.disabled) {
      // Listed as restarting (its entries kept) rather than connecting (no entries) while it swaps in.
      this._state = 'restarting';
      this._catalog = opts.replacing;
      this.swapping = true;
    }
    this.breaker = circuitBreaker(handleWhen(isUpstreamFailure), {
      halfOpenAfter: opts.breaker.halfOpenAfter,
      breaker: new ConsecutiveBreaker(opts.breaker.failureThreshold),
    });
    this.opts.metrics.setBreakerState(this.name, 'closed');
    this.breaker.onStateChange((s) => {
      if (this.retired) return;
      const state = breakerName(s);
      this.opts.metrics.setBreakerState(this.name, state);
      if (state === 'open') {
        this.log.warn(
          { breaker: state, probeInMs: opts.breaker.halfOpenAfter },
          `circuit breaker open after ${opts.breaker.failureThreshold} consecutive failures: calls fail fast until a probe succeeds`,
        );
      } else {
        this.log.info({ breaker: state }, `circuit breaker ${state}`);
      }
      this.emit('status');
    });
  }

  get state(): UpstreamState {
    return this._state;
  }
  get catalog(): UpstreamCatalog {
    return this._catalog;
  }
  get lastError(): string | undefined {
    return this._lastError && this.redact(this._lastError);
  }
  /** True for upstreams that are a process we run (a crash loop ends in 'failed'). */
  private get isProcess(): boolean {
    return this.config.type === 'stdio' || this.config.type === 'docker';
  }

  status(): UpstreamStatus {
    return {
      name: this.name,
      type: this.config.type,
      state: this._state === 'ready' && this.degraded ? 'degraded' : this._state,
      tools: this._catalog.tools.length,
      prompts: this._catalog.prompts.length,
      resources: this._catalog.resources.length + this._catalog.resourceTemplates.length,
      // Masked again on the way out: a secret registered after the error was kept is covered too.
      lastError: this._lastError && this.redact(this._lastError),
      latencyMs: this._latencyMs,
      restarts: this._restarts,
      breaker: breakerName(this.breaker.state),
      protocolVersion: this.client?.getNegotiatedProtocolVersion(),
      nextRetryAt:
        this.nextRetryAt && (this._state === 'retrying' || this._state === 'restarting')
          ? new Date(this.nextRetryAt).toISOString()
          : undefined,
    };
  }

  /** Starts connecting; resolves when the first attempt has succeeded or failed (never rejects). */
  start(): Promise<void> {
    if (this._state === 'disabled') return Promise.resolve();
    if (!this.firstAttempt) {
      this.firstAttempt = new Promise((resolve) => {
        this.resolveFirst = resolve;
      });
      void this.connect();
    }
    return this.firstAttempt;
  }

  private setState(state: UpstreamState, error?: string): void {
    this._state = state;
    if (error !== undefined) this._lastError = this.redact(error) || undefined;
    // A new connection (or a new session) starts with a clean record.
    this.degraded = false;
    this.consecutiveFailures = 0;
    if (state !== 'restarting') this.swapping = false;
    // The connection that replaced a retired one owns the metrics and the status now.
    if (this.retired) return;
    this.opts.metrics.setUpstreamUp(this.name, state === 'ready');
    this.emit('status');
  }

  /** A call got an answer (a result or an error the server chose to give): healthy again. */
  private noteAnswer(): void {
    this.consecutiveFailures = 0;
    this.expiriesInARow = 0;
    if (!this.degraded) return;
    this.degraded = false;
    this._lastError = undefined;
    if (this.retired) return;
    this.log.info('calls succeed again: upstream healthy');
    this.opts.metrics.setUpstreamUp(this.name, this._state === 'ready');
    this.emit('status');
  }

  /** A call got no answer from the server: after DEGRADED_AFTER in a row it is reported degraded. */
  private noteFailure(e: unknown): void {
    if (!countsAgainstHealth(e)) return;
    this.consecutiveFailures++;
    if (this.consecutiveFailures < DEGRADED_AFTER || this._state !== 'ready') return;
    const status = httpStatus(e);
    const last = `${status ? `HTTP ${status}: ` : ''}${briefly(errorMessage(e))}`;
    this.markDegraded(`${this.consecutiveFailures} calls in a row failed; last: ${last}`, last);
  }

  private markDegraded(message: string, last: string): void {
    this._lastError = message;
    if (this.retired) return;
    if (!this.degraded) {
      this.degraded = true;
      this.log.warn({ err: last }, `upstream degraded: ${message}`);
      this.opts.metrics.setUpstreamUp(this.name, false);
    }
    this.emit('status');
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
    this.attempts++;
    const started = performance.now();
    let transport: UpstreamTransport | undefined;
    const client = new Client(
      { name: 'mcp-proxy-server', version: VERSION },
      {
        capabilities: CLIENT_CAPABILITIES,
        versionNegotiation: { mode: protocolMode(this.config.protocol, this.modernOnly) },
        listChanged: {
          tools: { autoRefresh: false, debounceMs: 20, onChanged: () => void this.refresh(generation) },
          prompts: { autoRefresh: false, debounceMs: 20, onChanged: () => void this.refresh(generation) },
          resources: { autoRefresh: false, debounceMs: 20, onChanged: () => void this.refresh(generation) },
        },
      },
    );
    this.installHandlers(client);
    // A banner printed before the handshake is skipped too, and said once (the full handler comes after).
    client.onerror = (e) => {
      if (e.name === 'StdoutGarbageError') this.onTransportError(e, client);
    };
    try {
      transport = await createTransport(this.name, this.config, {
        ...this.opts.transportDeps,
        onStderrLine: (line) => this.opts.transportDeps.onStderrLine?.(`[${this.name}] ${line}`),
      });
      const timeout = this.config.connectTimeout ?? this.opts.connectTimeout;
      const deadline = timeout * 2 + 1000;
      // The SDK times each request; this bounds the whole handshake (spawn, probe, initialize, listings).
      const catalog = await withDeadline(
        client.connect(transport.transport, { timeout }).then(() => this.listAll(client, timeout)),
        deadline,
        `no complete handshake within ${deadline} ms`,
      );
      if (generation !== this.generation || this.closing) {
        await client.close().catch(() => {});
        await transport.dispose().catch(() => {});
        return false;
      }
      this.client = client;
      this.transport = transport;
      this.instructions = client.getInstructions();
      this.capabilities = client.getServerCapabilities();
      this.serverInfo = client.getServerVersion();
      this._latencyMs = Math.round(performance.now() - started);
      this.attempts = 0;
      this.nextRetryAt = undefined;
      client.onclose = () => this.onClosed(generation);
      client.onerror = (e) => this.onTransportError(e, client);
      this._catalog = catalog;
      this.setState('ready', '');
      this.log.info(
        {
          tools: catalog.tools.length,
          prompts: catalog.prompts.length,
          resources: catalog.resources.length,
          protocol: client.getNegotiatedProtocolVersion(),
          ms: this._latencyMs,
        },
        'connected',
      );
      // Always: a rebuild while this server was down may have dropped its entries.
      this.emit('catalog');
      this.startHealthCheck();
      return true;
    } catch (e) {
      await client.close().catch(() => {});
      await transport?.dispose().catch(() => {});
      if (this.closing || generation !== this.generation) return false;
      if (!this.modernOnly && isAuto(this.config.protocol) && refusedInitialize(e)) {
        this.modernOnly = true;
        this.attempts--;
        this.log.info({ err: errorMessage(e) }, 'the server refused 2025-11-25 initialize; negotiating 2026-07-28');
        return await this.attempt();
      }
      const exit = transport?.describeExit?.();
      const message = exit ? `the server ${exit}` : describeConnectError(e);
      this.connectFailed(message, isAppError(e) && e.code === 'UPSTREAM_FAILED');
      return false;
    } finally {
      this.resolveFirst?.();
      this.resolveFirst = undefined;
    }
  }

  /** After a failed attempt: give up (permanent error, attempts or restart limit) or retry with backoff. */
  private connectFailed(message: string, permanent: boolean): void {
    const max = this.opts.retry.maxAttempts;
    const now = Date.now();
    let giveUp: string | undefined;
    if (permanent) giveUp = message;
    else if (max > 0 && this.attempts >= max) giveUp = `${message} (gave up after ${this.attempts} attempts)`;
    else if (this.isProcess) {
      this.exitTimes = this.exitTimes.filter((t) => now - t < this.opts.retry.restartWindow);
      this.exitTimes.push(now);
      if (this.exitTimes.length > this.opts.retry.maxRestarts) giveUp = this.crashLoopMessage(message);
    }
    if (giveUp) {
      this.nextRetryAt = undefined;
      this.setState('failed', giveUp);
      this.log.error({ err: giveUp }, 'failed to connect; not retrying');
    } else {
      const delay = this.backoff(this.attempts);
      this.nextRetryAt = now + delay;
      this.setState('retrying', message);
      this.log.warn({ err: message, retryInMs: delay, attempt: this.attempts }, 'connect failed; will retry');
      this.schedule(delay);
    }
    this.clearCatalog();
  }

  private crashLoopMessage(last: string): string {
    const n = this.exitTimes.length;
    const secs = Math.round(this.opts.retry.restartWindow / 1000);
    return `stopped after ${n} failures within ${secs}s (proxy.retry.maxRestarts is ${this.opts.retry.maxRestarts}); last: ${last}. Fix the server, then save the config (it is reloaded) or restart the proxy`;
  }

  private schedule(delay: number): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
    this.retryTimer.unref();
  }

  private clearCatalog(): void {
    if (
      this._catalog.tools.length ||
      this._catalog.prompts.length ||
      this._catalog.resources.length ||
      this._catalog.resourceTemplates.length
    ) {
      this._catalog = EMPTY_CATALOG;
      this.emit('status');
      this.emit('catalog');
    }
  }

  /** Exponential backoff with jitter (between half and all of the capped exponential delay). */
  private backoff(attempt: number): number {
    const { initialDelay, maxDelay } = this.opts.retry;
    const ceiling = Math.min(maxDelay, initialDelay * 2 ** Math.max(0, attempt - 1));
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  private onTransportError(e: Error, client: Client): void {
    const msg = errorMessage(e);
    if (this.config.type === 'sse' && /^SSE error/i.test(msg)) {
      // A legacy SSE session lives on its stream: once the stream drops the session is gone (the
      // transport's own EventSource retry would never re-initialize it), so reconnect from scratch.
      this.drop(client, `the SSE stream dropped: ${msg.replace(/^SSE error:\s*/i, '')}`);
      return;
    }
    if (e.name === 'StdoutOverflowError') {
      // The transport closes the connection next; say why instead of "closed unexpectedly".
      this.closeCause = msg;
      this.log.error({ err: msg }, 'upstream output over the line limit');
      return;
    }
    if (e.name === 'StdoutGarbageError') {
      // Once per server at warn level (a banner comes back on every restart; a chatty server would flood
      // the log), then debug.
      if (!this.warnedGarbage) {
        this.warnedGarbage = true;
        this.log.warn(
          { err: msg },
          `"${this.name}" wrote something to stdout that is not JSON-RPC (skipped; servers must log to stderr)`,
        );
      } else this.log.debug({ err: msg }, 'skipped non-JSON-RPC stdout line');
      return;
    }
    this.log.debug({ err: msg }, 'transport error');
  }

  /** The client's connection ended without us closing it: the process died or the stream dropped. */
  private onClosed(generation: number): void {
    if (generation !== this.generation || this.closing) return;
    const transport = this.transport;
    this.client = undefined;
    this.transport = undefined;
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
    const now = Date.now();
    this._restarts++;
    this.opts.metrics.incUpstreamRestarts(this.name);
    if (this.isProcess) {
      this.exitTimes = this.exitTimes.filter((t) => now - t < this.opts.retry.restartWindow);
      this.exitTimes.push(now);
      if (this.exitTimes.length > this.opts.retry.maxRestarts) {
        const message = this.crashLoopMessage(reason);
        this.nextRetryAt = undefined;
        this.setState('failed', message);
        this.log.error(message);
        this.clearCatalog();
        return;
      }
    }
    // The first restart is quick; a crash loop backs off.
    const n = this.isProcess ? this.exitTimes.length : 1;
    const delay = n <= 1 ? Math.min(100, this.opts.retry.initialDelay) : this.backoff(n - 1);
    this.attempts = 0;
    this.nextRetryAt = now + delay;
    const state = this.isProcess ? 'restarting' : 'retrying';
    this.setState(state, reason);
    this.log.warn(
      { err: reason, inMs: delay },
      this.isProcess ? 'server exited; restarting' : 'connection lost; reconnecting',
    );
    this.schedule(delay);
  }

  /** An HTTP/SSE connection is dead: drop `client` (if still current) and reconnect with backoff. */
  private drop(client: Client, reason: string): void {
    if (this.closing || client !== this.client) return;
    const transport = this.transport;
    this.client = undefined;
    this.transport = undefined;
    this.generation++;
    void client.close().catch(() => {});
    void transport?.dispose().catch(() => {});
    this.lost(reason);
  }

  /** Drops the current client and connects again now (an expired session, a dead HTTP server). */
  private async reconnect(reason: string): Promise<boolean> {
    if (this.connecting) return this.connecting;
    if (this.closing) return false;
    const client = this.client;
    const transport = this.transport;
    this.client = undefined;
    this.transport = undefined;
    this.generation++;
    // Calls still in flight on the old session fail when it closes; they take the same path as a 404.
    if (client) this.expiredClients.add(client);
    this.log.info({ reason }, 'reconnecting');
    this.setState('connecting', reason);
    const done = this.connect();
    // Closing the old client fails its in-flight requests (they belonged to the dead session).
    void client?.close().catch(() => {});
    void transport?.dispose().catch(() => {});
    return done;
  }

  private installHandlers(client: Client): void {
    const bridge = this.opts.bridge;
    // The origin is read where the message is handled: inside the async context of the request whose
    // response stream carried it, if any.
    const origin = () => this.opts.owner ?? currentOrigin();
    for (const method of ['sampling/createMessage', 'elicitation/create', 'roots/list'] as const) {
      client.setRequestHandler(method, async (request: any, ctx: any) => {
        if (!bridge) throw new Error(`${method} is not available: no downstream client`);
        return (await bridge.request(this.name, method, request.params, ctx.mcpReq.signal, origin())) as any;
      });
    }
    const notify = (n: any) => bridge?.notify(this.name, n.method, n.params, origin());
    client.setNotificationHandler('notifications/message', notify);
    client.setNotificationHandler('notifications/resources/updated', notify);
  }

  private async listAll(client: Client, timeout: number): Promise<UpstreamCatalog> {
    const caps = client.getServerCapabilities() ?? {};
    const opts = { timeout, cacheMode: 'bypass' as const };
    const [tools, prompts, resources, resourceTemplates] = await Promise.all([
      caps.tools ? client.listTools(undefined, opts).then((r) => r.tools) : [],
      caps.prompts ? client.listPrompts(undefined, opts).then((r) => r.prompts) : [],
      caps.resources ? client.listResources(undefined, opts).then((r) => r.resources) : [],
      caps.resources
        ? client
            .listResourceTemplates(undefined, opts)
            .then((r) => r.resourceTemplates)
            .catch(() => [])
        : [],
    ]);
    return { tools, prompts, resources, resourceTemplates };
  }

  /** Re-lists everything after a list_changed; emits 'catalog' when something changed. */
  refresh(generation = this.generation): Promise<void> {
    return detached(() => this.relist(generation));
  }

  private async relist(generation: number): Promise<void> {
    const client = this.client;
    if (!client || generation !== this.generation) return;
    try {
      const catalog = await this.listAll(client, this.config.timeout ?? this.opts.requestTimeout);
      if (generation !== this.generation) return;
      if (!sameCatalog(this._catalog, catalog)) {
        this._catalog = catalog;
        this.log.info({ tools: catalog.tools.length, prompts: catalog.prompts.length }, 'catalog changed');
        this.emit('status');
        this.emit('catalog');
      }
    } catch (e) {
      this.log.warn({ err: errorMessage(e) }, 'could not refresh the catalog');
    }
  }

  /** The request timeout for this server. */
  get requestTimeout(): number {
    return this.config.timeout ?? this.opts.requestTimeout;
  }

  /**
   * Runs one request against the upstream, failing fast when it is down or its breaker is open.
   * An expired upstream session (HTTP 404) is re-initialized; a read-only request is then sent
   * once more, anything else fails with an error that says so. A refused connection starts a
   * reconnect with backoff.
   */
  async call<T>(fn: (client: Client) => Promise<T>, opts: CallOptions = {}): Promise<T> {
    // A (re-)initialize in progress is short and bounded by the handshake deadline: wait for it.
    if (this._state === 'connecting' && this.connecting) await this.connecting;
    // A server swapping in after a config change (or restarting after a crash) that is connecting
    // right now: wait for it, at most its connect timeout, rather than fail a call that would succeed.
    else if (this._state === 'restarting' && this.connecting) {
      await atMost(this.connecting, this.config.connectTimeout ?? this.opts.connectTimeout);
    }
    const client = this.client;
    if (!client || this._state !== 'ready') {
      throw new AppError('UPSTREAM_UNAVAILABLE', this.unavailableMessage());
    }
    const seen: { method?: string } = { method: opts.method };
    const sessionId = (this.transport?.transport as { sessionId?: string } | undefined)?.sessionId;
    // Only a Streamable HTTP upstream relates server-to-client messages to a request (its response stream).
    const origin = this.config.type === 'http' ? opts.origin : undefined;
    this.inflightCalls++;
    try {
      const result = await this.guarded(() => withOrigin(origin, () => fn(recordMethod(client, seen))), client);
      this.noteAnswer();
      return result;
    } catch (e) {
      if (isNestingOverflow(e)) {
        // The caller's arguments, not the server: JSON.stringify on the way upstream ran out of stack.
        throw new ProtocolError(
          ProtocolErrorCode.InvalidParams,
          `the request to upstream "${this.name}" is nested too deeply to forward (JSON nesting exhausted the stack); flatten the arguments`,
        );
      }
      if (this.closing) throw e;
      const expired = this.isSessionExpired(e, sessionId) || this.expiredClients.has(client);
      if (!expired && client === this.client) {
        if (isAnswer(e)) this.noteAnswer();
        else this.noteFailure(e);
      }
      if (!expired && /not connected|connection closed/i.test(errorMessage(e))) {
        // The connection went away while this call was on it (a crash, a restart, a reload).
        throw new AppError(
          'UPSTREAM_UNAVAILABLE',
          client === this.client
            ? `upstream "${this.name}" closed the connection during the call`
            : `${this.unavailableMessage()} (the connection closed during the call)`,
        );
      }
      if (expired) {
        // Concurrent calls that hit the same expired session share one re-initialize.
        const status = httpStatus(e);
        const why = `${status ? `HTTP ${status}: ` : ''}${briefly(errorMessage(e))}`;
        const first = client === this.client;
        const ok = first
          ? await this.reconnect(`the upstream session expired (${why}): re-initializing`)
          : await (this.connecting ?? Promise.resolve(this._state === 'ready'));
        // A server that "forgets" every new session at once is not healthy, however well re-initializing goes.
        if (first && ok && ++this.expiriesInARow >= DEGRADED_AFTER) {
          this.markDegraded(
            `the session expired ${this.expiriesInARow} times in a row without a call answered in between; last: ${why}`,
            why,
          );
        }
        const method = seen.method ?? 'unknown';
        if (!ok || !this.client) {
          throw new AppError(
            'UPSTREAM_UNAVAILABLE',
            `upstream "${this.name}" lost its session and could not re-initialize: ${this._lastError ?? 'unknown error'}`,
          );
        }
        if (!READ_ONLY_METHODS.has(method)) {
          throw new AppError(
            'UPSTREAM_UNAVAILABLE',
            `upstream "${this.name}" had expired the session; it is re-initialized now, but ${method} was not sent again because it may have side effects: call it again`,
          );
        }
        this.log.info({ method }, 'retrying a read-only request after re-initializing');
        const fresh = this.client;
        const result = await this.guarded(() => withOrigin(origin, () => fn(fresh)));
        this.noteAnswer();
        return result;
      }
      if (client !== this.client) throw e;
      // An OAuth login that ended (refresh refused): reconnecting reports "needs login" in the status.
      if (isNeedsLogin(e)) this.drop(client, errorMessage(e));
      if (isServerGone(e) && (this.config.type === 'http' || this.config.type === 'sse')) {
        this.drop(client, `cannot reach ${safeUrl(this.config)}: ${errorMessage(e)}`);
      }
      throw e;
    } finally {
      this.inflightCalls--;
      this.lastActivity = Date.now();
    }
  }

  /**
   * HTTP and SSE upstreams give no sign when they go away between calls; an idle one is pinged so
   * a dead server is noticed (and reconnected) before the next real call finds out.
   */
  private startHealthCheck(): void {
    const every = this.opts.healthCheckInterval ?? 0;
    if (this.healthTimer || every <= 0 || (this.config.type !== 'http' && this.config.type !== 'sse')) return;
    this.healthTimer = setInterval(() => {
      if (this._state !== 'ready' || this.inflightCalls > 0 || Date.now() - this.lastActivity < every) return;
      const timeout = Math.min(this.requestTimeout, 10_000);
      this.call((c) => c.ping({ timeout }), { method: 'ping' }).then(
        () => this.log.trace('health check ok'),
        (e) => {
          // "Method not found" is an answer: the server is there.
          if (!isUpstreamFailure(e)) return;
          this.log.warn({ err: errorMessage(e) }, 'health check failed');
        },
      );
    }, every);
    this.healthTimer.unref();
  }

  /**
   * Runs fn behind the circuit breaker. A failure of a call that was on a session we already gave up
   * (an expired one being re-initialized) says nothing about the server's health: not counted.
   */
  private async guarded<T>(fn: () => Promise<T>, client?: Client): Promise<T> {
    try {
      return await this.breaker.execute(async () => {
        try {
          return await fn();
        } catch (e) {
          if (client && this.expiredClients.has(client)) throw new NotCounted(e);
          throw e;
        }
      });
    } catch (e) {
      if (e instanceof NotCounted) throw e.inner;
      if (e instanceof BrokenCircuitError) {
        const s = this.breaker.state;
        throw new AppError(
          'UPSTREAM_UNAVAILABLE',
          s === CircuitState.HalfOpen
            ? `upstream "${this.name}" is being probed after repeated failures (circuit breaker half-open); try again shortly`
            : `upstream "${this.name}" is failing: circuit breaker open after ${this.opts.breaker.failureThreshold} consecutive failures or timeouts (last: ${this._lastCallError ?? 'unknown'}); calls fail fast, the next probe is within ${Math.round(this.opts.breaker.halfOpenAfter / 1000)}s`,
        );
      }
      if (isUpstreamFailure(e)) this._lastCallError = this.redact(errorMessage(e));
      throw e;
    }
  }
  private _lastCallError?: string;

  /**
   * The server forgot the 2025-era session this connection holds (it restarted, or expired it).
   * The spec says 404; servers built on the SDK's Express examples answer 400 "No valid session ID
   * provided", and a fresh SDK transport answers 400 "Server not initialized".
   */
  private isSessionExpired(e: unknown, sessionId: string | undefined): boolean {
    if (this.config.type !== 'http' || !sessionId) return false;
    const status = httpStatus(e);
    if (status === 404) return true;
    const msg = errorMessage(e).toLowerCase();
    if (status === 400) return /session|not initialized/.test(msg);
    return msg.includes('session not found') || msg.includes('unknown session');
  }

  private unavailableMessage(): string {
    const why = this._lastError ? `: ${this._lastError}` : '';
    const next = this.nextRetryAt
      ? ` (next attempt in ${Math.max(0, Math.ceil((this.nextRetryAt - Date.now()) / 1000))}s)`
      : '';
    switch (this._state) {
      case 'disabled':
        return `upstream "${this.name}" is disabled in the config`;
      case 'connecting':
        return `upstream "${this.name}" is still connecting`;
      case 'retrying':
        return `upstream "${this.name}" is unreachable and being retried${next}${why}`;
      case 'restarting':
        if (this.swapping) return `upstream "${this.name}" is restarting with its changed config; try again shortly`;
        return `upstream "${this.name}" is restarting${next}${why}`;
      case 'failed':
        return `upstream "${this.name}" has failed${why}`;
      default:
        return `upstream "${this.name}" is ${this._state}${why}`;
    }
  }

  /** Tells the upstream the downstream roots changed (it will ask roots/list again). */
  async notifyRootsChanged(): Promise<void> {
    await this.client?.sendRootsListChanged?.().catch(() => {});
  }

  /**
   * This connection was replaced (its config changed, or it was removed): it takes no new part in
   * status or metrics, lets the calls in flight on it finish (at most graceMs), then closes.
   */
  async retire(graceMs: number): Promise<void> {
    this.retired = true;
    this.closing = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.healthTimer) clearInterval(this.healthTimer);
    const deadline = Date.now() + graceMs;
    while (this.inflightCalls > 0 && Date.now() < deadline && this.client) {
      await new Promise((r) => setTimeout(r, 20));
    }
    if (this.inflightCalls > 0) {
      this.log.warn(
        { inflight: this.inflightCalls, graceMs },
        'replaced connection: closing with calls still in flight',
      );
    }
    await this.close();
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.healthTimer) clearInterval(this.healthTimer);
    this.resolveFirst?.();
    const client = this.client;
    const transport = this.transport;
    this.client = undefined;
    this.transport = undefined;
    this.nextRetryAt = undefined;
    if (this._state !== 'disabled') this.setState('closed');
    await client?.close().catch(() => {});
    await transport?.dispose().catch(() => {});
    // A connect in progress disposes its own transport when it sees `closing`.
    await this.connecting?.catch(() => {});
  }
}

/** Wraps a client so the first request method it is asked for is recorded (read-only detection). */
function recordMethod(client: Client, seen: { method?: string }): Client {
  if (seen.method) return client;
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof prop === 'string' && typeof value === 'function') {
        const m = READ_ONLY_CLIENT_CALLS[prop];
        if (m || prop === 'request') {
          return (...args: unknown[]) => {
            seen.method ??= m ?? (args[0] as { method?: string } | undefined)?.method;
            return value.apply(target, args);
          };
        }
        return value.bind(target);
      }
      return value;
    },
  });
}

function safeUrl(config: UpstreamConfig): string {
  if (!('url' in config)) return config.type;
  try {
    const u = new URL(config.url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return 'the server';
  }
}

/** Rejects with an UPSTREAM_UNAVAILABLE timeout if `p` does not settle within `ms`. */
function withDeadline<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${message}`)), ms);
    timer.unref();
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

/** Waits for `p` at most `ms` (never rejects). */
async function atMost(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((r) => {
    timer = setTimeout(r, ms);
    timer.unref();
  });
  await Promise.race([p.catch(() => {}), limit]);
  clearTimeout(timer);
}

/** The first line of a message, at most 200 characters (for log and status lines). */
function briefly(msg: string): string {
  const line = msg.split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}...` : line;
}

/** A JSON-RPC error the server sent: it is there and answering (not a transport failure). */
function isAnswer(e: unknown): boolean {
  const code = (e as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' && code !== -32001 && httpStatus(e) === undefined && !isUpstreamFailure(e);
}

/** Failures that say the server is not answering: any HTTP error status, a timeout, a dropped connection. */
function countsAgainstHealth(e: unknown): boolean {
  return isUpstreamFailure(e) || httpStatus(e) !== undefined;
}

/** Carries an error past the breaker without counting it as a failure. */
class NotCounted extends Error {
  constructor(readonly inner: unknown) {
    super('not counted');
  }
}

/**
 * `auto` speaks 2025-11-25 to every server that accepts it, and 2026-07-28 to the ones that refuse
 * it. Most dual-era servers ask for sampling and elicitation push-style, which they refuse to do on
 * a 2026 hop; over a 2025 hop the proxy relays those to clients of both eras (see the README).
 */
function protocolMode(p: UpstreamConfig['protocol'], modernOnly: boolean): 'auto' | 'legacy' | { pin: string } {
  if (p === '2026-07-28') return { pin: p };
  if (p === '2025-11-25' || !modernOnly) return 'legacy';
  return 'auto';
}

function isAuto(p: UpstreamConfig['protocol']): boolean {
  return p === undefined || p === 'auto';
}

/** The server answered initialize, with a refusal: it speaks only the 2026-07-28 era. */
function refusedInitialize(e: unknown): boolean {
  const err = e as { code?: unknown; data?: { status?: unknown } } | undefined;
  if (typeof err?.code === 'number') return true;
  return /protocol version|server\/discover|initialize/i.test(errorMessage(e)) && !isNetworkError(e);
}

function breakerName(s: CircuitState): BreakerState {
  if (s === CircuitState.Open || s === CircuitState.Isolated) return 'open';
  if (s === CircuitState.HalfOpen) return 'half-open';
  return 'closed';
}

function describeConnectError(e: unknown): string {
  if (isAppError(e)) return [e.message, ...e.details].join('; ');
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'ENOENT' && err.path) return `command not found: ${err.path}`;
  const msg = errorMessage(e);
  if (/timed? ?out/i.test(msg)) return `timed out connecting (${msg})`;
  return msg;
}

function sameCatalog(a: UpstreamCatalog, b: UpstreamCatalog): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export { DEFAULTS };
