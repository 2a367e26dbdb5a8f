import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FAST_PROXY, fixture, type RunningProxy, startProxy, stopAll } from '../../helpers/harness.js';
import { until } from '../../helpers/wait.js';

afterEach(stopAll);

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Another proxy serving the flaky fixture over HTTP: its legacy /sse endpoint is our SSE upstream. */
function upstreamProxy(port: number): Promise<RunningProxy> {
  return startProxy({
    transport: 'http',
    noClient: true,
    port,
    config: { mcpServers: { f: fixture('flaky-server.mjs') }, proxy: FAST_PROXY },
  });
}

describe('an SSE upstream', () => {
  it('that dies is reconnected when it comes back, and the other upstreams never notice', async () => {
    const port = await freePort();
    let up = await upstreamProxy(port);
    const proxy = await startProxy({
      config: {
        mcpServers: { s: { url: `http://127.0.0.1:${port}/sse` }, b: fixture('flaky-server.mjs') },
        proxy: FAST_PROXY,
      },
    });
    expect((await proxy.callTool('s__f__echo', { text: 'via sse' })).text).toBe('via sse');
    up.child.kill('SIGKILL');
    await up.exited;
    await up.stop();
    await proxy.waitForStderr(/"component":"upstream:s".*(reconnecting|will retry)/);
    const down = await proxy.callTool('s__f__echo', { text: 'x' });
    expect(down.ok && !down.isError).toBe(false);
    expect((await proxy.callTool('b__echo', { text: 'fine' })).text).toBe('fine');
    up = await upstreamProxy(port);
    expect(
      await until(async () => (await proxy.callTool('s__f__echo', { text: 'back' })).text === 'back', 20_000),
    ).toBe(true);
    const { code, leftovers } = await proxy.stop();
    expect(code).toBe(0);
    expect(leftovers).toEqual([]);
    await up.stop('SIGTERM');
  });
});
