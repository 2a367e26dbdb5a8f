/**
 * What the pool knows each server offers while it is not connected: the catalog it had the last time
 * (this run, or an earlier one through the on-disk CatalogCache). The aggregator lists it while the
 * server starts, and while a lazy server sleeps, so clients see every tool from the first listing.
 */
import type { UpstreamConfig } from '../config/schema.js';
import { type RedactFn, redactDeep } from '../observability/redact.js';
import type { CachedServer, CatalogCache } from './catalogCache.js';
import type { Upstream } from './upstream.js';

export class KnownCatalogs {
  private readonly known = new Map<string, CachedServer>();
  /** What was last written per server, so an unchanged catalog is not written again. */
  private readonly written = new Map<string, string>();
  /** Catalogs to write at the next flush. */
  private readonly due = new Map<string, { config: UpstreamConfig; entry: CachedServer }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly cache: CatalogCache | undefined,
    private readonly redact: RedactFn,
    /** Whether the on-disk cache is used now (proxy.cache can be switched off by a reload). */
    private readonly enabled: () => boolean,
  ) {}

  /** Loads `name`'s entry for exactly this config from the disk cache (a miss forgets what was known). */
  load(name: string, config: UpstreamConfig): CachedServer | undefined {
    const entry = this.enabled() ? this.cache?.read(name, config) : undefined;
    if (entry) {
      this.known.set(name, entry);
      this.written.set(name, JSON.stringify(entry));
    } else this.forget(name);
    return entry;
  }

  get(name: string): CachedServer | undefined {
    return this.known.get(name);
  }

  has(name: string): boolean {
    return this.known.has(name);
  }

  forget(name: string): void {
    this.known.delete(name);
    this.written.delete(name);
    this.due.delete(name);
  }

  /**
   * A connected server's catalog now: kept in memory, and written to the disk cache when it changed.
   * The write comes a little later (WRITE_DELAY_MS, with the others due by then): servers connect in a
   * burst at start-up, while the first listing waits for them and they compete for the CPU, and the
   * next start needs the file, not this one. `flush` writes what is still due (the pool's close).
   */
  remember(conn: Upstream): void {
    // In memory as clients see it live: masking a name (one that merely looks like a configured secret)
    // would list a tool nobody can call.
    const live: CachedServer = {
      catalog: conn.catalog,
      capabilities: conn.capabilities,
      instructions: conn.instructions,
    };
    this.known.set(conn.name, live);
    if (!this.enabled() || !this.cache) return;
    // Secrets a server put into its own descriptions stay out of the file; a catalog whose names the
    // masking changes is not written at all (the next start lists it live instead).
    const entry = redactDeep(live, this.redact) as CachedServer;
    const text = JSON.stringify(entry);
    if (this.written.get(conn.name) === text) return;
    this.written.set(conn.name, text);
    if (namesMasked(live, entry)) return;
    this.due.set(conn.name, { config: conn.config, entry });
    this.timer ??= setTimeout(() => this.flush(), WRITE_DELAY_MS).unref();
  }

  /** Writes every catalog still due to the disk cache now. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const due = [...this.due];
    this.due.clear();
    this.cache?.writeAll(due.map(([name, { config, entry }]) => [name, config, entry]));
  }
}

/** Whether masking changed a name or URI a client calls or reads by. */
function namesMasked(live: CachedServer, masked: CachedServer): boolean {
  const ids = (c: CachedServer) =>
    JSON.stringify([
      c.catalog.tools.map((t) => t.name),
      c.catalog.prompts.map((p) => p.name),
      c.catalog.resources.map((r) => r.uri),
      c.catalog.resourceTemplates.map((t) => t.uriTemplate),
    ]);
  return ids(live) !== ids(masked);
}

/** How long after a server connected its catalog is written (those connecting meanwhile share the moment). */
const WRITE_DELAY_MS = 1000;
