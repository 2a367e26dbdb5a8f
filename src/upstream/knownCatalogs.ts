/**
 * What the pool knows each server offers while it is not connected: the catalog it had the last time
 * (this run, or an earlier one through the on-disk CatalogCache). The aggregator lists it while the
 * server starts, and while a lazy server sleeps, so clients see every tool from the first listing.
 */
import type { UpstreamConfig } from '../config/schema.js';
import { type RedactFn, redactDeep } from '../observability/redact.js';
import type { CachedServer, CatalogCache } from './catalogCache.js';
import type { UpstreamConnection } from './connection.js';

export class KnownCatalogs {
  private readonly known = new Map<string, CachedServer>();
  /** What was last written per server, so an unchanged catalog is not written again. */
  private readonly written = new Map<string, string>();

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
  }

  /** A connected server's catalog now: kept in memory, and written to the disk cache when it changed. */
  remember(conn: UpstreamConnection): void {
    // Secrets a server put into its own descriptions stay out of the file too.
    const entry = redactDeep(
      { catalog: conn.catalog, capabilities: conn.capabilities, instructions: conn.instructions },
      this.redact,
    ) as CachedServer;
    this.known.set(conn.name, entry);
    const text = JSON.stringify(entry);
    if (this.written.get(conn.name) === text) return;
    this.written.set(conn.name, text);
    if (this.enabled()) this.cache?.write(conn.name, conn.config, entry);
  }
}
