import { afterEach, describe, expect, it } from 'vitest';
import { FAST_PROXY, fixture, outcome, type RunningProxy, startProxy, stopAll } from '../../helpers/harness.js';
import { until } from '../../helpers/wait.js';
import { type HttpUpstream, startHttpUpstream } from './httpUpstream.js';

let web: HttpUpstream | undefined;
afterEach(async () => {
  await stopAll();
  await web?.close().catch(() => {});
  web = undefined;
});

async function ready(proxy: RunningProxy): Promise<{ upstreams: Record<string, any>[] }> {
  const r = await fetch(new URL('/ready', proxy.url));
  return (await r.json()) as { upstreams: Record<string, any>[] };
}
async function upstream(proxy: RunningProxy, name: string): Promise<Record<string, any>> {
  return (await ready(proxy)).upstreams.find((u) => u.name === name)!;
}

async function start(proxy: Record<string, unknown> = {}): Promise<RunningProxy> {
  web = await startHttpUpstream('web');
  return startProxy({
    transport: 'http',
    config: {
      mcpServers: { web: { url: web.url }, b: fixture('flaky-server.mjs') },
      proxy: { ...FAST_PROXY, ...proxy },
    },
  });
}

const call = (proxy: RunningProxy, name: string, text = 'x') =>
  outcome(proxy.client.callTool({ name, arguments: { text } }));

describe('an HTTP upstream that fails', () => {
  it('answers 500: errors, then the breaker opens (shown in /ready and /metrics), then a probe closes it', async () => {
    const proxy = await start();
    expect((await call(proxy, 'web__echo', 'hi')).text).toBe('hi');
    web!.mode = '500';
    const failures = [];
    for (let i = 0; i < 3; i++) failures.push(await call(proxy, 'web__echo'));
    for (const f of failures) {
      expect(f.ok).toBe(false);
      expect(f.text).toMatch(/upstream "web"/);
    }
    const before = web!.calls;
    const fast = await call(proxy, 'web__echo');
    expect(fast.ok).toBe(false);
    expect(fast.text).toMatch(/circuit breaker open/);
    expect(web!.calls).toBe(before);
    expect((await upstream(proxy, 'web')).breaker).toBe('open');
    const metrics = await (await fetch(new URL('/metrics', proxy.url))).text();
    expect(metrics).toMatch(/upstream_breaker_state\{upstream="web"\} 2/);
    // The other upstream is untouched.
    expect((await call(proxy, 'b__echo', 'fine')).text).toBe('fine');
    expect((await upstream(proxy, 'b')).breaker).toBe('closed');

    web!.mode = 'ok';
    expect(await until(async () => (await call(proxy, 'web__echo', 'again')).text === 'again')).toBe(true);
    expect((await upstream(proxy, 'web')).breaker).toBe('closed');
    const { leftovers } = await proxy.stop('SIGTERM');
    expect(leftovers).toEqual([]);
  });

  it('drops the socket: the call fails with an error, the next works', async () => {
    const proxy = await start();
    web!.mode = 'drop';
    const r = await call(proxy, 'web__echo');
    expect(r.ok).toBe(false);
    expect(r.text).toMatch(/upstream "web"/);
    expect((await call(proxy, 'b__echo', 'fine')).text).toBe('fine');
    web!.mode = 'ok';
    expect(await until(async () => (await call(proxy, 'web__echo', 'ok')).text === 'ok')).toBe(true);
    expect((await proxy.stop('SIGTERM')).leftovers).toEqual([]);
  });

  it('forgets the session (404): re-initializes; read-only requests are retried, tools/call is not', async () => {
    const proxy = await start();
    expect(web!.initializes).toBe(1);
    web!.forgetSessions();
    const prompt = await proxy.client.getPrompt({ name: 'web__greet' });
    expect(JSON.stringify(prompt.messages)).toContain('hello from web');
    expect(web!.initializes).toBe(2);

    web!.forgetSessions();
    const calls = web!.calls;
    const r = await call(proxy, 'web__echo');
    expect(r.ok).toBe(false);
    expect(r.text).toMatch(/re-initialized.*not sent again/);
    expect(web!.calls).toBe(calls);
    expect(web!.initializes).toBe(3);
    expect((await call(proxy, 'web__echo', 'next')).text).toBe('next');

    // Many read-only requests hitting the same expired session share one re-initialize.
    web!.forgetSessions();
    const prompts = await Promise.all(
      Array.from({ length: 10 }, () => outcome(proxy.client.getPrompt({ name: 'web__greet' }))),
    );
    expect(prompts.filter((p) => !p.ok).map((p) => p.text)).toEqual([]);
    expect(web!.initializes).toBe(4);
    expect((await proxy.stop('SIGTERM')).leftovers).toEqual([]);
  });

  it('goes away and comes back: retrying in /ready, list_changed both ways, then calls work', async () => {
    const proxy = await start();
    let changes = 0;
    proxy.client.setNotificationHandler('notifications/tools/list_changed', () => {
      changes++;
    });
    // A client is told of changes to the lists it holds: it lists first, as clients do.
    await proxy.client.listTools();
    await web!.stop();
    const r = await call(proxy, 'web__echo');
    expect(r.ok).toBe(false);
    expect(await until(async () => (await upstream(proxy, 'web')).state === 'retrying')).toBe(true);
    const st = await upstream(proxy, 'web');
    // What failed, not only "fetch failed".
    expect(st.lastError).toMatch(/ECONNREFUSED 127\.0\.0\.1:\d+/);
    expect(typeof st.nextRetryAt).toBe('string');
    // While it is down, calls fail at once and say why.
    const down = await call(proxy, 'web__echo');
    expect(down.text).toMatch(/upstream "web" is (unreachable|not available|restarting|still connecting)|Unknown tool/);
    expect(await until(() => changes >= 1)).toBe(true);
    expect((await proxy.client.listTools()).tools.map((t) => t.name)).not.toContain('web__echo');

    await web!.restart();
    expect(await until(async () => (await upstream(proxy, 'web')).state === 'ready')).toBe(true);
    expect(await until(() => changes >= 2)).toBe(true);
    expect((await proxy.client.listTools()).tools.map((t) => t.name)).toContain('web__echo');
    expect((await call(proxy, 'web__echo', 'back')).text).toBe('back');
    expect((await upstream(proxy, 'b')).restarts).toBe(0);
    expect((await proxy.stop('SIGTERM')).leftovers).toEqual([]);
  });

  it('goes away while idle: the health check notices without any call, and it reconnects when back', async () => {
    const proxy = await start({ healthCheckInterval: 200 });
    await web!.stop();
    expect(await until(async () => (await upstream(proxy, 'web')).state === 'retrying')).toBe(true);
    await proxy.waitForStderr(/"component":"upstream:web".*health check failed/);
    await web!.restart();
    expect(await until(async () => (await upstream(proxy, 'web')).state === 'ready')).toBe(true);
    expect((await call(proxy, 'web__echo', 'back')).text).toBe('back');
    expect((await proxy.stop('SIGTERM')).leftovers).toEqual([]);
  });
});
