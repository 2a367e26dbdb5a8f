/**
 * Start-up with a warm catalog cache: the first listing needs no server, so the servers not started
 * early start once it has been answered (bounded), not while it is being served. With any catalog
 * unknown every server starts at once. A call meanwhile starts its server at once; a shutdown
 * meanwhile starts nothing. Each server still starts exactly once.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { Aggregator } from '../../../src/aggregator/server.js';
import { startUpstreams } from '../../../src/cli/run/startup.js';
import type { UpstreamConfig } from '../../../src/config/schema.js';
import { Lifecycle } from '../../../src/lifecycle.js';
import { createLogger } from '../../../src/observability/logger.js';
import { CatalogCache } from '../../../src/upstream/catalogCache.js';
import { UpstreamPool } from '../../../src/upstream/pool.js';
import { PrespawnRegistry, prespawnServers } from '../../../src/upstream/prespawn.js';
import { tmpDir } from '../../helpers/files.js';
import { ECHO, FIXTURES, NODE } from '../../helpers/paths.js';
import { until } from '../../helpers/wait.js';

const COUNTED = path.join(FIXTURES, 'counted-server.mjs');
const logger = createLogger({ level: 'silent', format: 'json' });
/** Long enough that only the first listing (or a call) can have started a server. */
const NEVER_MS = 60_000;

/** Each server records its starts in its own file in `logs`: the names started, once per start. */
function startedIn(logs: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `s${i}`).flatMap((name) =>
    readFileSync(path.join(logs, name), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(() => name),
  );
}

function servers(logs: string, n: number): Record<string, UpstreamConfig> {
  return Object.fromEntries(
    Array.from({ length: n }, (_, i) => {
      const log = path.join(logs, `s${i}`);
      writeFileSync(log, '');
      const config = { type: 'stdio', command: NODE, args: [COUNTED], env: { START_LOG: log, COUNTED_TARGET: ECHO } };
      return [`s${i}`, config as UpstreamConfig];
    }),
  );
}

/** A cache that knows the catalog of each of `names` (what an earlier run left). */
function warmCache(configs: Record<string, UpstreamConfig>, names = Object.keys(configs)): CatalogCache {
  const cache = new CatalogCache(tmpDir(), logger);
  for (const name of names) {
    cache.write(name, configs[name], {
      catalog: {
        tools: [{ name: 'echo', inputSchema: { type: 'object' } }],
        prompts: [],
        resources: [],
        resourceTemplates: [],
      },
    });
  }
  return cache;
}

interface Setup {
  pool: UpstreamPool;
  agg: Aggregator;
  lifecycle: Lifecycle;
  firstRound: Promise<void>;
  /** The servers started so far, once per start. */
  started(): string[];
}

const made: Setup[] = [];
afterEach(async () => {
  for (const s of made.splice(0)) await s.pool.close();
});

function setup(opts: { n: number; cached?: number; early?: number; deferMs?: number }): Setup {
  const logs = tmpDir();
  const configs = servers(logs, opts.n);
  const cache = warmCache(configs, Object.keys(configs).slice(0, opts.cached ?? opts.n));
  const prespawned = new PrespawnRegistry();
  if (opts.early) prespawnServers(prespawned, configs, process.env, process.cwd(), opts.early);
  const pool = new UpstreamPool({ configs, logger, env: process.env, cwd: process.cwd(), cache, prespawned });
  const agg = new Aggregator({ pool, logger, separator: '__' });
  const lifecycle = new Lifecycle({ logger, graceMs: 100, forceExit: () => {} });
  lifecycle.add('upstreams', () => pool.close());
  const firstRound = startUpstreams(pool, agg, lifecycle, logger, {
    windowMs: 5000,
    deferMs: opts.deferMs ?? NEVER_MS,
  });
  const s = { pool, agg, lifecycle, firstRound, started: () => startedIn(logs, opts.n) };
  made.push(s);
  return s;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('start-up with every catalog known', () => {
  test('the servers start right after the first listing (one started early is taken), each once', async () => {
    const { agg, pool, firstRound, started } = setup({ n: 4, early: 1 });
    // The process started early boots; nothing connects to it, and nothing else starts, before the listing.
    expect(await until(() => started().length === 1, 5000)).toBe(true);
    await pause(300);
    expect(started()).toEqual(['s0']);
    expect(pool.list().map((c) => c.state)).toEqual(['connecting', 'connecting', 'connecting', 'connecting']);
    const tools = await agg.listTools();
    expect(new Set(tools.map((t) => String(t.name).split('__')[0]))).toEqual(new Set(['s0', 's1', 's2', 's3']));
    await firstRound;
    expect(started().sort()).toEqual(['s0', 's1', 's2', 's3']);
    expect(pool.list().map((c) => c.state)).toEqual(['ready', 'ready', 'ready', 'ready']);
  });

  test('without a listing they start after the bound', async () => {
    const { firstRound, started } = setup({ n: 3, deferMs: 200 });
    await firstRound;
    expect(started().sort()).toEqual(['s0', 's1', 's2']);
  });

  test('with one catalog unknown every server starts at once', async () => {
    const { firstRound, started } = setup({ n: 3, cached: 2 });
    await firstRound;
    expect(started().sort()).toEqual(['s0', 's1', 's2']);
  });

  test('a call meanwhile starts its server at once, and only that one', async () => {
    const { agg, pool, started } = setup({ n: 3 });
    const r = await agg.callTool('s2__echo', { text: 'hi' }, { signal: new AbortController().signal });
    expect((r as any).content[0].text).toBe('hi');
    expect(started()).toEqual(['s2']);
    expect(pool.get('s2')!.state).toBe('ready');
    expect(pool.get('s0')!.state).toBe('connecting');
  });

  test('a shutdown meanwhile starts nothing, also when the listing or the bound comes after it', async () => {
    const { agg, lifecycle, firstRound, started } = setup({ n: 3, deferMs: 1000 });
    await pause(300);
    expect(started()).toEqual([]);
    await lifecycle.shutdown('test');
    await agg.listTools();
    await firstRound;
    await pause(300);
    expect(started()).toEqual([]);
  });
});
