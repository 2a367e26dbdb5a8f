import { afterEach, describe, expect, it } from 'vitest';
import { FAST_PROXY, fixture, outcome, startProxy, stopAll } from '../../helpers/harness.js';

afterEach(stopAll);

describe('request timeouts', () => {
  it('progress from the upstream extends the timeout when the caller asked for progress', async () => {
    const proxy = await startProxy({
      config: { mcpServers: { a: fixture('echo-server.mjs', {}, { timeout: 600 }) }, proxy: FAST_PROXY },
    });
    // 6 steps of 250 ms: longer than the 600 ms timeout in all, but each step reports progress.
    const progress: number[] = [];
    const withProgress = await outcome(
      proxy.client.callTool(
        { name: 'a__slow', arguments: { ms: 1500, steps: 6 } },
        { timeout: 20_000, onprogress: (p) => progress.push(p.progress) },
      ),
    );
    expect(withProgress.text).toBe('slept 1500');
    expect(progress).toEqual([1, 2, 3, 4, 5, 6]);
    // The same call without a progress token times out at the upstream's timeout.
    const without = await proxy.callTool('a__slow', { ms: 1500, steps: 6 });
    expect(without.ok).toBe(false);
    expect(without.text).toMatch(/upstream "a" did not answer within 600 ms/);
    expect((await proxy.stop()).leftovers).toEqual([]);
  });

  it('calls the caller cancels do not count against the upstream (the breaker stays closed)', async () => {
    const proxy = await startProxy({
      config: { mcpServers: { h: fixture('flaky-server.mjs', {}, { timeout: 60_000 }) }, proxy: FAST_PROXY },
    });
    for (let i = 0; i < 5; i++) {
      const ac = new AbortController();
      const p = outcome(
        proxy.client.callTool({ name: 'h__hang', arguments: {} }, { signal: ac.signal, timeout: 20_000 }),
      );
      await new Promise((r) => setTimeout(r, 50));
      ac.abort('changed my mind');
      expect((await p).ok).toBe(false);
    }
    const r = await proxy.callTool('h__echo', { text: 'fine' });
    expect(r.text).toBe('fine');
    expect(proxy.stderr()).not.toMatch(/circuit breaker open/);
    expect((await proxy.stop()).leftovers).toEqual([]);
  });
});
