/**
 * What each server offered the last time it connected (tools, prompts, resources, templates,
 * instructions), kept in the user's cache directory so a proxy that starts serves a complete list
 * at once and replaces it with the live one when the server is up. Many clients read their tools
 * once, at start: with the cache they see every server's tools even while a slow one starts.
 *
 * One file per server, named by a hash of the server's resolved config with its environment and
 * header values left out (secrets never reach the cache, and its name reveals none); written 0600,
 * atomically. A missing or stale entry is simply a miss; an unreadable one is a miss with a warning.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ServerCapabilities } from '@modelcontextprotocol/client';
import type { UpstreamConfig } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import { atomicWrite } from '../util/atomicWrite.js';
import { nameHash } from '../util/nameHash.js';
import type { UpstreamCatalog } from './connection.js';

const FORMAT = 1;

export interface CachedServer {
  catalog: UpstreamCatalog;
  capabilities?: ServerCapabilities;
  instructions?: string;
}

interface CacheFile extends CachedServer {
  format: number;
  server: string;
  savedAt: string;
}

export class CatalogCache {
  constructor(
    /** The directory; undefined turns the cache off. */
    readonly dir: string | undefined,
    private readonly log: Logger,
    /** Called after a writeAll that wrote something. */
    private readonly onWritten?: () => void,
  ) {}

  /** The cached catalog of `name` with exactly this config, if any. */
  read(name: string, config: UpstreamConfig): CachedServer | undefined {
    if (!this.dir) return undefined;
    const file = this.file(name, config);
    let raw: string;
    try {
      raw = fs.readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
    try {
      const parsed = JSON.parse(raw) as CacheFile;
      if (parsed.format !== FORMAT || parsed.server !== name || !isCatalog(parsed.catalog))
        throw new Error('not a catalog');
      return { catalog: parsed.catalog, capabilities: parsed.capabilities, instructions: parsed.instructions };
    } catch (e) {
      this.log.warn(
        { server: name, file, err: (e as Error).message },
        'catalog cache entry unreadable: ignored (it is rewritten once the server connects)',
      );
      return undefined;
    }
  }

  /** Stores what `name` offers now (atomically; a failure only costs the next start its head start). */
  write(name: string, config: UpstreamConfig, entry: CachedServer): boolean {
    if (!this.dir) return false;
    const file = this.file(name, config);
    const body: CacheFile = { format: FORMAT, server: name, savedAt: new Date().toISOString(), ...entry };
    try {
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      // Not synced to disk: a file a crash tore is unreadable, which is a miss (and a warning).
      atomicWrite(file, JSON.stringify(body), { mode: 0o600, durable: false });
      return true;
    } catch (e) {
      this.log.debug({ server: name, err: (e as Error).message }, 'could not write the catalog cache');
      return false;
    }
  }

  /** Stores several servers' catalogs (write for each), then tells onWritten once. */
  writeAll(entries: Iterable<[name: string, config: UpstreamConfig, entry: CachedServer]>): void {
    let wrote = false;
    for (const [name, config, entry] of entries) wrote = this.write(name, config, entry) || wrote;
    if (wrote) this.onWritten?.();
  }

  private file(name: string, config: UpstreamConfig): string {
    return path.join(this.dir!, `${name.replace(/[^A-Za-z0-9_-]/g, '_')}-${configKey(name, config)}.json`);
  }
}

/**
 * A hash of what decides a server's catalog: everything in its config except the values of its
 * environment and headers (their names stay: a different variable is a different server).
 */
export function configKey(name: string, config: UpstreamConfig): string {
  const c = { ...config } as Record<string, unknown>;
  for (const k of ['env', 'headers'] as const) {
    const v = c[k];
    if (v && typeof v === 'object') c[k] = Object.keys(v).sort();
  }
  return nameHash(JSON.stringify([name, sortKeys(c)]));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!v || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
  );
}

function isCatalog(c: unknown): c is UpstreamCatalog {
  const x = c as UpstreamCatalog | undefined;
  return (
    !!x &&
    Array.isArray(x.tools) &&
    Array.isArray(x.prompts) &&
    Array.isArray(x.resources) &&
    Array.isArray(x.resourceTemplates)
  );
}
