/**
 * Live reload under real conditions: a changed server swapped while calls are in flight and
 * arriving, a config file deleted and written again (as editors and config tools do), and
 * proxy.logLevel from the config, live.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { FAST_PROXY, fixture, logLines, startProxy, stopAll, until } from './harness.js';

afterEach(stopAll);

const a = (env: Record<string, string> = {}) => fixture('echo-server.mjs', { FIXTURE_NAME: 'a', ...env });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** No MCP_PROXY_LOG_LEVEL (the harness sets one), so the config's proxy.logLevel decides. */
const NO_ENV_LEVEL = { MCP_PROXY_LOG_LEVEL: undefined as unknown as string };

describe('a changed server is swapped without failing calls', () => {
  it('100 calls in flight and arriving while its config changes: no unknown tool, no closed connection', async () => {
    const proxy = await startProxy({
      config: {
        mcpServers: { a: a() },
        proxy: { ...FAST_PROXY, timeouts: { ...FAST_PROXY.timeouts, connect: 10_000 } },
      },
    });
    expect((await proxy.callTool('a__echo', { text: 'hi' })).text).toBe('hi');
    const calls: Promise<{ ok: boolean; text: string }>[] = [];
    for (let i = 0; i < 100; i++) {
      calls.push(proxy.callTool('a__slow', { ms: 150, steps: 1 }, 30_000));
      if (i === 20) {
        proxy.writeConfig({
          mcpServers: { a: a({ FIXTURE_GENERATION: '2' }) },
          proxy: { ...FAST_PROXY, timeouts: { ...FAST_PROXY.timeouts, connect: 10_000 } },
        });
      }
      await sleep(10);
    }
    const results = await Promise.all(calls);
    await proxy.waitForStderr(/config reloaded/);
    const failed = results.filter((r) => !r.ok || r.text !== 'slept 150').map((r) => r.text);
    expect(failed.filter((t) => /unknown tool/i.test(t))).toEqual([]);
    expect(failed.filter((t) => /closed/i.test(t))).toEqual([]);
    // Anything else may only be the retryable "restarting" answer (a connect slower than its timeout).
    expect(failed.filter((t) => !/is restarting/.test(t))).toEqual([]);
    expect(failed.length).toBeLessThanOrEqual(10);
    expect(proxy.stderr()).toMatch(/"changed":\["a"\]/);
    // The new process serves; the old one is gone.
    expect((await proxy.callTool('a__echo', { text: 'after' })).text).toBe('after');
    expect((await proxy.stop()).leftovers).toEqual([]);
  });
});

describe('the config watcher', () => {
  it('follows a config file that is deleted and written again, and keeps following it', async () => {
    const proxy = await startProxy({ config: { mcpServers: { a: a() }, proxy: FAST_PROXY } });
    const names = async () => (await proxy.client.listTools()).tools.map((t) => t.name);
    expect(await names()).toContain('a__echo');
    await proxy.waitForStderr(/watching the config for changes/);

    fs.unlinkSync(proxy.configPath);
    await sleep(400);
    fs.writeFileSync(
      proxy.configPath,
      JSON.stringify({
        mcpServers: { a: a(), c: fixture('echo-server.mjs', { FIXTURE_NAME: 'c' }) },
        proxy: FAST_PROXY,
      }),
    );
    const seen = await until(async () => (await names()).includes('c__echo'), 15_000);
    if (!seen) console.log(proxy.stderr().slice(-5000));
    expect(seen).toBe(true);

    // A later in-place edit is still seen.
    fs.writeFileSync(
      proxy.configPath,
      JSON.stringify({ mcpServers: { c: fixture('echo-server.mjs', { FIXTURE_NAME: 'c' }) }, proxy: FAST_PROXY }),
    );
    expect(await until(async () => !(await names()).includes('a__echo'), 15_000)).toBe(true);
    expect(await names()).toContain('c__echo');
    expect((await proxy.stop()).leftovers).toEqual([]);
  });
});

describe('proxy.logLevel', () => {
  it('is honoured at start and applied live when it changes', async () => {
    const proxy = await startProxy({
      config: { mcpServers: { a: a() }, proxy: { ...FAST_PROXY, logLevel: 'warn' } },
      env: NO_ENV_LEVEL,
      // At level warn the start-up summary is not logged: the call below waits for the server itself.
      noWaitForUpstreams: true,
    });
    expect((await proxy.callTool('a__echo', { text: 'hi' })).text).toBe('hi');
    const levels = () => logLines(proxy.stderr()).map((l) => l.level as number);
    expect(levels().filter((l) => l < 40)).toEqual([]);

    // SIGHUP: at level warn the test cannot see when the file watcher is ready.
    proxy.writeConfig({ mcpServers: { a: a() }, proxy: { ...FAST_PROXY, logLevel: 'debug' } });
    process.kill(proxy.pid, 'SIGHUP');
    // An info line: shown only because the level is now debug.
    await proxy.waitForStderr(/"logLevel":"debug","msg":"log level changed \(proxy\.logLevel\)"/);
    await proxy.waitForStderr(/"msg":"config reloaded"/);

    const reloads = () => proxy.stderr().match(/"msg":"config reloaded"/g)?.length ?? 0;
    await sleep(500);
    const before = reloads();
    proxy.writeConfig({ mcpServers: { a: a(), c: a() }, proxy: { ...FAST_PROXY, logLevel: 'error' } });
    process.kill(proxy.pid, 'SIGHUP');
    expect(await until(async () => (await proxy.client.listTools()).tools.some((t) => t.name === 'c__echo'))).toBe(
      true,
    );
    await sleep(500);
    expect(reloads()).toBe(before);
    expect((await proxy.stop()).leftovers).toEqual([]);
  });

  it('gives way to --log-level', async () => {
    const proxy = await startProxy({
      config: { mcpServers: { a: a() }, proxy: { ...FAST_PROXY, logLevel: 'error' } },
      env: NO_ENV_LEVEL,
      args: ['--log-level', 'info'],
    });
    await proxy.waitForStderr(/"msg":"config loaded"/);
    expect((await proxy.stop()).leftovers).toEqual([]);
  });
});
