/**
 * Replicas of one server behind its one name. Each replica is a connection of its own (own health,
 * breaker, restarts); the group picks one per call (balance.ts), takes a replica that is down or
 * whose breaker is open out of the choice, falls back to backups only when no primary is up, and
 * sends a call that is safe to repeat to another replica when the first failed without answering.
 * It lists the catalog of one ready replica and reports replicas whose catalogs differ.
 */
import { EventEmitter } from 'node:events';
import type { Client } from '@modelcontextprotocol/client';
import { normalizeServerEntry, type UpstreamConfig } from '../config/schema.js';
import { type BalanceStrategy, type ReplicaSpec, replicaEntries } from '../config/schemaScale.js';
import { AppError, isAppError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { buildRing, type Candidate, type HashRing, pick } from './balance.js';
import { type ConnectionOptions, UpstreamConnection } from './connection.js';
import { isConnectionGone } from './errors.js';
import type { CallOptions } from './options.js';
import {
  catalogCounts,
  EMPTY_CATALOG,
  type ReplicaStatus,
  sameCatalog,
  type UpstreamCatalog,
  type UpstreamState,
  type UpstreamStatus,
} from './status.js';
import type { Upstream } from './upstream.js';

export interface Replica {
  spec: ReplicaSpec<UpstreamConfig>;
  conn: UpstreamConnection;
  outstanding: number;
}

/** How far a state is from serving: the group reports its replicas' best. */
const RANK: UpstreamState[] = ['ready', 'restarting', 'connecting', 'retrying', 'degraded', 'failed', 'closed'];

export class UpstreamGroup extends EventEmitter implements Upstream {
  readonly replicas: Replica[];
  private readonly strategy: BalanceStrategy;
  private readonly ring?: HashRing;
  private turn = 0;
  private mismatch?: string;

  constructor(
    readonly name: string,
    readonly config: UpstreamConfig,
    replicas: { spec: ReplicaSpec<UpstreamConfig>; conn: UpstreamConnection }[],
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {
    super();
    this.setMaxListeners(0);
    this.replicas = replicas.map((r) => ({ ...r, outstanding: 0 }));
    this.strategy = config.balance ?? 'round-robin';
    if (this.strategy === 'session') this.ring = buildRing(this.replicas.map((r) => r.spec.weight));
    for (const r of this.replicas) {
      r.conn.on('status', () => this.changed());
      r.conn.on('catalog', () => {
        this.checkCatalogs();
        this.emit('catalog');
      });
    }
  }

  private changed(): void {
    this.metrics.setUpstreamUp(this.name, this.state === 'ready');
    this.emit('status');
  }

  /** The replica whose catalog and offer are listed: the first ready primary, else any ready or swapping one. */
  private get lead(): UpstreamConnection | undefined {
    const order = [...this.replicas.filter((r) => !r.spec.backup), ...this.replicas.filter((r) => r.spec.backup)];
    return order.find((r) => r.conn.state === 'ready')?.conn ?? order.find((r) => r.conn.state === 'restarting')?.conn;
  }

  get state(): UpstreamState {
    if (this.config.disabled) return 'disabled';
    const states = this.replicas.map((r) => r.conn.state);
    return RANK.find((s) => states.includes(s)) ?? states[0];
  }
  get catalog(): UpstreamCatalog {
    return this.lead?.catalog ?? EMPTY_CATALOG;
  }
  get lastError(): string | undefined {
    if (this.state === 'ready') return undefined;
    const errors = this.replicas.filter((r) => r.conn.lastError).map((r) => `${r.spec.label}: ${r.conn.lastError}`);
    return errors.length ? errors.join('; ') : undefined;
  }
  get requestTimeout(): number {
    return this.replicas[0].conn.requestTimeout;
  }
  get instructions(): string | undefined {
    return this.lead?.instructions;
  }
  get capabilities() {
    return this.lead?.capabilities;
  }
  get serverInfo() {
    return this.lead?.serverInfo;
  }

  status(): UpstreamStatus {
    const replicas: ReplicaStatus[] = this.replicas.map((r) => ({
      ...r.conn.status(),
      backup: r.spec.backup,
      weight: r.spec.weight,
      outstanding: r.outstanding,
    }));
    const lead = this.lead;
    const { catalog } = this;
    const ready = replicas.filter((r) => r.state === 'ready' || r.state === 'degraded');
    return {
      name: this.name,
      type: this.config.type,
      state: ready.length && ready.every((r) => r.state === 'degraded') ? 'degraded' : this.state,
      ...catalogCounts(catalog),
      lastError: this.lastError,
      restarts: replicas.reduce((n, r) => n + r.restarts, 0),
      // The group's calls fail fast only when every replica's breaker is open.
      breaker: replicas.every((r) => r.breaker === 'open') ? 'open' : 'closed',
      protocolVersion: lead ? replicas[this.replicas.findIndex((r) => r.conn === lead)].protocolVersion : undefined,
      balance: this.strategy,
      replicas,
      ...(this.mismatch ? { catalogMismatch: this.mismatch } : {}),
    };
  }

  async start(): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.conn.start()));
    this.checkCatalogs();
  }

  /** One call on one replica; a call safe to repeat goes to another when its replica failed without answering. */
  async call<T>(fn: (client: Client) => Promise<T>, opts: CallOptions = {}): Promise<T> {
    const tried = new Set<number>();
    for (;;) {
      const index = this.choose(opts.affinity, tried);
      const replica = this.replicas[index];
      tried.add(index);
      replica.outstanding++;
      try {
        return await replica.conn.call(fn, opts);
      } catch (e) {
        const another = this.replicas.some((r, i) => !tried.has(i) && r.conn.available);
        if (!opts.retryable || !another || !notAnswered(e)) throw e;
        this.log.info({ replica: replica.spec.label, err: (e as Error).message }, 'replica failed; trying another');
      } finally {
        replica.outstanding--;
      }
    }
  }

  /**
   * The replica for the next call: among the available primaries, else the available backups; with
   * none available, one that is connecting (the call waits for it), else an error naming each one's state.
   */
  private choose(affinity: string | undefined, tried: Set<number>): number {
    const open = this.replicas
      .map((r, index) => ({ r, index }))
      .filter(({ r, index }) => !tried.has(index) && r.conn.available);
    const primaries = open.filter(({ r }) => !r.spec.backup);
    const pool = primaries.length ? primaries : open;
    if (pool.length) {
      const candidates: Candidate[] = pool.map(({ r, index }) => ({
        index,
        weight: r.spec.weight,
        outstanding: r.outstanding,
      }));
      return pick({ strategy: this.strategy, candidates, turn: this.turn++, affinity, ring: this.ring });
    }
    const starting = this.replicas.findIndex(
      (r, i) => !tried.has(i) && (r.conn.state === 'connecting' || r.conn.state === 'restarting'),
    );
    if (starting >= 0) return starting;
    const states = this.replicas.map((r) => `${r.spec.label} ${r.conn.state}`).join(', ');
    throw new AppError('UPSTREAM_UNAVAILABLE', `upstream "${this.name}" has no replica available (${states})`);
  }

  /** Replicas of one server must list the same things; a difference is logged once and shown in the status. */
  private checkCatalogs(): void {
    const ready = this.replicas.filter((r) => r.conn.state === 'ready');
    const lead = this.lead;
    const differ = lead ? ready.filter((r) => r.conn !== lead && !sameCatalog(r.conn.catalog, lead.catalog)) : [];
    const leadLabel = this.replicas.find((r) => r.conn === lead)?.spec.label;
    const mismatch = differ.length
      ? `${differ.map((r) => r.spec.label).join(', ')} list${differ.length === 1 ? 's' : ''} a different catalog than ${leadLabel}`
      : undefined;
    if (mismatch === this.mismatch) return;
    this.mismatch = mismatch;
    if (mismatch)
      this.log.warn({ server: this.name }, `replicas disagree: ${mismatch}; they should run the same server`);
    this.emit('status');
  }

  async refresh(): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.conn.refresh()));
  }

  async notifyRootsChanged(): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.conn.notifyRootsChanged()));
  }

  async retire(graceMs: number): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.conn.retire(graceMs)));
  }

  async close(): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.conn.close()));
  }
}

