/**
 * All upstreams: start in parallel, snapshot their status, emit changes, close them all.
 * Apply a new config by diffing: added servers connect, removed ones close, changed ones restart,
 * untouched ones keep their connections and in-flight calls.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ProxyConfig, UpstreamConfig } from '../config/schema.js';
import { DEFAULTS, normalizeServerEntry } from '../config/schema.js';
import { replicaEntries } from '../config/schemaScale.js';
import type { Logger } from '../observability/logger.js';
import { type Metrics, noopMetrics } from '../observability/metrics.js';
import type { RedactFn } from '../observability/redact.js';
import {
  type ConnectionOptions,
  DEFAULT_RETRY,
  type DownstreamBridge,
  type UpstreamCatalog,
  UpstreamConnection,
  type UpstreamStatus,
} from './connection.js';
import { UpstreamGroup } from './group.js';
import type { OpenTransport } from './options.js';
import type { TransportDeps } from './transports.js';
import type { Upstream } from './upstream.js';

export interface PoolOptions {
  configs: Record<string, UpstreamConfig>;
  proxy?: ProxyConfig;
  logger: Logger;
  metrics?: Metrics;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Where upstream stderr lines go (already prefixed with the server name). Default: our stderr. */
  onStderrLine?: (line: string) => void;
  docker?: TransportDeps['docker'];
  /** OAuth logins of HTTP/SSE upstreams. */
  auth?: TransportDeps['auth'];
  /** Masks registered secrets in what the upstreams report (last errors, exit descriptions, call errors). */
  redact?: RedactFn;
  /** Opens upstream transports (tests put in-process servers here); createTransport by default. */
  openTransport?: OpenTransport;
}

export class UpstreamPool extends EventEmitter {
  private readonly connections = new Map<string, Upstream>();
  private opts: PoolOptions;
  /** Identifies this proxy run (labels on Docker upstreams). */
  readonly runId = randomUUID().slice(0, 8);
  private bridge?: DownstreamBridge;
  private _firstRoundDone = false;
  /** Connections owned by one downstream session (isolation "session"): owner -> server name -> connection. */
  private readonly owned = new Map<object, Map<string, UpstreamConnection>>();
  /** Replaced or removed connections finishing their calls in flight (see UpstreamConnection.retire). */
  private readonly draining = new Map<Upstream, Promise<void>>();

