import { afterEach, describe, expect, it } from 'vitest';
import { childrenMatching, FAST_PROXY, fixture, outcome, startProxy, stopAll } from '../../helpers/harness.js';
import { until } from '../../helpers/wait.js';

afterEach(stopAll);

describe('an upstream killed with SIGKILL during a call', () => {
  it('fails the call at once, restarts the server, leaves the other upstream alone, leaks nothing', async () => {
    const proxy = await startProxy({
      config: {
        mcpServers: { a: fixture('echo-server.mjs', { FIXTURE_NAME: 'a' }), b: fixture('flaky-server.mjs') },
        proxy: FAST_PROXY,
      },
    });
    const { client } = proxy;
    const tools = (await client.listTools()).tools.map((t) => t.name);
    expect(tools).toContain('a__slow');
    expect(tools).toContain('b__echo');

    const victims = childrenMatching(proxy.pid, 'echo-server.mjs');
    expect(victims).toHaveLength(1);
    const slow = outcome(client.callTool({ name: 'a__slow', arguments: { ms: 20_000 } }, { timeout: 15_000 }));
    await new Promise((r) => setTimeout(r, 200));
    process.kill(victims[0], 'SIGKILL');
    const r = await slow;
    expect(r.ok && !r.isError).toBe(false);
    expect(r.text).toMatch(/upstream "a"|connection closed/i);

    // b never noticed.
    expect((await outcome(client.callTool({ name: 'b__echo', arguments: { text: 'hi' } }))).text).toBe('hi');

    // a comes back by itself, as a new process.
    expect(
      await until(
        async () => (await outcome(client.callTool({ name: 'a__echo', arguments: { text: 'back' } }))).text === 'back',
      ),
    ).toBe(true);
    const now = childrenMatching(proxy.pid, 'echo-server.mjs');
    expect(now).toHaveLength(1);
    expect(now[0]).not.toBe(victims[0]);
    await proxy.waitForStderr(/server was killed by SIGKILL/);

    const { code, leftovers } = await proxy.stop('stdin');
    expect(code).toBe(0);
    expect(leftovers).toEqual([]);
  });
});
