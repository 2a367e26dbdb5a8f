/**
 * What one upstream reports: its state, its catalog and the status snapshot that /ready, `status`
 * and the metrics read, plus the message a call gets while the upstream cannot take it.
 */
import type { Prompt, Resource, ResourceTemplateType, Tool } from '@modelcontextprotocol/client';
import type { UpstreamConfig } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import type { BreakerState, Metrics } from '../observability/metrics.js';
import type { RedactFn } from '../observability/redact.js';
import { CallHealth, type Degradation } from './health.js';

export type { BreakerState } from '../observability/metrics.js';

/**
 * `degraded` is only ever reported (status, metrics): a connected server whose calls keep failing.
 * It still takes calls (one success makes it `ready` again), so `state` stays `ready` meanwhile.
 * `needs-login`: an OAuth server without a usable login; only `auth login` helps (then it connects again).
 */
export const UPSTREAM_STATES = [
  'connecting',
  'ready',
  'degraded',
  'retrying',
  'restarting',
  'failed',
  'needs-login',
  'disabled',
  'closed',
] as const;
export type UpstreamState = (typeof UPSTREAM_STATES)[number];

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
  /** A server with replicas: how calls are spread, and each replica's own status. */
  balance?: string;
  replicas?: ReplicaStatus[];
  /** Replicas whose catalog differs from the one listed (they should run the same server). */
  catalogMismatch?: string;
}

export interface ReplicaStatus extends UpstreamStatus {
  backup: boolean;
  weight: number;
  /** Calls in flight on this replica now. */
  outstanding: number;
}

export const EMPTY_CATALOG: UpstreamCatalog = { tools: [], prompts: [], resources: [], resourceTemplates: [] };

export function sameCatalog(a: UpstreamCatalog, b: UpstreamCatalog): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** What status reports of a catalog: how many tools, prompts, and resources (templates included). */
export function catalogCounts(c: UpstreamCatalog): { tools: number; prompts: number; resources: number } {
  return {
    tools: c.tools.length,
    prompts: c.prompts.length,
    resources: c.resources.length + c.resourceTemplates.length,
  };
}

/** A server's status as the pool reports it: `idle` is a lazy server that is not running. */
export type PoolStatus = Omit<UpstreamStatus, 'state'> & { state: UpstreamState | 'idle' };

/** The status of a lazy server that is not running: its known catalog's counts. */
export function idleStatus(status: UpstreamStatus, known: UpstreamCatalog): PoolStatus {
  return { ...status, state: 'idle', ...catalogCounts(known) };
}

export function isEmptyCatalog(c: UpstreamCatalog): boolean {
  return !c.tools.length && !c.prompts.length && !c.resources.length && !c.resourceTemplates.length;
}

/** What the snapshot takes from the rest of the connection. */
export interface StatusExtras {
  type: UpstreamConfig['type'];
  restarts: number;
  breaker: BreakerState;
  protocolVersion?: string;
}

/**
 * The reported side of one connection: its state, its catalog, the last error (masked), `degraded`
 * from its calls' health, and the metrics and events ('status', 'catalog') that follow every change. A retired
 * connection (replaced by a new one) keeps its own record but reports nothing.
 */
export class StatusKeeper {
  private raw?: string;
  catalog: UpstreamCatalog = EMPTY_CATALOG;
  latencyMs?: number;
  /** When the next connect attempt is due, while retrying or restarting. */
  nextRetryAt?: number;
  /** Replacing an older connection until the first connect ends (see ConnectionOptions.replacing). */
  swapping = false;
  /** Replaced by a new connection: no status, metrics or reconnects from here on. */
  retired = false;
  readonly health = new CallHealth();

  constructor(
    private readonly name: string,
    public state: UpstreamState,
    private readonly port: { metrics: Metrics; log: Logger; redact: RedactFn; emit(event: 'status' | 'catalog'): void },
  ) {}

  /** Replaces an older connection: listed as restarting with its entries kept (not connecting, with none). */
  swapIn(catalog: UpstreamCatalog): void {
    this.state = 'restarting';
    this.swapping = true;
    this.catalog = catalog;
  }

