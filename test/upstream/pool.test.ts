/**
 * UpstreamPool in process: each configured server is an in-memory SDK server (through the pool's
 * openTransport port), so start, snapshot, reload diffs, per-session connections and close run fast.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { UpstreamConfig } from '../../src/config/schema.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/prometheus.js';
import { CatalogCache } from '../../src/upstream/catalogCache.js';
import type { OpenTransport } from '../../src/upstream/options.js';
import { UpstreamPool } from '../../src/upstream/pool.js';
import { tmpDir } from '../helpers/files.js';
import { InMemoryUpstream } from '../helpers/inMemoryUpstream.js';

const PROXY = { timeouts: { connect: 1000, request: 1000, shutdownGrace: 100 } };
let pool: UpstreamPool | undefined;
let upstreams: Record<string, InMemoryUpstream>;

afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

const server = (extra: Record<string, unknown> = {}) =>
  ({ type: 'stdio', command: 'in-memory', ...extra }) as UpstreamConfig;

function makePool(
  configs: Record<string, UpstreamConfig>,
  metrics?: ReturnType<typeof createMetrics>,
  cache?: CatalogCache,
) {
  upstreams = {};
  const open: OpenTransport = (name, config, deps) => {
    upstreams[name] ??= new InMemoryUpstream();
    return upstreams[name].open(name, config, deps);
  };
  pool = new UpstreamPool({
    configs,
    logger: createLogger({ level: 'silent', format: 'json' }),
    env: {},
    cwd: process.cwd(),
    openTransport: open,
    proxy: PROXY,
    metrics,
    cache,
  });
  return pool;
}

/** A cache that knows the catalogs of `names` (what an earlier run left). */
function cacheKnowing(configs: Record<string, UpstreamConfig>, names: string[]): CatalogCache {
  const cache = new CatalogCache(tmpDir(), createLogger({ level: 'silent', format: 'json' }));
  const catalog = { tools: [{ name: 'echo', inputSchema: { type: 'object' as const } }], prompts: [], resources: [] };
  for (const name of names) cache.write(name, configs[name], { catalog: { ...catalog, resourceTemplates: [] } });
  return cache;
}

/** A promise resolved from outside. */
function release<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};
const opens = () => Object.fromEntries(Object.entries(upstreams).map(([k, u]) => [k, u.opens]));

describe('UpstreamPool.start with deferUntil', () => {
  const configs = { a: server(), b: server({ args: ['b'] }), c: server({ args: ['c'] }) };

  it('every catalog known: nothing starts before the release, then each server once', async () => {
    const p = makePool(configs, undefined, cacheKnowing(configs, ['a', 'b', 'c']));
    const go = release<boolean>();
    const started = p.start({ deferUntil: go.promise });
    await turns(20);
    expect(opens()).toEqual({});
    expect(p.served(p.get('b')!)?.tools.map((t) => t.name)).toEqual(['echo']);
    go.resolve(true);
    await started;
    expect(opens()).toEqual({ a: 1, b: 1, c: 1 });
    expect(p.list().map((c) => c.state)).toEqual(['ready', 'ready', 'ready']);
  });

  it('a request meanwhile starts its server at once (wake), and the release does not start it again', async () => {
    const p = makePool(configs, undefined, cacheKnowing(configs, ['a', 'b', 'c']));
    const go = release<boolean>();
    const started = p.start({ deferUntil: go.promise });
    await p.wake('b');
    expect(opens()).toEqual({ b: 1 });
    expect(p.get('b')!.state).toBe('ready');
    go.resolve(true);
    await started;
    expect(opens()).toEqual({ a: 1, b: 1, c: 1 });
  });

  it('one catalog unknown: every server starts at once', async () => {
    const p = makePool(configs, undefined, cacheKnowing(configs, ['a', 'b']));
    await p.start({ deferUntil: new Promise(() => {}) });
    expect(opens()).toEqual({ a: 1, b: 1, c: 1 });
  });

  it('closed before the release, or released with false: nothing starts', async () => {
    for (const how of ['close', 'false'] as const) {
      const p = makePool(configs, undefined, cacheKnowing(configs, ['a', 'b', 'c']));
      const go = release<boolean>();
      const started = p.start({ deferUntil: go.promise });
      if (how === 'close') await p.close();
      go.resolve(how !== 'false');
      await started;
      await turns(20);
      expect(opens()).toEqual({});
      await p.close();
    }
  });
});

