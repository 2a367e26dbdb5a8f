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
import { Client } from '@modelcontextprotocol/client';
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import type { UpstreamConfig } from '../config/schema.js';
import { DEFAULTS } from '../config/schema.js';
import { AppError, errorMessage, isAppError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { VERSION } from '../version.js';
import { createTransport, type TransportDeps, type UpstreamTransport } from './transports.js';

export type UpstreamState = 'connecting' | 'ready' | 'retrying' | 'restarting' | 'failed' | 'disabled' | 'closed';
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

/** Where server-to-client traffic of an upstream goes: the aggregator routes it to a session. */
export interface DownstreamBridge {
  /** sampling/createMessage, elicitation/create, roots/list from an upstream. */
  request(upstream: string, method: string, params: unknown, signal: AbortSignal): Promise<Record<string, unknown>>;
  /** notifications/message and notifications/resources/updated from an upstream. */
  notify(upstream: string, method: string, params: unknown): void;
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
}

export const DEFAULT_RETRY: RetryPolicy = {
  initialDelay: 500,
  maxDelay: 30_000,
  maxAttempts: 0,
  maxRestarts: 5,
  restartWindow: 60_000,
};

const EMPTY_CATALOG: UpstreamCatalog = { tools: [], prompts: [], resources: [], resourceTemplates: [] };

/** The capabilities the proxy declares upstream: it relays these to the downstream session. */
const CLIENT_CAPABILITIES: ClientCapabilities = {
  sampling: {},
  elicitation: { form: {}, url: {} },
  roots: { listChanged: true },
};

/** Errors that mean the upstream is unhealthy (not an answer it chose to give). */
export function isUpstreamFailure(e: unknown): boolean {
  if (isAppError(e)) return e.code === 'UPSTREAM_UNAVAILABLE';
  const msg = errorMessage(e).toLowerCase();
  const code = (e as { code?: unknown })?.code;
  return (
    code === -32001 || // SDK request timeout
    code === 'REQUEST_TIMEOUT' ||
    code === 'CONNECTION_CLOSED' ||
    msg.includes('timed out') ||
    msg.includes('timeout') ||
    msg.includes('connection closed') ||
    msg.includes('not connected') ||
    msg.includes('econnrefused') ||
    msg.includes('socket hang up')
  );
}

export class UpstreamConnection extends EventEmitter {
  readonly name: string;
  readonly config: UpstreamConfig;
  private readonly opts: ConnectionOptions;
  private readonly log: Logger;
  private client?: Client;
  private transport?: UpstreamTransport;
  private _state: UpstreamState;
  private _lastError?: string;
  private _latencyMs?: number;
  private _restarts = 0;
  private restartTimes: number[] = [];
  private attempts = 0;
  private retryTimer?: NodeJS.Timeout;
  private nextRetryAt?: number;
  private closing = false;
  private _catalog: UpstreamCatalog = EMPTY_CATALOG;
  private readonly breaker: CircuitBreakerPolicy;
  private firstAttempt?: Promise<void>;
  private resolveFirst?: () => void;
  /** Bumped per connect, so events of an old client are ignored. */
  private generation = 0;
  instructions?: string;
  capabilities?: ServerCapabilities;
  serverInfo?: { name: string; version: string };

  constructor(opts: ConnectionOptions) {
    super();
    this.opts = opts;
    this.name = opts.name;
    this.config = opts.config;
    this.log = opts.logger.child({ component: `upstream:${opts.name}` });
    this._state = opts.config.disabled ? 'disabled' : 'connecting';
    this.breaker = circuitBreaker(handleWhen(isUpstreamFailure), {
      halfOpenAfter: opts.breaker.halfOpenAfter,
      breaker: new ConsecutiveBreaker(opts.breaker.failureThreshold),
    });
    this.breaker.onStateChange((s) => {
      const state = breakerName(s);
      this.opts.metrics.setBreakerState(this.name, state);
      this.log.warn({ breaker: state }, `circuit breaker ${state}`);
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
    return this._lastError;
  }

  status(): UpstreamStatus {
    return {
      name: this.name,
      type: this.config.type,
      state: this._state,
      tools: this._catalog.tools.length,
      prompts: this._catalog.prompts.length,
      resources: this._catalog.resources.length + this._catalog.resourceTemplates.length,
      lastError: this._lastError,
      latencyMs: this._latencyMs,
      restarts: this._restarts,
      breaker: breakerName(this.breaker.state),
      protocolVersion: this.client?.getNegotiatedProtocolVersion(),
      nextRetryAt: this.nextRetryAt ? new Date(this.nextRetryAt).toISOString() : undefined,
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
    if (error !== undefined) this._lastError = error;
    this.opts.metrics.setUpstreamUp(this.name, state === 'ready');
    this.emit('status');
  }

  private async connect(): Promise<void> {
    if (this.closing) return;
    const generation = ++this.generation;
    this.attempts++;
    const started = performance.now();
    let transport: UpstreamTransport | undefined;
    const client = new Client(
      { name: 'mcp-proxy-server', version: VERSION },
      {
        capabilities: CLIENT_CAPABILITIES,
        versionNegotiation: { mode: protocolMode(this.config.protocol) },
        listChanged: {
          tools: { autoRefresh: false, debounceMs: 20, onChanged: () => void this.refresh(generation) },
          prompts: { autoRefresh: false, debounceMs: 20, onChanged: () => void this.refresh(generation) },
          resources: { autoRefresh: false, debounceMs: 20, onChanged: () => void this.refresh(generation) },
        },
      },
    );
    this.installHandlers(client);
    try {
      transport = await createTransport(this.name, this.config, {
        ...this.opts.transportDeps,
        onStderrLine: (line) => this.opts.transportDeps.onStderrLine?.(`[${this.name}] ${line}`),
      });
      const timeout = this.config.connectTimeout ?? this.opts.connectTimeout;
      await client.connect(transport.transport, { timeout });
      const catalog = await this.listAll(client, timeout);
      if (generation !== this.generation || this.closing) {
        await client.close().catch(() => {});
        await transport.dispose();
        return;
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
      client.onerror = (e) => this.log.debug({ err: errorMessage(e) }, 'transport error');
      const changed = !sameCatalog(this._catalog, catalog);
      this._catalog = catalog;
      this.setState('ready', '');
      this._lastError = undefined;
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
      if (changed) this.emit('catalog');
    } catch (e) {
      await client.close().catch(() => {});
      await transport?.dispose().catch(() => {});
      const message = describeConnectError(e);
      const permanent = isAppError(e) && e.code === 'UPSTREAM_FAILED';
      const max = this.opts.retry.maxAttempts;
      if (this.closing) return;
      if (permanent || (max > 0 && this.attempts >= max)) {
        this.setState('failed', message);
        this.log.error({ err: message }, 'failed to connect');
      } else {
        const delay = this.backoff(this.attempts);
        this.nextRetryAt = Date.now() + delay;
        this.setState('retrying', message);
        this.log.warn({ err: message, retryInMs: delay, attempt: this.attempts }, 'connect failed; will retry');
        this.retryTimer = setTimeout(() => void this.connect(), delay);
        this.retryTimer.unref();
      }
      if (this._catalog.tools.length || this._catalog.prompts.length || this._catalog.resources.length) {
        this._catalog = EMPTY_CATALOG;
        this.emit('catalog');
      }
    } finally {
      this.resolveFirst?.();
      this.resolveFirst = undefined;
    }
  }

  /** Exponential backoff with full jitter, capped. */
  private backoff(attempt: number): number {
    const { initialDelay, maxDelay } = this.opts.retry;
    const ceiling = Math.min(maxDelay, initialDelay * 2 ** Math.max(0, attempt - 1));
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  private onClosed(generation: number): void {
    if (generation !== this.generation || this.closing) return;
    const transport = this.transport;
    this.client = undefined;
    this.transport = undefined;
    void transport?.dispose();
    const now = Date.now();
    this.restartTimes = this.restartTimes.filter((t) => now - t < this.opts.retry.restartWindow);
    if (this.restartTimes.length >= this.opts.retry.maxRestarts) {
      const message = `exited ${this.restartTimes.length + 1} times within ${Math.round(this.opts.retry.restartWindow / 1000)}s; not restarting (fix it, then reload the config or restart the proxy)`;
      this.setState('failed', message);
      this.log.error(message);
      this._catalog = EMPTY_CATALOG;
      this.emit('catalog');
      return;
    }
    this.restartTimes.push(now);
    this._restarts++;
    this.opts.metrics.incUpstreamRestarts(this.name);
    const delay = this.backoff(this.restartTimes.length);
    this.nextRetryAt = now + delay;
    this.setState('restarting', 'connection closed unexpectedly');
    this.log.warn({ restartInMs: delay }, 'connection closed; restarting');
    this.retryTimer = setTimeout(() => void this.connect(), delay);
    this.retryTimer.unref();
  }

  private installHandlers(client: Client): void {
    const bridge = this.opts.bridge;
    for (const method of ['sampling/createMessage', 'elicitation/create', 'roots/list'] as const) {
      client.setRequestHandler(method, async (request: any, ctx: any) => {
        if (!bridge) throw new Error(`${method} is not available: no downstream client`);
        return (await bridge.request(this.name, method, request.params, ctx.mcpReq.signal)) as any;
      });
    }
    client.setNotificationHandler('notifications/message', (n: any) => bridge?.notify(this.name, n.method, n.params));
    client.setNotificationHandler('notifications/resources/updated', (n: any) =>
      bridge?.notify(this.name, n.method, n.params),
    );
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
  async refresh(generation = this.generation): Promise<void> {
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
   */
  async call<T>(fn: (client: Client) => Promise<T>): Promise<T> {
    const client = this.client;
    if (!client || this._state !== 'ready') {
      throw new AppError('UPSTREAM_UNAVAILABLE', this.unavailableMessage());
    }
    try {
      return await this.breaker.execute(() => fn(client));
    } catch (e) {
      if (e instanceof BrokenCircuitError) {
        throw new AppError(
          'UPSTREAM_UNAVAILABLE',
          `upstream "${this.name}" is failing (circuit breaker open after repeated failures); try again shortly`,
        );
      }
      throw e;
    }
  }

  private unavailableMessage(): string {
    const why = this._lastError ? `: ${this._lastError}` : '';
    switch (this._state) {
      case 'disabled':
        return `upstream "${this.name}" is disabled in the config`;
      case 'connecting':
        return `upstream "${this.name}" is still connecting`;
      case 'retrying':
      case 'restarting':
        return `upstream "${this.name}" is ${this._state}${why}`;
      default:
        return `upstream "${this.name}" is ${this._state}${why}`;
    }
  }

  /** Tells the upstream the downstream roots changed (it will ask roots/list again). */
  async notifyRootsChanged(): Promise<void> {
    await this.client?.sendRootsListChanged?.().catch(() => {});
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.resolveFirst?.();
    const client = this.client;
    const transport = this.transport;
    this.client = undefined;
    this.transport = undefined;
    if (this._state !== 'disabled') this.setState('closed');
    await client?.close().catch(() => {});
    await transport?.dispose().catch(() => {});
  }
}

function protocolMode(p: UpstreamConfig['protocol']): 'auto' | 'legacy' | { pin: string } {
  if (p === '2025-11-25') return 'legacy';
  if (p === '2026-07-28') return { pin: p };
  return 'auto';
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