  /** The last error, masked again on the way out: a secret registered after it was kept is covered too. */
  get lastError(): string | undefined {
    return this.raw && this.port.redact(this.raw);
  }

  /** Moves to `state`; `error` replaces the last error ('' clears it). */
  set(state: UpstreamState, error?: string): void {
    this.state = state;
    if (error !== undefined) this.raw = this.port.redact(error) || undefined;
    this.health.reset();
    if (state !== 'restarting') this.swapping = false;
    // The connection that replaced a retired one owns the metrics and the status now.
    if (this.retired) return;
    this.port.metrics.setUpstreamUp(this.name, state === 'ready');
    this.port.emit('status');
  }

  /** Given up (no retry is due): the state, why, and the entries leave the catalog. */
  stop(state: 'failed' | 'needs-login', reason: string): void {
    this.nextRetryAt = undefined;
    this.set(state, reason);
    this.clearCatalog();
  }

  /** A call got an answer (a result or an error the server chose to give): healthy again. */
  answered(): void {
    if (!this.health.answered()) return;
    this.raw = undefined;
    if (this.retired) return;
    this.port.log.info('calls succeed again: upstream healthy');
    this.port.metrics.setUpstreamUp(this.name, this.state === 'ready');
    this.port.emit('status');
  }

  degrade(d: Degradation | undefined): void {
    if (!d) return;
    this.raw = d.message;
    if (this.retired) return;
    if (!this.health.degraded) {
      this.health.degraded = true;
      this.port.log.warn({ err: d.last }, `upstream degraded: ${d.message}`);
      this.port.metrics.setUpstreamUp(this.name, false);
    }
    this.port.emit('status');
  }

  /** The upstream is down: its entries leave the catalog. */
  clearCatalog(): void {
    if (isEmptyCatalog(this.catalog)) return;
    this.catalog = EMPTY_CATALOG;
    this.port.emit('status');
    this.port.emit('catalog');
  }

  /** A listing after list_changed (or the rest of a first one): announced if it differs (returns whether it did). */
  relisted(catalog: UpstreamCatalog, what = 'catalog changed', level: 'info' | 'debug' = 'info'): boolean {
    if (sameCatalog(this.catalog, catalog)) return false;
    this.catalog = catalog;
    this.port.log[level](catalogCounts(catalog), what);
    this.port.emit('status');
    this.port.emit('catalog');
    return true;
  }

  snapshot(x: StatusExtras): UpstreamStatus {
    const { state, nextRetryAt, catalog } = this;
    return {
      name: this.name,
      type: x.type,
      state: state === 'ready' && this.health.degraded ? 'degraded' : state,
      ...catalogCounts(catalog),
      lastError: this.lastError,
      latencyMs: this.latencyMs,
      restarts: x.restarts,
      breaker: x.breaker,
      protocolVersion: x.protocolVersion,
      nextRetryAt:
        nextRetryAt && (state === 'retrying' || state === 'restarting')
          ? new Date(nextRetryAt).toISOString()
          : undefined,
    };
  }

  /** Why a call cannot be taken right now, in the words of the state the upstream is in. */
  unavailable(now = Date.now()): string {
    const name = this.name;
    const why = this.raw ? `: ${this.lastError}` : '';
    const next = this.nextRetryAt
      ? ` (next attempt in ${Math.max(0, Math.ceil((this.nextRetryAt - now) / 1000))}s)`
      : '';
    switch (this.state) {
      case 'disabled':
        return `upstream "${name}" is disabled in the config`;
      case 'connecting':
        return `upstream "${name}" is still connecting`;
      case 'retrying':
        return `upstream "${name}" is unreachable and being retried${next}${why}`;
      case 'restarting':
        if (this.swapping) return `upstream "${name}" is restarting with its changed config; try again shortly`;
        return `upstream "${name}" is restarting${next}${why}`;
      case 'failed':
        return `upstream "${name}" has failed${why}`;
      case 'needs-login':
        // The last error is the login's own: "needs login: <reason>; run `<command>`".
        return `upstream "${name}" ${this.lastError ?? 'needs login'}`;
      default:
        return `upstream "${name}" is ${this.state}${why}`;
    }
  }
}
