import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive } from '../../../src/upstream/processTree.js';
import { childrenMatching, FAST_PROXY, fixture, outcome, startProxy, stopAll } from '../../helpers/harness.js';
import { FIXTURES, NODE } from '../../helpers/paths.js';
import { until } from '../../helpers/wait.js';

afterEach(stopAll);

/** An upstream started the way `npx` starts one: a shell, the server below it, and its own child. */
const wrapped = (name: string) => ({
  command: 'sh',
  args: ['-c', `"${NODE}" "${FIXTURES}/flaky-server.mjs"; true`],
  env: { FLAKY_NAME: name, FLAKY_GRANDCHILD: '1' },
});

describe('shutdown', () => {
  it('SIGTERM lets an in-flight call finish within the grace period, then exits 0 leaving nothing', async () => {
    const proxy = await startProxy({
      config: {
        mcpServers: { a: fixture('echo-server.mjs'), w: wrapped('w') },
        proxy: { ...FAST_PROXY, timeouts: { ...FAST_PROXY.timeouts, shutdownGrace: 5000 } },
      },
    });
    // sh -> node server -> node grandchild, plus the echo server.
    expect(proxy.tree().length).toBeGreaterThanOrEqual(4);
    const inflight = proxy.callTool('a__slow', { ms: 800 });
    await new Promise((r) => setTimeout(r, 100));
    const stopping = proxy.stop('SIGTERM');
    expect((await inflight).text).toBe('slept 800');
    const { code, leftovers } = await stopping;
    expect(code).toBe(0);
    expect(leftovers).toEqual([]);
  });

  it('stops waiting for a hung call when the grace period ends', async () => {
    const proxy = await startProxy({
      config: {
        mcpServers: { h: fixture('flaky-server.mjs', {}, { timeout: 60_000 }) },
        proxy: { ...FAST_PROXY, timeouts: { ...FAST_PROXY.timeouts, shutdownGrace: 300 } },
      },
    });
    const hung = proxy.callTool('h__hang', {}, 60_000);
    await proxy.waitForStderr(/hang: holding the call/);
    const { code, leftovers } = await proxy.stop('SIGTERM');
    expect(code).toBe(0);
    expect(leftovers).toEqual([]);
    // Answered, not left without a response: the client is told why.
    const answer = await hung;
    expect(answer.ok).toBe(false);
    expect(answer.text).toMatch(/shutting down: the request did not finish within the shutdown grace period/);
  });

  it.each([
    ['a 2025-11-25 session', { versionNegotiation: { mode: 'legacy' } }],
    ['2026-07-28 (stateless)', { versionNegotiation: { mode: { pin: '2026-07-28' } } }],
  ] as const)(
    'over HTTP, %s: a call still running when the grace period ends gets an answer saying why',
    async (_, options) => {
      const proxy = await startProxy({
        transport: 'http',
        noClient: true,
        config: {
          mcpServers: { h: fixture('flaky-server.mjs', {}, { timeout: 60_000 }) },
          proxy: { ...FAST_PROXY, timeouts: { ...FAST_PROXY.timeouts, shutdownGrace: 300 } },
        },
      });
      const client = new Client({ name: 'shutdown-test', version: '1.0.0' }, options as never);
      await client.connect(new StreamableHTTPClientTransport(new URL(proxy.url!)));
      const hung = outcome(client.callTool({ name: 'h__hang', arguments: {} }, { timeout: 60_000 }));
      // In flight at the server (a call still on its way would meet a closed listener instead).
      await proxy.waitForStderr(/hang: holding the call/);
      const { code } = await proxy.stop('SIGTERM');
      expect(code).toBe(0);
      const answer = await hung;
      expect(answer.ok).toBe(false);
      expect(answer.text).toMatch(/shutting down: the request did not finish within the shutdown grace period/);
    },
  );

  it('SIGTERM while a server hangs at start abandons its connect and exits 0 within the grace period', async () => {
    const graceMs = 1500;
    const proxy = await startProxy({
      config: {
        mcpServers: {
          a: fixture('echo-server.mjs'),
          // Ignores stdin closing: only a signal stops it, like a server stuck at start.
          h: fixture('hanging-server.mjs', { HANG_IGNORE_EOF: '1' }, { connectTimeout: 120_000 }),
        },
        proxy: { ...FAST_PROXY, timeouts: { ...FAST_PROXY.timeouts, shutdownGrace: graceMs } },
      },
      noWaitForUpstreams: true,
    });
    await proxy.waitForStderr(/hanging-server: starting/);
    expect((await proxy.callTool('a__echo', { text: 'up' })).text).toBe('up');
    const started = Date.now();
    const { code, leftovers } = await proxy.stop('SIGTERM');
    // Waiting for the connect would end only in the watchdog's forced exit (code 1), long after the grace.
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(graceMs + 5000);
    expect(leftovers).toEqual([]);
  });

  it('a second signal forces the exit at once, and still leaves no process behind', async () => {
    const proxy = await startProxy({
      config: {
        mcpServers: { h: fixture('flaky-server.mjs', {}, { timeout: 60_000 }), w: wrapped('w') },
        proxy: { ...FAST_PROXY, timeouts: { ...FAST_PROXY.timeouts, shutdownGrace: 60_000 } },
      },
    });
    const tree = proxy.tree();
    void proxy.callTool('h__hang', {}, 60_000);
    await new Promise((r) => setTimeout(r, 100));
    proxy.child.kill('SIGINT');
    await proxy.waitForStderr(/waiting for in-flight calls/);
    proxy.child.kill('SIGINT');
    const { code } = await proxy.exited;
    expect(code).toBe(130);
    await proxy.waitForStderr(/forcing exit/);
    expect(await until(() => tree.every((p) => !isAlive(p)), 5000)).toBe(true);
    await proxy.stop();
  });

  it('closing stdin shuts down (stdio mode), including a wrapped server and its own child', async () => {
    const proxy = await startProxy({ config: { mcpServers: { w: wrapped('w') }, proxy: FAST_PROXY } });
    const r = await proxy.callTool('w__pid');
    const { pid, grandchild } = JSON.parse(r.text) as { pid: number; grandchild: number };
    expect(isAlive(pid) && isAlive(grandchild)).toBe(true);
    const { code, leftovers } = await proxy.stop('stdin');
    expect(code).toBe(0);
    expect(leftovers).toEqual([]);
    expect(isAlive(pid) || isAlive(grandchild)).toBe(false);
  });

  it('when the shell of a wrapped server is killed, the server and its child go too, and it restarts', async () => {
    const proxy = await startProxy({ config: { mcpServers: { w: wrapped('w') }, proxy: FAST_PROXY } });
    const first = JSON.parse((await proxy.callTool('w__pid')).text) as { pid: number; grandchild: number };
    const [shell] = childrenMatching(proxy.pid, 'flaky-server.mjs"; true');
    expect(shell).toBeGreaterThan(0);
    process.kill(shell, 'SIGKILL');
    expect(await until(() => !isAlive(first.pid) && !isAlive(first.grandchild))).toBe(true);
    expect(
      await until(async () => {
        const r = await proxy.callTool('w__pid');
        return r.ok && !r.isError && JSON.parse(r.text).pid !== first.pid;
      }),
    ).toBe(true);
    const { leftovers } = await proxy.stop();
    expect(leftovers).toEqual([]);
  });
});
