/**
 * All upstreams: start in parallel, snapshot their status, emit changes, close them all.
 * Apply a new config by diffing: added servers connect, removed ones close, changed ones restart,
 * untouched ones keep their connections and in-flight calls.
 *
 * While a server is not connected yet (or sleeps, when lazy) the catalog it had last time is served
 * (`served`): from this run, or from the on-disk catalog cache of an earlier one.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ProxyConfig, UpstreamConfig } from '../config/schema.js';
import { DEFAULTS } from '../config/schema.js';
import { noopMetrics } from '../observability/metrics.js';
import type { CachedServer } from './catalogCache.js';
import {
  type ConnectionOptions,
  type DownstreamBridge,
  type UpstreamCatalog,
  UpstreamConnection,
} from './connection.js';
import { createGroup, forgetMetrics } from './group.js';
import { IdleTimers } from './idle.js';
import { OwnedConnections } from './ownedConnections.js';
import { connectionOptionsFor, type PoolOptions } from './poolOptions.js';
import { planReload, type ReloadPlan } from './reloadPlan.js';
import { ToolsFirst } from './toolsFirst.js';
import type { Upstream } from './upstream.js';

export type { PoolOptions };

import { KnownCatalogs } from './knownCatalogs.js';
import { idleStatus, type PoolStatus } from './status.js';

export type { PoolStatus };

export class UpstreamPool extends EventEmitter {
  private readonly connections = new Map<string, Upstream>();
  private opts: PoolOptions;
  /** Identifies this proxy run (labels on Docker upstreams). */
  readonly runId = randomUUID().slice(0, 8);
  private bridge?: DownstreamBridge;
  private _firstRoundDone = false;
  /** Connections owned by one downstream session (isolation "session"). */
  private readonly owned = new OwnedConnections({
    options: (name, config) => this.connectionOptions(name, config),
    bridge: () => this.bridge,
  });
  /** Replaced or removed connections finishing their calls in flight (see UpstreamConnection.retire). */
  private readonly draining = new Map<Upstream, Promise<void>>();
  private readonly known: KnownCatalogs;
  /** Lazy servers not started (yet, or again after idling). */
  private readonly sleeping = new WeakSet<Upstream>();
  /** Connections that have been ready at least once: their own catalog is what they offer from then on. */
  private readonly live = new WeakSet<Upstream>();
  /** Whether each connection's entries came from the known catalog at the last look (a flip rebuilds). */
  private readonly fromKnown = new WeakMap<Upstream, boolean>();
  private readonly idle = new IdleTimers((name) => this.sleep(name));
  private closed = false;
  /** Settles once start() has started every server it starts. */
  private launched: Promise<void> = Promise.resolve();
  /** Start-up lists tools first (see start). */
  private toolsFirst?: ToolsFirst;

  constructor(opts: PoolOptions) {
    super();
    this.opts = opts;
    this.setMaxListeners(0);
    this.known = new KnownCatalogs(
      opts.cache,
      (text) => this.redact(text),
      () => this.opts.proxy?.cache !== false,
    );
  }

  /** The aggregator registers where server-to-client traffic goes. */
  setBridge(bridge: DownstreamBridge): void {
    this.bridge = bridge;
  }

  /** Masks registered secrets (the aggregator applies it to errors it relays to clients). */
  redact(text: string): string {
    return this.opts.redact ? this.opts.redact(text) : text;
  }

  get firstRoundDone(): boolean {
    return this._firstRoundDone;
  }

  /**
   * Connects every configured upstream in parallel (a lazy one with a known catalog stays asleep);
   * resolves when each started one has succeeded or failed once. Known catalogs are listed at once.
   *
   * `deferUntil`: when every server about to start has a known catalog, nothing needs them for the
   * first listings, and starting them (and connecting to those started early: handshakes cost the
   * proxy's thread too) would take the cores the proxy answers those with; they then start once it
   * resolves true (never when false, or once the pool closed). A request to one starts it at once (wake).
   *
   * `toolsFirstWithin`: servers without a known catalog list their tools first, and their prompts and
   * resources once every one of them has had its first attempt, or after this many ms (toolsFirst.ts).
   */
  async start(opts: { deferUntil?: Promise<boolean>; toolsFirstWithin?: number } = {}): Promise<void> {
    if (opts.toolsFirstWithin !== undefined) this.toolsFirst = new ToolsFirst(opts.toolsFirstWithin);
    for (const [name, config] of Object.entries(this.opts.configs)) this.add(name, config);
    const conns = this.list();
    for (const c of conns) this.prepare(c);
    this.emit('catalog', '*');
    let launched!: () => void;
    this.launched = new Promise((resolve) => {
      launched = resolve;
    });
    const known = (c: Upstream) => c.state === 'disabled' || this.sleeping.has(c) || this.known.has(c.name);
    const defer = conns.every(known) ? opts.deferUntil?.catch(() => false) : undefined;
    // Unless it was replaced or the pool closed meanwhile.
    const later = (c: Upstream) => (go: boolean) =>
      go && !this.closed && this.connections.get(c.name) === c ? c.start() : undefined;
    const started: Promise<unknown>[] = [];
    for (const c of conns) {
      if (this.sleeping.has(c)) continue;
      // Processes are started one per event-loop turn (spawnTurns.ts), so requests that arrive
      // meanwhile are answered in between; nothing here waits for those turns.
      started.push(defer ? defer.then(later(c)) : c.start());
    }
    launched();
    this.toolsFirst?.arm(this.unknownFirstRound());
    await Promise.all(started);
    // Every first connect has taken its early-started process by now: any other one is not needed.
    void this.opts.prespawned?.close();
    this._firstRoundDone = true;
    this.emit('status');
  }

  /**
   * Resolves when every started server without a known catalog has had its first attempt: until then
   * a listing would miss its entries (the others are listed from what is known).
   */
  unknownFirstRound(): Promise<void> {
    const pending = this.list().filter((c) => !this.sleeping.has(c) && !this.known.has(c.name));
    return this.launched.then(() => Promise.all(pending.map((c) => c.start()))).then(() => {});
  }

  /** Like unknownFirstRound, and then until the prompts and resources of those listing tools first are listed too. */
  wholeFirstRound(): Promise<void> {
    return this.unknownFirstRound()
      .then(() => Promise.all(this.list().map((c) => c.restListing)))
      .then(() => {});
  }

  private add(name: string, config: UpstreamConfig): Upstream {
    if (!config.disabled) this.known.load(name, config);
    const conn = this.create(name, config, undefined);
    this.connections.set(name, conn);
    return conn;
  }

  /** Starts a new connection, or leaves a lazy one asleep when its catalog is known. */
  private launch(conn: Upstream): Promise<void> {
    return this.prepare(conn) ? Promise.resolve() : conn.start();
  }

  /** Puts a lazy connection with a known catalog to sleep (returns true then); notes where its entries come from. */
  private prepare(conn: Upstream): boolean {
    const asleep = Boolean(conn.config.lazy && conn.state === 'connecting' && this.known.has(conn.name));
    if (asleep) this.sleeping.add(conn);
    this.fromKnown.set(conn, this.servesKnown(conn));
    return asleep;
  }

  private create(name: string, config: UpstreamConfig, replacing: Upstream | undefined): Upstream {
    // A connected server being swapped: its entries stay listed until the new connection is up.
    const kept =
      replacing && (replacing.state === 'ready' || replacing.state === 'restarting') ? replacing.catalog : undefined;
    // Tools first only where nothing is known (else the known catalog is listed meanwhile), and not for
    // replicas: a group lists its lead's catalog, whole or not.
    const restAfter = this.known.has(name) ? undefined : this.toolsFirst?.pending;
    const conn: Upstream =
      config.replicas === undefined
        ? new UpstreamConnection({ ...this.connectionOptions(name, config), replacing: kept, restAfter })
        : createGroup(name, config, kept, {
            options: (label, c) => this.connectionOptions(label, c, name),
            logger: this.opts.logger,
            metrics: this.opts.metrics ?? noopMetrics,
          });
    // Events of a connection that was replaced or removed no longer concern anyone.
    conn.on('catalog', () => {
      if (this.connections.get(name) !== conn) return;
      if (conn.state === 'ready' && !conn.restListing) this.known.remember(conn);
      this.emit('catalog', name);
    });
    conn.on('status', () => {
      if (this.connections.get(name) !== conn) return;
      if (conn.state === 'ready' && !this.live.has(conn)) {
        this.live.add(conn);
        if (conn.config.lazy) this.idle.arm(name, conn.config.idleTimeout);
      }
      // Entries listed from the known catalog appear or go with the state (a first connect, a failure).
      const fromKnown = this.servesKnown(conn);
      if (fromKnown !== (this.fromKnown.get(conn) ?? false) && conn.state !== 'closed') {
        this.fromKnown.set(conn, fromKnown);
        this.emit('catalog', name);
      }
      this.emit('status', name);
    });
    return conn;
  }

  /**
   * The catalog `conn` offers the aggregator now: its own once connected (kept while it restarts),
   * else what is known of it while it starts, retries before its first connect, or sleeps (lazy).
   */
  served(conn: Upstream): UpstreamCatalog | undefined {
    if (conn.state === 'ready' || conn.state === 'restarting') return conn.catalog;
    return this.servesKnown(conn) ? this.known.get(conn.name)?.catalog : undefined;
  }

  /** What is known of a server that is listed from it (instructions, capabilities), if it is. */
  knownOf(conn: Upstream): CachedServer | undefined {
    return this.servesKnown(conn) ? this.known.get(conn.name) : undefined;
  }

  private servesKnown(conn: Upstream): boolean {
    if (this.connections.get(conn.name) !== conn || !this.known.has(conn.name)) return false;
    if (this.sleeping.has(conn)) return true;
    return !this.live.has(conn) && (conn.state === 'connecting' || conn.state === 'retrying');
  }

  /**
   * A request is about to go to `name`: a sleeping lazy server starts now. Resolves when a server
   * listed from what is known has had its first attempt (undefined when there is nothing to wait for).
   */
  wake(name: string): Promise<void> | undefined {
    const conn = this.connections.get(name);
    if (!conn || !this.servesKnown(conn)) return undefined;
    if (this.sleeping.has(conn)) {
      this.sleeping.delete(conn);
      this.opts.logger.child({ component: `upstream:${name}` }).info('lazy server: starting on first use');
      this.emit('status', name);
    }
    return conn.start();
  }

  /** Counts a request to `name` (a lazy server with an idleTimeout stops when none came for that long). */
  beginUse(name: string): () => void {
    const config = this.connections.get(name)?.config;
    if (!config?.lazy) return noop;
    return this.idle.begin(name, config.idleTimeout);
  }

  /** Stops an idle lazy server: a fresh, sleeping connection takes its place, listed from what is known. */
  private sleep(name: string): void {
    const conn = this.connections.get(name);
    if (conn?.state !== 'ready' || !this.known.has(name) || this.idle.busy(name)) return;
    const fresh = this.create(name, conn.config, undefined);
    this.connections.set(name, fresh);
    this.sleeping.add(fresh);
    this.fromKnown.set(fresh, true);
    this.opts.logger
      .child({ component: `upstream:${name}` })
      .info({ idleTimeout: conn.config.idleTimeout }, 'lazy server idle: stopped (it starts again on the next use)');
    void conn.close();
    this.emit('catalog', name);
    this.emit('status', name);
  }

  /**
   * The connection `owner` (a downstream session) uses for `name`: its own one (ownedConnections.ts)
   * when the server is configured with isolation "session"; otherwise the shared one.
   */
  connectionFor(name: string, owner: object | undefined): Upstream | undefined {
    const shared = this.connections.get(name);
    if (!owner || !shared || shared.config.isolation !== 'session' || shared.state === 'disabled') return shared;
    return this.owned.get(owner, name, shared.config);
  }

  /** Closes the connections a downstream session owned (it ended). */
  release(owner: object): Promise<void> {
    return this.owned.release(owner);
  }

  /** Per-session connections of `names` (changed or removed by a reload) close; sessions reconnect on next use. */
  private retireOwned(names: Set<string>): Promise<void> {
    return this.owned.retire(names);
  }

  /** Open per-session connections (status and tests). */
  get ownedCount(): number {
    return this.owned.count;
  }

  /** `server` is the configured name a replica `name` speaks for (its own name otherwise). */
  private connectionOptions(name: string, config: UpstreamConfig, server = name): ConnectionOptions {
    return connectionOptionsFor(this.opts, name, config, server, {
      runId: this.runId,
      bridge: () => this.bridge,
      redact: (text) => this.redact(text),
    });
  }

  get(name: string): Upstream | undefined {
    return this.connections.get(name);
  }

  /** Connections in config order. */
  list(): Upstream[] {
    return [...this.connections.values()];
  }

  snapshot(): PoolStatus[] {
    return this.list().map((c) => {
      const known = this.sleeping.has(c) ? this.known.get(c.name) : undefined;
      return known ? idleStatus(c.status(), known.catalog) : c.status();
    });
  }

  /** True when no enabled upstream is down (a sleeping lazy one is not down). */
  allHealthy(): boolean {
    return this.list().every((c) => c.state === 'ready' || c.state === 'disabled' || this.sleeping.has(c));
  }

  /**
   * Applies a new set of upstream configs (reloadPlan.ts says what happens to each server). Added
   * servers connect, removed ones close, changed ones restart; untouched ones keep their connection,
   * their breaker and their in-flight calls. Resolves when the new and restarted servers have had
   * their first attempt.
   *
   * A changed server is swapped without a gap: the new connection keeps the old one's entries
   * listed and holds calls while it connects, and the old one closes once its calls in flight are
   * done (at most the shutdown grace), so callers see neither an unknown tool nor a closed connection.
   */
  async apply(configs: Record<string, UpstreamConfig>, proxy?: ProxyConfig): Promise<ReloadPlan> {
    const plan = planReload(this.connections, configs, proxy, this.opts.proxy);
    const { added, removed, changed, retried } = plan;
    this.opts = { ...this.opts, configs, proxy };
    const retired = [...removed, ...changed, ...retried].map((name) => this.connections.get(name)!);
    // The new map, in config order (listings keep a stable order).
    const next = new Map<string, Upstream>();
    const fresh: Upstream[] = [];
    for (const [name, config] of Object.entries(configs)) {
      const existing = this.connections.get(name);
      if (existing && !changed.includes(name) && !retried.includes(name)) {
        next.set(name, existing);
        continue;
      }
      if (!retried.includes(name) || !this.known.has(name)) this.known.load(name, config);
      const conn = this.create(name, config, existing);
      next.set(name, conn);
      fresh.push(conn);
    }
    this.connections.clear();
    for (const [k, v] of next) this.connections.set(k, v);
    // Retired servers leave the catalog now; their processes are stopped in parallel.
    if (removed.length || changed.length || retried.length) this.emit('catalog', '*');
    const grace = proxy?.timeouts?.shutdownGrace ?? DEFAULTS.shutdownGrace;
    for (const c of retired) {
      const done = c
        .retire(grace)
        .catch(() => {})
        .finally(() => this.draining.delete(c));
      this.draining.set(c, done);
    }
    forgetMetrics(this.opts.metrics, this.list(), retired);
    for (const name of removed) {
      this.known.forget(name);
      this.idle.cancel(name);
    }
    await Promise.all([
      ...fresh.map((c) => this.launch(c)),
      this.retireOwned(new Set([...removed, ...changed, ...retried])),
    ]);
    if (added.length || removed.length || changed.length || retried.length) {
      this.emit('catalog', '*');
      this.emit('status');
    }
    return plan;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.toolsFirst?.close(this.list());
    this.idle.clear();
    // Shutdown has had its own grace for calls in flight: replaced connections close now too.
    const draining = [...this.draining];
    const owned = this.owned.owners().map((o) => this.release(o));
    await Promise.all([
      ...owned,
      this.opts.prespawned?.close(),
      ...this.list().map((c) => c.close()),
      ...draining.map(([c, done]) => c.close().then(() => done)),
    ]);
    this.known.flush();
  }
}

function noop(): void {}
