/**
 * The opt-in result cache: results of tools annotated readOnlyHint (or named in the server's cache
 * rules) and of resource reads, per server, bounded by a TTL and an LRU size (lru-cache). A server's
 * results go when it says its lists changed or when it is reloaded, a resource's when the server
 * says it was updated. The key holds the caller's identity wherever two callers could be told
 * different things: an access policy is configured, or the server logs in with OAuth; and the
 * session too for a server with a connection per session.
 */
import type { Tool } from '@modelcontextprotocol/server';
import { LRUCache } from 'lru-cache';
import type { UpstreamConfig } from '../config/schema.js';
import type { CacheConfig } from '../config/schemaScale.js';
import type { Metrics } from '../observability/metrics.js';
import type { CallOrigin } from './sessions.js';

export const DEFAULT_MAX_ENTRIES = 1000;

/** What is being asked, as the forwarder knows it. */
export interface CacheQuery {
  method: string;
  upstream: string;
  config: UpstreamConfig;
  /** The upstream tool or prompt name, or the upstream resource URI. */
  name: string;
  args?: unknown;
  definition?: Tool;
  origin?: CallOrigin;
}

interface Bucket {
  /** The cache settings it was made for: a reload that changes them starts afresh. */
  settings: CacheConfig;
  lru: LRUCache<string, object>;
}

export class ResultCache {
  /** Per server, and per tool with a rule of its own: `server` or `server\0tool`. */
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly metrics: Metrics,
    /** Whether an access policy is configured (then results are kept per identity). */
    private readonly policyConfigured: () => boolean,
  ) {}

  /** Where and for how long this request's result may be kept; undefined when it is not cached. */
  plan(q: CacheQuery): { bucket: string; key: string; ttl: number; max: number } | undefined {
    const settings = q.config.cache;
    if (!settings) return undefined;
    let ttl: number | undefined;
    let max = settings.maxEntries ?? DEFAULT_MAX_ENTRIES;
    let bucket = q.upstream;
    if (q.method === 'tools/call') {
      const rule = settings.tools?.[q.name];
      if (rule === false) return undefined;
      if (rule) {
        ttl = rule.ttlMs;
        bucket = `${q.upstream}\0${q.name}`;
        max = rule.maxEntries ?? max;
      } else if (q.definition?.annotations?.readOnlyHint === true) ttl = settings.ttlMs;
    } else if (q.method === 'resources/read') ttl = settings.ttlMs;
    if (ttl === undefined) return undefined;
    const key = JSON.stringify([q.method, q.name, q.args ?? null, this.scope(q)]);
    return { bucket, key, ttl, max };
  }

  /** Who the result is for: nobody in particular, an identity, or one session. */
  private scope(q: CacheQuery): string | null {
    const session = q.origin?.session;
    if (q.config.isolation === 'session') return session && !session.transient ? `session:${session.id}` : 'none';
    const perIdentity = this.policyConfigured() || ('oauth' in q.config && q.config.oauth !== undefined);
    return perIdentity ? `identity:${session?.identity?.id ?? 'none'}` : null;
  }

  get(plan: { bucket: string; key: string }, upstream: string): object | undefined {
    const hit = this.buckets.get(plan.bucket)?.lru.get(plan.key);
    this.metrics.observeCache(upstream, hit !== undefined);
    return hit;
  }

  set(plan: { bucket: string; key: string; ttl: number; max: number }, settings: CacheConfig, result: object): void {
    let b = this.buckets.get(plan.bucket);
    if (!b || b.settings !== settings || b.lru.max !== plan.max) {
      b = { settings, lru: new LRUCache<string, object>({ max: plan.max, ttlAutopurge: false }) };
      this.buckets.set(plan.bucket, b);
    }
    b.lru.set(plan.key, result, { ttl: plan.ttl });
  }

  /** Everything of `upstream` (its lists changed, or it was reloaded); '*' for every server. */
  dropServer(upstream: string): void {
    for (const k of [...this.buckets.keys()]) {
      if (upstream === '*' || k === upstream || k.startsWith(`${upstream}\0`)) this.buckets.delete(k);
    }
  }

  /** The reads of one resource of `upstream` (its upstream URI). */
  dropResource(upstream: string, uri: string): void {
    const lru = this.buckets.get(upstream)?.lru;
    if (!lru) return;
    const prefix = JSON.stringify(['resources/read', uri]).slice(0, -1);
    for (const k of [...lru.keys()]) if (k.startsWith(prefix)) lru.delete(k);
  }
}
