/**
 * An HTTP upstream built on the SDK restarts and forgets its sessions: the proxy re-initializes,
 * whatever status the server uses to say so. And an upstream whose calls keep failing is reported
 * as such (/ready, metrics, log) until a call succeeds again.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { FAST_PROXY, outcome, type RunningProxy, startProxy, stopAll } from '../../helpers/harness.js';
import { FIXTURES, NODE } from '../../helpers/paths.js';
import { until } from '../../helpers/wait.js';
import { type HttpUpstream, startHttpUpstream } from './httpUpstream.js';

interface SdkServer {
  port: number;
  url: string;
  child: ChildProcess;
}

const servers = new Set<ChildProcess>();
let web: HttpUpstream | undefined;
afterEach(async () => {
  await stopAll();
  for (const c of servers) c.kill('SIGKILL');
  servers.clear();
  await web?.close().catch(() => {});
  web = undefined;
});

async function startSdkServer(shape: string, port = 0): Promise<SdkServer> {
  const child = spawn(NODE, [`${FIXTURES}/sdk-http-server.mjs`], {
    env: { ...process.env, SDK_HTTP_SHAPE: shape, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  servers.add(child);
  const actual = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`sdk-http-server exited with ${code}`)));
  });
  return { port: actual, url: `http://127.0.0.1:${actual}/mcp`, child };
}

async function stopSdkServer(s: SdkServer): Promise<void> {
  const gone = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGKILL');
  await gone;
  servers.delete(s.child);
}

async function upstream(proxy: RunningProxy, name: string): Promise<Record<string, any>> {
  const r = await fetch(new URL('/ready', proxy.url));
  return ((await r.json()) as { upstreams: Record<string, any>[] }).upstreams.find((u) => u.name === name)!;
}

async function upMetric(proxy: RunningProxy, name: string): Promise<string | undefined> {
  const text = await (await fetch(new URL('/metrics', proxy.url))).text();
  return new RegExp(`upstream_up\\{upstream="${name}"\\} (\\d)`).exec(text)?.[1];
}

const call = (proxy: RunningProxy, name: string, args: Record<string, unknown> = {}) =>
  outcome(proxy.client.callTool({ name, arguments: args }));

describe('an SDK HTTP upstream that restarts (its sessions are gone)', () => {
  for (const [shape, says] of [
    ['example', 'No valid session ID provided'],
    ['single', 'Server not initialized'],
  ] as const) {
    it(`answers 400 "${says}": the proxy re-initializes and calls work again (${shape})`, async () => {
      let server = await startSdkServer(shape);
      const proxy = await startProxy({
        transport: 'http',
        config: {
          mcpServers: { web: { type: 'http', url: server.url, protocol: '2025-11-25' } },
          proxy: FAST_PROXY,
        },
      });
      const before = await call(proxy, 'web__pid');
      expect(before.text).toBe(String(server.child.pid));

      await stopSdkServer(server);
      server = await startSdkServer(shape, server.port);

      // tools/call may have side effects: the first one after the restart is not re-sent, but the
      // session is re-initialized, so the next call works (before: every call failed with the 400).
      const results = [];
      for (let i = 0; i < 3; i++) results.push(await call(proxy, 'web__echo', { text: `after ${i}` }));
      expect(results[0]!.text).toMatch(/expired the session; it is re-initialized now/);
      expect(results.slice(1).map((r) => r.text)).toEqual(['after 1', 'after 2']);
      expect((await call(proxy, 'web__pid')).text).toBe(String(server.child.pid));
      await proxy.waitForStderr(new RegExp(`session expired \\(HTTP 400: [^)]*${says}`));
      const st = await upstream(proxy, 'web');
      expect(st.state).toBe('ready');
      expect(st.breaker).toBe('closed');
      expect((await proxy.stop('SIGTERM')).leftovers).toEqual([]);
    });
  }
});

describe('an upstream whose calls keep failing', () => {
  it('is reported degraded (state, lastError, upstream_up 0, a warning) and healthy again after a success', async () => {
    web = await startHttpUpstream('web');
    const proxy = await startProxy({
      transport: 'http',
      // A breaker that does not open here: 403s are not failures it counts, which is what hid them.
      config: { mcpServers: { web: { url: web.url } }, proxy: { ...FAST_PROXY, healthCheckInterval: 0 } },
    });
    expect((await call(proxy, 'web__echo', { text: 'hi' })).text).toBe('hi');
    expect(await upMetric(proxy, 'web')).toBe('1');

    web.mode = '403';
    for (let i = 0; i < 3; i++) expect((await call(proxy, 'web__echo', { text: 'x' })).ok).toBe(false);
    const st = await upstream(proxy, 'web');
    expect(st.state).toBe('degraded');
    expect(st.lastError).toMatch(/3 calls in a row failed; last: HTTP 403: .*forbidden by policy/);
    expect(await upMetric(proxy, 'web')).toBe('0');
    await proxy.waitForStderr(/"component":"upstream:web".*upstream degraded/);
    // Still routed: its tools stay listed and a call reaches it.
    expect((await proxy.client.listTools()).tools.map((t) => t.name)).toContain('web__echo');

    web.mode = 'ok';
    expect((await call(proxy, 'web__echo', { text: 'back' })).text).toBe('back');
    const healed = await upstream(proxy, 'web');
    expect(healed.state).toBe('ready');
    expect(healed.lastError).toBeUndefined();
    expect(await upMetric(proxy, 'web')).toBe('1');
    await proxy.waitForStderr(/calls succeed again: upstream healthy/);
    expect((await proxy.stop('SIGTERM')).leftovers).toEqual([]);
  });

  it('forgets every new session at once: re-initialized each time, but degraded after 3 in a row', async () => {
    web = await startHttpUpstream('web');
    const proxy = await startProxy({
      transport: 'http',
      config: { mcpServers: { web: { url: web.url } }, proxy: { ...FAST_PROXY, healthCheckInterval: 0 } },
    });
    web.mode = 'amnesia';
    for (let i = 0; i < 3; i++) {
      expect((await call(proxy, 'web__echo', { text: 'x' })).text).toMatch(/expired the session/);
    }
    const st = await upstream(proxy, 'web');
    expect(st.state).toBe('degraded');
    expect(st.lastError).toMatch(/session expired 3 times in a row .*HTTP 400: .*No valid session ID provided/);
    expect(await upMetric(proxy, 'web')).toBe('0');
    web.mode = 'ok';
    expect((await call(proxy, 'web__echo', { text: 'back' })).text).toBe('back');
    expect((await upstream(proxy, 'web')).state).toBe('ready');
    expect((await proxy.stop('SIGTERM')).leftovers).toEqual([]);
  });

  it('errors the server answers with (JSON-RPC errors) never make it degraded', async () => {
    web = await startHttpUpstream('web');
    const proxy = await startProxy({
      transport: 'http',
      config: { mcpServers: { web: { url: web.url } }, proxy: { ...FAST_PROXY, healthCheckInterval: 0 } },
    });
    for (let i = 0; i < 5; i++) {
      expect((await call(proxy, 'web__echo', { text: 'rpc-error' })).text).toContain('bad text (on purpose)');
    }
    expect((await upstream(proxy, 'web')).state).toBe('ready');
    expect(await until(async () => (await upMetric(proxy, 'web')) === '1')).toBe(true);
    expect((await proxy.stop('SIGTERM')).leftovers).toEqual([]);
  });
});
