/**
 * The result cache's rules: what is kept (readOnlyHint tools, per-tool rules, resource reads; never a
 * tool without the hint unless named, never prompts), for whom (per identity under a policy or OAuth,
 * per session under isolation "session", shared otherwise), the LRU bound, and what drops entries.
 */
import { describe, expect, test } from 'vitest';
import { type CacheQuery, ResultCache } from '../../src/aggregator/resultCache.js';
import type { UpstreamConfig } from '../../src/config/schema.js';
import { noopMetrics } from '../../src/observability/metrics.js';

const ro = { name: 't', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } } as any;
const plain = { name: 't', inputSchema: { type: 'object' } } as any;
const origin = (identity: string, session = 1, transient = false) =>
  ({ session: { id: session, transient, identity: { id: identity } } }) as any;

function q(config: Partial<UpstreamConfig>, extra: Partial<CacheQuery> = {}): CacheQuery {
  return {
    method: 'tools/call',
    upstream: 's',
    config: { type: 'stdio', command: 'x', ...config } as UpstreamConfig,
    name: 't',
    args: { a: 1 },
    definition: ro,
    origin: origin('alice'),
    ...extra,
  };
}

describe('what is cached', () => {
  const cache = new ResultCache(noopMetrics, () => false);
  const on = { cache: { ttlMs: 1000 } };

  test('readOnlyHint tools and resource reads with server settings; not without settings, hint or for prompts', () => {
    expect(cache.plan(q(on))?.ttl).toBe(1000);
    expect(cache.plan(q(on, { method: 'resources/read', name: 'file:///a', definition: undefined }))?.ttl).toBe(1000);
    expect(cache.plan(q({}))).toBeUndefined();
    expect(cache.plan(q(on, { definition: plain }))).toBeUndefined();
    expect(cache.plan(q(on, { method: 'prompts/get' }))).toBeUndefined();
  });

  test('a per-tool rule caches a tool without the hint; false never caches it', () => {
    const rules = { cache: { tools: { t: { ttlMs: 50, maxEntries: 2 } } } };
    expect(cache.plan(q(rules, { definition: plain }))).toMatchObject({ ttl: 50, max: 2, bucket: 's\0t' });
    expect(cache.plan(q({ cache: { ttlMs: 1000, tools: { t: false } } }))).toBeUndefined();
    // Only named tools: the server-wide TTL is absent.
    expect(cache.plan(q(rules, { name: 'other' }))).toBeUndefined();
  });
});

describe('for whom', () => {
  const key = (cache: ResultCache, config: Partial<UpstreamConfig>, o: unknown) =>
    cache.plan(q({ cache: { ttlMs: 1000 }, ...config }, { origin: o as any }))?.key;

  test('shared between callers when nothing can tell them apart', () => {
    const cache = new ResultCache(noopMetrics, () => false);
    expect(key(cache, {}, origin('alice', 1))).toBe(key(cache, {}, origin('bob', 2)));
  });

  test('per identity under an access policy or with OAuth upstream auth', () => {
    const policy = new ResultCache(noopMetrics, () => true);
    expect(key(policy, {}, origin('alice', 1))).not.toBe(key(policy, {}, origin('bob', 1)));
    expect(key(policy, {}, origin('alice', 1))).toBe(key(policy, {}, origin('alice', 2)));
    const open = new ResultCache(noopMetrics, () => false);
    const oauth = { type: 'http', url: 'https://x/mcp', oauth: true } as any;
    expect(key(open, oauth, origin('alice'))).not.toBe(key(open, oauth, origin('bob')));
  });

  test('per session for a server with a connection per session', () => {
    const cache = new ResultCache(noopMetrics, () => false);
    const iso = { isolation: 'session' } as const;
    expect(key(cache, iso, origin('alice', 1))).not.toBe(key(cache, iso, origin('alice', 2)));
  });
});

describe('keeping and dropping', () => {
  test('LRU bound, per-server drop, per-resource drop; hits and misses reported', () => {
    const seen: boolean[] = [];
    const cache = new ResultCache({ ...noopMetrics, observeCache: (_u, hit) => seen.push(hit) }, () => false);
    const settings = { ttlMs: 60_000, maxEntries: 2 };
    const config = { cache: settings };
    const plans = [1, 2, 3].map((a) => cache.plan(q(config, { args: { a } }))!);
    for (const [i, p] of plans.entries()) cache.set(p, settings, { n: i });
    expect(cache.get(plans[0], 's')).toBeUndefined();
    expect(cache.get(plans[2], 's')).toEqual({ n: 2 });
    const res = (name: string) => cache.plan(q(config, { method: 'resources/read', name, args: undefined }))!;
    cache.set(res('file:///a'), settings, { a: 1 });
    cache.set(res('file:///b'), settings, { b: 1 });
    cache.dropResource('s', 'file:///a');
    expect(cache.get(res('file:///a'), 's')).toBeUndefined();
    expect(cache.get(res('file:///b'), 's')).toEqual({ b: 1 });
    cache.dropServer('s');
    expect(cache.get(res('file:///b'), 's')).toBeUndefined();
    expect(seen).toEqual([false, true, false, true, false]);
  });
});