  constructor(opts: PoolOptions) {
    super();
    this.opts = opts;
    this.setMaxListeners(0);
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

  /** Connects every configured upstream in parallel; resolves when each has succeeded or failed once. */
  async start(): Promise<void> {
    for (const [name, config] of Object.entries(this.opts.configs)) this.add(name, config);
    await Promise.all([...this.connections.values()].map((c) => c.start()));
    this._firstRoundDone = true;
    this.emit('status');
  }

  private add(name: string, config: UpstreamConfig): Upstream {
    const conn = this.create(name, config, undefined);
    this.connections.set(name, conn);
    return conn;
  }

  private create(name: string, config: UpstreamConfig, replacing: Upstream | undefined): Upstream {
    // A connected server being swapped: its entries stay listed until the new connection is up.
    const kept =
      replacing && (replacing.state === 'ready' || replacing.state === 'restarting') ? replacing.catalog : undefined;
    const conn = config.replicas === undefined ? this.single(name, config, kept) : this.group(name, config, kept);
    // Events of a connection that was replaced or removed no longer concern anyone.
    conn.on('catalog', () => {
      if (this.connections.get(name) === conn) this.emit('catalog', name);
    });
    conn.on('status', () => {
      if (this.connections.get(name) === conn) this.emit('status', name);
    });
    return conn;
  }

  private single(name: string, config: UpstreamConfig, replacing?: UpstreamCatalog): UpstreamConnection {
    return new UpstreamConnection({ ...this.connectionOptions(name, config), replacing });
  }

  /**
   * Replicas, each a connection named `name#i` (its status, metrics and log lines) that speaks for
   * `name` everywhere else: its server-to-client traffic and its OAuth login are the server's.
   */
  private group(name: string, config: UpstreamConfig, replacing?: UpstreamCatalog): UpstreamGroup {
    const specs = replicaEntries(name, config as Record<string, unknown>, normalizeServerEntry);
    const replicas = specs.map((s) => {
      const spec = { ...s, config: s.config as UpstreamConfig };
      const opts = this.connectionOptions(spec.label, spec.config, name);
      return { spec, conn: new UpstreamConnection({ ...opts, replacing }) };
    });
    const log = this.opts.logger.child({ component: `upstream:${name}` });
    return new UpstreamGroup(name, config, replicas, log, this.opts.metrics ?? noopMetrics);
  }

  /**
   * The connection `owner` (a downstream session) uses for `name`: its own one, started on first use,
   * when the server is configured with isolation "session"; otherwise the shared one.
   */
  connectionFor(name: string, owner: object | undefined): Upstream | undefined {
    const shared = this.connections.get(name);
    if (!owner || !shared || shared.config.isolation !== 'session' || shared.state === 'disabled') return shared;
    let mine = this.owned.get(owner);
    if (!mine) {
      mine = new Map();
      this.owned.set(owner, mine);
    }
    let conn = mine.get(name);
    if (!conn) {
      const opts = this.connectionOptions(name, shared.config);
      // Its catalog is the shared connection's; its gauges would overwrite the shared one's.
      conn = new UpstreamConnection({ ...opts, owner, metrics: noopMetrics });
      mine.set(name, conn);
      void conn.start();
    }
    return conn;
  }

  /** Closes the connections a downstream session owned (it ended). */
  async release(owner: object): Promise<void> {
    const mine = this.owned.get(owner);
    if (!mine) return;
    this.owned.delete(owner);
    await Promise.all([...mine.values()].map((c) => c.close()));
  }

  /** Per-session connections of `names` (changed or removed by a reload) close; sessions reconnect on next use. */
  private async retireOwned(names: Set<string>): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const mine of this.owned.values()) {
      for (const [name, conn] of mine) {
        if (!names.has(name)) continue;
        mine.delete(name);
        closing.push(conn.close());
      }
    }
    await Promise.all(closing);
  }

  /** Open per-session connections (status and tests). */
  get ownedCount(): number {
    let n = 0;
    for (const mine of this.owned.values()) n += mine.size;
    return n;
  }

  /** `server` is the configured name a replica `name` speaks for (its own name otherwise). */
  private connectionOptions(name: string, config: UpstreamConfig, server = name): ConnectionOptions {
    const proxy = this.opts.proxy ?? {};
    const stderr = this.opts.onStderrLine ?? ((line: string) => process.stderr.write(`${line}\n`));
    const transportDeps: TransportDeps = {
      logger: this.opts.logger,
      env: this.opts.env,
      cwd: this.opts.cwd,
      onStderrLine: stderr,
      runId: this.runId,
      docker: this.opts.docker,
      auth: this.opts.auth && server !== name ? (_n, c) => this.opts.auth?.(server, c) : this.opts.auth,
    };
    return {
      name,
      config,
      transportDeps,
      logger: this.opts.logger,
      metrics: this.opts.metrics ?? noopMetrics,
      bridge: {
        request: (u, m, p, s, o) => {
          if (!this.bridge) return Promise.reject(new Error(`no downstream client to handle ${m}`));
          return this.bridge.request(u === name ? server : u, m, p, s, o);
        },
        notify: (u, m, p, o) => this.bridge?.notify(u === name ? server : u, m, p, o),
      },
      connectTimeout: proxy.timeouts?.connect ?? DEFAULTS.connectTimeout,
      requestTimeout: proxy.timeouts?.request ?? DEFAULTS.requestTimeout,
      retry: { ...DEFAULT_RETRY, ...stripUndefined(proxy.retry ?? {}) },
      breaker: {
        failureThreshold: proxy.breaker?.failureThreshold ?? 5,
        halfOpenAfter: proxy.breaker?.halfOpenAfter ?? 10_000,
      },
      healthCheckInterval: proxy.healthCheckInterval ?? 30_000,
      redact: (text) => this.redact(text),
      openTransport: this.opts.openTransport,
    };
  }

  get(name: string): Upstream | undefined {
    return this.connections.get(name);
  }

  /** Connections in config order. */
  list(): Upstream[] {
    return [...this.connections.values()];
  }

  snapshot(): UpstreamStatus[] {
    return this.list().map((c) => c.status());
  }

  /** True when no enabled upstream is down. */
  allHealthy(): boolean {
    return this.list().every((c) => c.state === 'ready' || c.state === 'disabled');
  }

  /**
   * Applies a new set of upstream configs: only what changed is touched. Added servers connect,
   * removed ones close, changed ones restart; untouched ones keep their connection, their breaker
   * and their in-flight calls. Proxy settings that shape connections (timeouts, retry, breaker)
   * restart every server when they change. Resolves when the new and restarted servers have had
   * their first attempt.
   *
   * A changed server is swapped without a gap: the new connection keeps the old one's entries
   * listed and holds calls while it connects, and the old one closes once its calls in flight are
   * done (at most the shutdown grace), so callers see neither an unknown tool nor a closed connection.
   */
  async apply(
    configs: Record<string, UpstreamConfig>,
    proxy?: ProxyConfig,
  ): Promise<{ added: string[]; removed: string[]; changed: string[]; retried: string[]; unchanged: string[] }> {
    const settingsChanged =
      JSON.stringify(connectionSettings(proxy)) !== JSON.stringify(connectionSettings(this.opts.proxy));
    this.opts = { ...this.opts, configs, proxy };
    const added: string[] = [];
    const removed: string[] = [];
    const changed: string[] = [];
    const unchanged: string[] = [];
    const retried: string[] = [];
    const retired: Upstream[] = [];
    for (const [name, conn] of this.connections) {
      if (!(name in configs)) {
        removed.push(name);
        retired.push(conn);
        // A retired connection leaves the metrics alone (a successor may own them); a removed one has none.
        this.opts.metrics?.setUpstreamUp(name, false);
      }
    }
    // The new map, in config order (listings keep a stable order).
    const next = new Map<string, Upstream>();
    const fresh: Upstream[] = [];
    for (const [name, config] of Object.entries(configs)) {
      const existing = this.connections.get(name);
      // A server that was given up on is tried again on every reload (the user may have fixed it).
      const sameConfig = !settingsChanged && JSON.stringify(existing?.config) === JSON.stringify(config);
      if (existing && sameConfig && existing.state !== 'failed') {
        next.set(name, existing);
        unchanged.push(name);
        continue;
      }
      if (existing) {
        (sameConfig ? retried : changed).push(name);
        retired.push(existing);
      } else {
        added.push(name);
      }
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
    await Promise.all([
      ...fresh.map((c) => c.start()),
      this.retireOwned(new Set([...removed, ...changed, ...retried])),
    ]);
    if (added.length || removed.length || changed.length || retried.length) {
      this.emit('catalog', '*');
      this.emit('status');
    }
    return { added, removed, changed, retried, unchanged };
  }

  async close(): Promise<void> {
    // Shutdown has had its own grace for calls in flight: replaced connections close now too.
    const draining = [...this.draining];
    const owned = [...this.owned.keys()].map((o) => this.release(o));
    await Promise.all([
      ...owned,
      ...this.list().map((c) => c.close()),
      ...draining.map(([c, done]) => c.close().then(() => done)),
    ]);
  }
}

/** The proxy settings a connection is built with (a change restarts the connections). */
function connectionSettings(proxy: ProxyConfig | undefined): unknown {
  return {
    connect: proxy?.timeouts?.connect,
    request: proxy?.timeouts?.request,
    retry: proxy?.retry ?? {},
    breaker: proxy?.breaker ?? {},
    healthCheckInterval: proxy?.healthCheckInterval,
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
