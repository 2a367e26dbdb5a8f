/**
 * Replicas and the result cache through the BUILT proxy over Streamable HTTP, with real stdio
 * replicas: /ready and /metrics show each replica; a tool annotated readOnlyHint is sent again to
 * another replica when its own dies under it, one without annotations is not; results are cached only
 * where configured and allowed (readOnlyHint tools, resource reads), a resource read is dropped when
 * the server says the resource changed, and hits and misses are counted in /metrics.
 */
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureBuilt } from '../helpers/build.js';
import { tempDir, writeConfig } from '../helpers/files.js';
import { type HttpProxy, startHttpProxy } from '../helpers/httpProxy.js';
import { FIXTURES, NODE } from '../helpers/paths.js';
import { waitFor } from '../helpers/wait.js';

const REPLICA = path.join(FIXTURES, 'replica-server.mjs');
const tmp = tempDir('mcp-proxy-scale-');
let proxy: HttpProxy;
let client: Client;

beforeAll(async () => {
  ensureBuilt();
  const cfg = writeConfig(tmp.dir, {
    mcpServers: {
      r: { command: NODE, args: [REPLICA], replicas: 2 },
      c: { command: NODE, args: [REPLICA], cache: { ttlMs: 60_000, maxEntries: 10 } },
    },
  });
  proxy = await startHttpProxy(['--config', cfg], {
    env: { PATH: process.env.PATH ?? '', HOME: tmp.dir, MCP_PROXY_DEPLOYMENT: 'node' },
    cwd: tmp.dir,
  });
  client = new Client({ name: 'scale', version: '1' }, { versionNegotiation: { mode: 'legacy' } } as any);
  await client.connect(new StreamableHTTPClientTransport(new URL(proxy.url)));
}, 60_000);

afterAll(async () => {
  await client?.close().catch(() => {});
  await proxy?.stop();
  tmp.cleanup();
});

const call = async (name: string, args: Record<string, unknown> = {}) =>
  ((await client.callTool({ name, arguments: args })) as any).content[0].text as string;
const read = async (uri: string) => ((await client.readResource({ uri })) as any).contents[0].text as string;

describe('replicas through the proxy', () => {
  test('/ready lists the replicas; /metrics has each one', async () => {
    const upstream = async () =>
      ((await (await fetch(`${proxy.base}/ready`)).json()).upstreams as any[]).find((u) => u.name === 'r');
    const r = await waitFor(async () => {
      const u = await upstream();
      return u.replicas.every((x: any) => x.state === 'ready') && u;
    }, 'both replicas ready');
    expect(r.state).toBe('ready');
    expect(r.balance).toBe('round-robin');
    expect(r.replicas.map((x: any) => [x.name, x.state])).toEqual([
      ['r#1', 'ready'],
      ['r#2', 'ready'],
    ]);
    const metrics = await (await fetch(`${proxy.base}/metrics`)).text();
    for (const n of ['r', 'r#1', 'r#2']) expect(metrics).toContain(`mcp_proxy_upstream_up{upstream="${n}"} 1`);
  });

  test('readOnlyHint: repeated on the other replica when its own dies; no annotations: the error', async () => {
    const [a, b] = [await call('r__slow_read', { ms: 0 }), await call('r__slow_read', { ms: 0 })];
    expect(a).not.toBe(b);
    // Round-robin from here: a, b, a.
    const repeated = call('r__slow_read', { ms: 1500 });
    const elsewhere = call('r__slow', { ms: 1500 });
    const lost = call('r__slow', { ms: 1500 });
    await new Promise((r) => setTimeout(r, 300));
    process.kill(Number(a.slice(4)), 'SIGKILL');
    const [r1, r2, r3] = await Promise.allSettled([repeated, elsewhere, lost]);
    expect(r1).toEqual({ status: 'fulfilled', value: b });
    expect(r2).toEqual({ status: 'fulfilled', value: b });
    expect(r3.status).toBe('rejected');
    expect(String((r3 as PromiseRejectedResult).reason)).toMatch(/r#1.*connection closed during the call/);
  });
});

describe('result cache', () => {
  test('a readOnlyHint tool is answered from the cache per arguments; a tool without it never is', async () => {
    const first = await call('c__count');
    expect(await call('c__count')).toBe(first);
    expect(await call('c__bump')).toMatch(/count:1$/);
    expect(await call('c__bump')).toMatch(/count:2$/);
    // Still the cached answer (within its TTL), though the counter moved on.
    expect(await call('c__count')).toBe(first);
    expect(await call('c__count', { key: 'other' })).toMatch(/count:2$/);
  });

  test('a resource read is cached until the server says the resource was updated', async () => {
    const before = await read('c+count://value');
    expect(await read('c+count://value')).toBe(before);
    await call('c__bump');
    await waitFor(async () => (await read('c+count://value')) !== before, 'the read to be fresh', 5000);
    expect(await read('c+count://value')).toMatch(/count:3$/);
  });

  test('hits and misses are counted per server; a server without cache settings has none', async () => {
    const metrics = await (await fetch(`${proxy.base}/metrics`)).text();
    const count = (result: string) =>
      Number(
        new RegExp(`^mcp_proxy_cache_requests_total\\{upstream="c",result="${result}"\\} (\\d+)$`, 'm').exec(
          metrics,
        )?.[1],
      );
    expect(count('hit')).toBeGreaterThanOrEqual(4);
    expect(count('miss')).toBeGreaterThanOrEqual(3);
    expect(metrics).not.toMatch(/cache_requests_total\{upstream="r"/);
  });

  test("a 2026-07-28 client's first calls are cached too (they carry empty input-round fields, not a resumed call)", async () => {
    const modern = new Client({ name: 'scale-2026', version: '1' }, {
      versionNegotiation: { mode: { pin: '2026-07-28' } },
    } as any);
    await modern.connect(new StreamableHTTPClientTransport(new URL(proxy.url)));
    try {
      const count = async () =>
        ((await modern.callTool({ name: 'c__count', arguments: { key: 'modern' } })) as any).content[0].text as string;
      const first = await count();
      await call('c__bump');
      expect(await count()).toBe(first);
    } finally {
      await modern.close();
    }
  });
});
