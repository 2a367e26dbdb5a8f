/**
 * The initialize answered before the pool exists says exactly what the SDK's Server of a session made
 * at that moment says: the real Aggregator over a real pool whose servers are starting (real processes
 * that never answer), asked over the SDK's own transport, for several requested protocol versions and
 * what is known of the servers (nothing, a catalog cache entry with instructions, a description in the
 * config, a disabled server, no server at all).
 */
import { InMemoryTransport, type JSONRPCMessage } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, test } from 'vitest';
import { initializeResult, offerBeforeStart } from '../../src/aggregator/initializeOffer.js';
import { Aggregator } from '../../src/aggregator/server.js';
import type { UpstreamConfig } from '../../src/config/schema.js';
import { silentLogger } from '../../src/observability/logger.js';
import { CatalogCache } from '../../src/upstream/catalogCache.js';
import { UpstreamPool } from '../../src/upstream/pool.js';
import { tmpDir } from '../helpers/files.js';
import { FIXTURES, NODE } from '../helpers/paths.js';

const HANGING = `${FIXTURES}/hanging-server.mjs`;
const VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05', '2024-10-07', '2026-07-28', '1999-01-01', ''];

const pools: UpstreamPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

const hanging = (extra: Partial<UpstreamConfig> = {}) =>
  ({ type: 'stdio', command: NODE, args: [HANGING], ...extra }) as UpstreamConfig;

const CATALOG = {
  catalog: {
    tools: [{ name: 't', inputSchema: { type: 'object' as const } }],
    prompts: [],
    resources: [],
    resourceTemplates: [],
  },
  capabilities: { tools: {} },
  instructions: 'Use t for everything.',
};

/** What a session Server of the real aggregator answers right after the pool started (nothing connected yet). */
async function sdkAnswer(
  configs: Record<string, UpstreamConfig>,
  cache: CatalogCache,
  protocolVersion: string,
  name?: string,
): Promise<Record<string, unknown>> {
  const pool = new UpstreamPool({ configs, logger: silentLogger(), cache, env: process.env, cwd: process.cwd() });
  pools.push(pool);
  void pool.start();
  const agg = new Aggregator({ pool, logger: silentLogger(), separator: '__', name });
  const [client, server] = InMemoryTransport.createLinkedPair();
  await agg.createServer({ era: 'legacy' }).connect(server);
  const answer = new Promise<JSONRPCMessage>((resolve) => {
    client.onmessage = resolve;
  });
  await client.start();
  const params = { protocolVersion, capabilities: {}, clientInfo: { name: 'test', version: '1' } };
  await client.send({ jsonrpc: '2.0', id: 1, method: 'initialize', params });
  const message = (await answer) as { result?: Record<string, unknown> };
  expect(pool.list().every((c) => c.state !== 'ready')).toBe(true);
  return message.result!;
}

function earlyAnswer(
  configs: Record<string, UpstreamConfig>,
  cache: CatalogCache,
  protocolVersion: string,
  name?: string,
) {
  const offer = offerBeforeStart(configs, (n, c) => cache.read(n, c));
  // Through JSON, as it goes on the wire.
  return JSON.parse(JSON.stringify(initializeResult(offer, name, protocolVersion)));
}

describe('the initialize answered early', () => {
  test.each(VERSIONS)('negotiates protocol version %j as the SDK does', async (version) => {
    const configs = { a: hanging() };
    const cache = new CatalogCache(undefined, silentLogger());
    expect(earlyAnswer(configs, cache, version)).toEqual(await sdkAnswer(configs, cache, version));
  });

  const states: [string, () => { configs: Record<string, UpstreamConfig>; cache: CatalogCache; name?: string }][] = [
    ['no server at all', () => ({ configs: {}, cache: new CatalogCache(undefined, silentLogger()) })],
    ['a server, no cache', () => ({ configs: { a: hanging() }, cache: new CatalogCache(tmpDir(), silentLogger()) })],
    [
      'a description in the config but nothing cached (not told until known)',
      () => ({ configs: { a: hanging({ description: 'Files.' }) }, cache: new CatalogCache(tmpDir(), silentLogger()) }),
    ],
    [
      'a warm cache with instructions, a description, a disabled server, a lazy one, and a name',
      () => {
        const cache = new CatalogCache(tmpDir(), silentLogger());
        const configs = {
          a: hanging(),
          b: hanging({ description: 'Files.' }),
          c: hanging({ disabled: true }),
          d: hanging({ lazy: true }),
          e: hanging(),
        };
        for (const n of ['a', 'b', 'c', 'd']) cache.write(n, configs[n as keyof typeof configs], CATALOG);
        return { configs, cache, name: 'my-proxy' };
      },
    ],
    [
      'only disabled servers',
      () => ({ configs: { c: hanging({ disabled: true }) }, cache: new CatalogCache(undefined, silentLogger()) }),
    ],
  ];
  test.each(states)('equals the SDK answer field by field: %s', async (_label, make) => {
    const { configs, cache, name } = make();
    const early = earlyAnswer(configs, cache, '2025-11-25', name);
    const sdk = await sdkAnswer(configs, cache, '2025-11-25', name);
    expect(Object.keys(early).sort()).toEqual(Object.keys(sdk).sort());
    for (const key of Object.keys(sdk)) expect(early[key], key).toEqual(sdk[key]);
  });

  test('the warm cache is what the instructions come from', () => {
    const cache = new CatalogCache(tmpDir(), silentLogger());
    const configs = { a: hanging(), b: hanging({ description: 'Files.' }) };
    cache.write('a', configs.a, CATALOG);
    cache.write('b', configs.b, CATALOG);
    expect(earlyAnswer(configs, cache, '2025-11-25').instructions).toBe('## a\nUse t for everything.\n\n## b\nFiles.');
  });
});
