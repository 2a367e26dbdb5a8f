/**
 * Two inputs too big for the proxy's plumbing: a stdio upstream's stdout line over the line limit,
 * and a client's arguments nested too deeply to serialize upstream. Each gets a precise error, and
 * the proxy keeps serving.
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { FAST_PROXY, fixture, logLines, startProxy, stopAll } from '../../helpers/harness.js';
import { until } from '../../helpers/wait.js';
import { startHttpUpstream } from './httpUpstream.js';

afterEach(stopAll);

describe('a stdio upstream writes a line over the limit', () => {
  it('reports the real cause (line too long, the limit) in lastError and the log, then restarts', async () => {
    const proxy = await startProxy({
      transport: 'http',
      config: { mcpServers: { l: fixture('longline-server.mjs') }, proxy: FAST_PROXY },
    });
    const r = await proxy.callTool('l__flood', {}, 20_000);
    expect(r.ok).toBe(false);
    const line = await proxy.waitForStderr(/"component":"upstream:l".*stdout line longer than the limit[^\n]*/);
    expect(line).toContain('10485760 bytes (10 MiB');
    expect(line).toContain('the connection was dropped');
    // The restart notice carries the cause, not "closed unexpectedly" (it follows once the transport has closed).
    await proxy.waitForStderr(/"msg":"server exited; restarting"/);
    const restart = logLines(proxy.stderr()).find((l) => l.msg === 'server exited; restarting');
    expect(String(restart?.err)).toMatch(/stdout line longer than the limit/);
    const ready = async () =>
      ((await (await fetch(new URL('/ready', proxy.url))).json()) as { upstreams: { name: string; state: string }[] })
        .upstreams[0]!.state === 'ready';
    expect(await until(ready)).toBe(true);
    expect((await proxy.callTool('l__echo', { text: 'back' })).text).toBe('back');
    expect((await proxy.stop('SIGTERM')).leftovers).toEqual([]);
  });
});

/** `{"deep": [[[...]]]}` nested `depth` levels, as raw JSON (JSON.parse handles it; JSON.stringify does not). */
function deepArgs(depth: number): string {
  return `{"text":"x","deep":${'['.repeat(depth)}${']'.repeat(depth)}}`;
}

async function postRaw(url: string, body: string, headers: Record<string, string>) {
  const u = new URL(url);
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('a client sends arguments nested too deeply to forward', () => {
  for (const kind of ['stdio', 'http'] as const) {
    it(`gets an invalid-params error; the ${kind} upstream is not blamed (breaker, health)`, async () => {
      const web = kind === 'http' ? await startHttpUpstream('web') : undefined;
      const server = kind === 'http' ? { url: web!.url } : fixture('echo-server.mjs', { FIXTURE_NAME: 'u' });
      const proxy = await startProxy({
        transport: 'http',
        noClient: true,
        config: {
          mcpServers: { u: server },
          proxy: { ...FAST_PROXY, breaker: { failureThreshold: 2, halfOpenAfter: 60_000 } },
        },
      });
      try {
        const mcp = new URL('/mcp', proxy.url).href;
        const init = await postRaw(
          mcp,
          JSON.stringify({
            jsonrpc: '2.0',
            id: 1,
            method: 'initialize',
            params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
          }),
          {},
        );
        const sid = String(init.headers['mcp-session-id']);
        const h = { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' };
        await postRaw(mcp, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), h);
        const tool = 'u__echo';
        for (let i = 0; i < 4; i++) {
          const r = await postRaw(
            mcp,
            `{"jsonrpc":"2.0","id":${10 + i},"method":"tools/call","params":{"name":"${tool}","arguments":${deepArgs(200_000)}}}`,
            h,
          );
          const msg = JSON.parse(/^data: (.*)$/m.exec(r.text)?.[1] ?? r.text);
          expect(msg.error?.code).toBe(-32602);
          expect(msg.error?.message).toMatch(/nested too deeply/);
          expect(msg.error?.message).not.toMatch(/upstream "u" failed/);
        }
        const st = (
          (await (await fetch(new URL('/ready', proxy.url))).json()) as { upstreams: Record<string, unknown>[] }
        ).upstreams[0]!;
        expect(st.breaker).toBe('closed');
        expect(st.state).toBe('ready');
        const ok = await postRaw(
          mcp,
          JSON.stringify({
            jsonrpc: '2.0',
            id: 99,
            method: 'tools/call',
            params: { name: tool, arguments: { text: 'fine' } },
          }),
          h,
        );
        expect(ok.text).toContain('fine');
      } finally {
        await proxy.stop('SIGTERM');
        await web?.close();
      }
    });
  }
});