/** The replica went away or refused the call before answering: nothing reached the server, or nothing came back. */
function notAnswered(e: unknown): boolean {
  return (isAppError(e) && e.code === 'UPSTREAM_UNAVAILABLE') || isConnectionGone(e);
}

/**
 * Replicas, each a connection named `name#i` (its status, metrics and log lines) that speaks for
 * `name` everywhere else: its server-to-client traffic and its OAuth login are the server's.
 */
/** The `upstream` labels a server's metrics carry: its name, and each replica's. */
export function metricLabels(u: Upstream): string[] {
  return u instanceof UpstreamGroup ? [u.name, ...u.replicas.map((r) => r.spec.label)] : [u.name];
}

export function createGroup(
  name: string,
  config: UpstreamConfig,
  replacing: UpstreamCatalog | undefined,
  deps: { options(label: string, config: UpstreamConfig): ConnectionOptions; logger: Logger; metrics: Metrics },
): UpstreamGroup {
  const specs = replicaEntries(name, config as Record<string, unknown>, normalizeServerEntry);
  const replicas = specs.map((s) => {
    const spec = { ...s, config: s.config as UpstreamConfig };
    return { spec, conn: new UpstreamConnection({ ...deps.options(spec.label, spec.config), replacing }) };
  });
  return new UpstreamGroup(name, config, replicas, deps.logger.child({ component: `upstream:${name}` }), deps.metrics);
}

/**
 * Retired connections are quiet (a successor owns the metrics they shared); the series no current
 * connection owns (a removed server, replicas a group no longer has) leave /metrics.
 */
export function forgetMetrics(metrics: Metrics | undefined, current: Upstream[], retired: Upstream[]): void {
  if (!metrics || retired.length === 0) return;
  const owned = new Set(current.flatMap(metricLabels));
  for (const label of retired.flatMap(metricLabels)) if (!owned.has(label)) metrics.forgetUpstream(label);
}
