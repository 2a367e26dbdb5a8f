import { afterEach, describe, expect, it } from 'vitest';
import { childrenMatching, FAST_PROXY, fixture, startProxy, stopAll } from '../../helpers/harness.js';
import { until } from '../../helpers/wait.js';

afterEach(stopAll);

describe('100 concurrent calls while an upstream restarts', () => {
  it('every call settles (a result or a clear error), the other upstream answers all of its calls', async () => {
    const proxy = await startProxy({
      config: {
        mcpServers: { a: fixture('echo-server.mjs', { FIXTURE_NAME: 'a' }), b: fixture('flaky-server.mjs') },
        proxy: FAST_PROXY,
      },
    });
    const [victim] = childrenMatching(proxy.pid, 'echo-server.mjs');
    const calls = Array.from({ length: 100 }, (_, i) =>
      proxy.callTool(i % 2 ? 'a__slow' : 'b__echo', i % 2 ? { ms: 300, steps: 1 } : { text: `b${i}` }, 15_000),
    );
    await new Promise((r) => setTimeout(r, 100));
    process.kill(victim, 'SIGKILL');
    // A second burst lands while a is down or restarting: each answers or fails at once, none hangs.
    await new Promise((r) => setTimeout(r, 20));
    const during = await Promise.all(
      Array.from({ length: 100 }, (_, i) => proxy.callTool('a__echo', { text: `d${i}` }, 15_000)),
    );
    for (const [i, r] of during.entries()) {
      if (r.ok && !r.isError) expect(r.text).toBe(`d${i}`);
      else
        expect(r.text).toMatch(/upstream "a" (is restarting|is still connecting|closed the connection)|Unknown tool/);
    }
    // Bounded: the harness gives each call 15 s; none may hang past it.
    const results = await Promise.all(calls);
    const a = results.filter((_, i) => i % 2 === 1);
    const b = results.filter((_, i) => i % 2 === 0);
    expect(b.every((r, i) => r.ok && r.text === `b${i * 2}`)).toBe(true);
    for (const r of a) {
      if (r.ok && !r.isError) expect(r.text).toBe('slept 300');
      else expect(r.text).toMatch(/upstream "a"|connection closed/i);
    }
    expect(a.filter((r) => !r.ok).length).toBeGreaterThan(0);
    // a restarted and serves again; a second burst during normal operation all succeeds.
    expect(await until(async () => (await proxy.callTool('a__echo', { text: 'up' })).text === 'up')).toBe(true);
    const again = await Promise.all(Array.from({ length: 100 }, (_, i) => proxy.callTool('a__echo', { text: `${i}` })));
    expect(again.map((r) => r.text)).toEqual(Array.from({ length: 100 }, (_, i) => `${i}`));
    const { code, leftovers } = await proxy.stop();
    expect(code).toBe(0);
    expect(leftovers).toEqual([]);
  });
});