describe('UpstreamPool', () => {
  it('starts every enabled server once, in parallel, and reports them in config order', async () => {
    const p = makePool({ b: server(), a: server(), off: server({ disabled: true }) });
    const events: string[] = [];
    p.on('status', (name?: string) => events.push(name ?? '*'));
    expect(p.firstRoundDone).toBe(false);
    await p.start();
    expect(p.firstRoundDone).toBe(true);
    expect(p.snapshot().map((s) => [s.name, s.state, s.tools])).toEqual([
      ['b', 'ready', 2],
      ['a', 'ready', 2],
      ['off', 'disabled', 0],
    ]);
    expect(Object.fromEntries(Object.entries(upstreams).map(([n, u]) => [n, u.opens]))).toEqual({ a: 1, b: 1 });
    expect(p.allHealthy()).toBe(true);
    expect(events).toContain('*');
  });

  it('a server that cannot start is failed, the others serve, and allHealthy says so', async () => {
    const p = makePool({ good: server(), bad: server({ args: ['x'] }) });
    upstreams.bad = new InMemoryUpstream();
    upstreams.bad.mode = 'refuse';
    await p.start();
    expect(p.get('bad')!.state).toBe('failed');
    expect(p.get('bad')!.lastError).toMatch(/command not found/);
    expect(p.get('good')!.state).toBe('ready');
    expect(p.allHealthy()).toBe(false);
  });

  it('apply() touches only what changed, and tries a failed server again', async () => {
    const p = makePool({ same: server(), changed: server(), removed: server(), failed: server({ args: ['f'] }) });
    upstreams.failed = new InMemoryUpstream();
    upstreams.failed.mode = 'refuse';
    await p.start();
    const same = p.get('same')!;
    const removed = p.get('removed')!;
    upstreams.failed.mode = 'ok';
    const diff = await p.apply(
      {
        same: server(),
        changed: server({ args: ['new'] }),
        failed: server({ args: ['f'] }),
        added: server(),
      },
      PROXY,
    );
    expect(diff).toEqual({
      added: ['added'],
      removed: ['removed'],
      changed: ['changed'],
      retried: ['failed'],
      unchanged: ['same'],
    });
    expect(p.get('same')).toBe(same);
    expect(upstreams.same.opens).toBe(1);
    expect(upstreams.changed.opens).toBe(2);
    expect(p.get('removed')).toBeUndefined();
    expect(p.list().map((c) => c.name)).toEqual(['same', 'changed', 'failed', 'added']);
    expect(p.snapshot().every((s) => s.state === 'ready')).toBe(true);
    await p.close();
    expect(removed.state).toBe('closed');
  });

  it("a reload takes the gauges of removed servers and replicas out of /metrics; the others' stay", async () => {
    const metrics = createMetrics({ processMetrics: false });
    const gauges = async () =>
      (await metrics.render())
        .split('\n')
        .filter((l) => /^mcp_proxy_upstream_(up|breaker_state)\{/.test(l))
        .sort();
    const p = makePool({ r: server({ replicas: 3 }), gone: server({ replicas: 2 }), plain: server() }, metrics);
    await p.start();
    const before = await gauges();
    for (const n of ['r', 'r#1', 'r#2', 'r#3', 'gone', 'gone#1', 'gone#2', 'plain']) {
      expect(before).toContain(`mcp_proxy_upstream_up{upstream="${n}"} 1`);
    }
    expect(before.some((l) => l.startsWith('mcp_proxy_upstream_breaker_state{upstream="gone#1"}'))).toBe(true);

    await p.apply({ r: server({ replicas: 2 }), plain: server() }, PROXY);
    const after = await gauges();
    const labels = new Set(after.map((l) => /upstream="([^"]+)"/.exec(l)![1]));
    expect([...labels].sort()).toEqual(['plain', 'r', 'r#1', 'r#2']);
    for (const n of labels) expect(after).toContain(`mcp_proxy_upstream_up{upstream="${n}"} 1`);
  });

  it('a change of the settings connections are built with restarts every server', async () => {
    const p = makePool({ a: server(), b: server() });
    await p.start();
    const diff = await p.apply({ a: server(), b: server() }, { ...PROXY, retry: { maxRestarts: 1 } });
    expect(diff.changed).toEqual(['a', 'b']);
    expect(upstreams.a.opens + upstreams.b.opens).toBe(4);
  });

  it('gives a session its own connection for an isolated server, and closes it on release', async () => {
    const p = makePool({ iso: server({ isolation: 'session' }), shared: server() });
    await p.start();
    const owner = {};
    const mine = p.connectionFor('iso', owner)!;
    expect(mine).not.toBe(p.get('iso'));
    expect(p.connectionFor('iso', owner)).toBe(mine);
    expect(p.connectionFor('shared', owner)).toBe(p.get('shared'));
    expect(p.ownedCount).toBe(1);
    await mine.start();
    expect(mine.state).toBe('ready');
    await p.release(owner);
    expect(mine.state).toBe('closed');
    expect(p.ownedCount).toBe(0);
  });

  it('close() closes every connection', async () => {
    const p = makePool({ a: server(), b: server() });
    await p.start();
    const conns = p.list();
    await p.close();
    expect(conns.map((c) => c.state)).toEqual(['closed', 'closed']);
    expect(upstreams.a.closed + upstreams.b.closed).toBe(2);
  });
});
