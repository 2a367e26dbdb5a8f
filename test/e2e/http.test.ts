/**
 * The BUILT proxy serving HTTP (`run --transport http`) in front of a real stdio upstream: clients of
 * both eras over Streamable HTTP and legacy SSE get the same tools as over stdio; a token is required;
 * /ready, /metrics and `status --url` tell the truth, including about a dead upstream.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client, SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { tmpDir, writeConfig } from '../helpers/files.js';
import { type HttpProxy, startHttpProxy } from '../helpers/httpProxy.js';
import { BUNDLE, ECHO } from '../helpers/paths.js';

const run = promisify(execFile);
const TOKEN = 'e2e-http-token-0123456789abcdef';
const auth = { headers: { authorization: `Bearer ${TOKEN}` } };
let proxy: HttpProxy;
let url = '';
let base = '';

beforeAll(async () => {
  const dir = tmpDir('mcp-proxy-http-e2e-');
  const cfg = writeConfig(dir, {
    mcpServers: {
      echo: { command: process.execPath, args: [ECHO] },
      dead: { command: process.execPath, args: ['-e', 'process.exit(7)'] },
    },
    proxy: { retry: { maxAttempts: 1 } },
  });
  proxy = await startHttpProxy(['--config', cfg, '--no-watch'], {
    env: { PATH: process.env.PATH ?? '', HOME: dir, MCP_PROXY_TOKEN: TOKEN, MCP_PROXY_LOG_LEVEL: 'debug' },
  });
  ({ url, base } = proxy);
}, 60_000);

afterAll(() => proxy?.stop());

const textOf = (r: unknown) => (r as { content: { text: string }[] }).content[0].text;

describe('run --transport http (built bundle)', () => {
  test('requires the token; /health does not, and /ready without it tells probes its status alone', async () => {
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const r = await fetch(`${base}/metrics`);
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toContain('Bearer');
    const probe = await fetch(`${base}/ready`);
    expect(Object.keys(await probe.json())).toEqual(['status']);
  });

  test('v1 (2025 session), v2 pinned 2026-07-28 and legacy SSE clients get the same tools', async () => {
    const lists: string[][] = [];
    const v1 = new V1Client({ name: 'e2e-v1', version: '1' });
    const t1 = new V1StreamableHTTPClientTransport(new URL(url), { requestInit: auth });
    await v1.connect(t1);
    lists.push((await v1.listTools()).tools.map((t) => t.name).sort());
    expect(textOf(await v1.callTool({ name: 'echo__echo', arguments: { text: 'via v1' } }))).toBe('via v1');
    await t1.terminateSession();
    await v1.close();

    const v2 = new Client({ name: 'e2e-v2', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await v2.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: auth }));
    lists.push((await v2.listTools()).tools.map((t) => t.name).sort());
    expect(textOf(await v2.callTool({ name: 'echo__echo', arguments: { text: 'via v2' } }))).toBe('via v2');
    await v2.close();

    const sse = new Client({ name: 'e2e-sse', version: '1' });
    await sse.connect(
      new SSEClientTransport(new URL(`${base}/sse`), {
        requestInit: auth,
        eventSourceInit: { fetch: (u, init) => fetch(u, { ...init, headers: { ...init?.headers, ...auth.headers } }) },
      }),
    );
    lists.push((await sse.listTools()).tools.map((t) => t.name).sort());
    await sse.close();

    expect(lists[0]).toContain('echo__echo');
    expect(lists[1]).toEqual(lists[0]);
    expect(lists[2]).toEqual(lists[0]);
  });

  test('/ready and /metrics tell the truth about the dead upstream', async () => {
    const ready = await fetch(`${base}/ready`, auth);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { upstreams: { name: string; state: string; tools: number }[] };
    const byName = Object.fromEntries(body.upstreams.map((u) => [u.name, u]));
    expect(byName.echo.state).toBe('ready');
    expect(byName.echo.tools).toBeGreaterThan(0);
    expect(byName.dead.state).toBe('failed');
    const metrics = await (await fetch(`${base}/metrics`, auth)).text();
    expect(metrics).toContain('mcp_proxy_upstream_up{upstream="echo"} 1');
    expect(metrics).toContain('mcp_proxy_upstream_up{upstream="dead"} 0');
    expect(metrics).toMatch(/mcp_proxy_requests_total\{method="tools\/call",upstream="echo",outcome="ok"\} [1-9]/);
  });

  test('`status --url` reports the dead upstream with exit 4', async () => {
    const err = await run(process.execPath, [BUNDLE, 'status', '--url', url, '--json'], {
      env: { PATH: process.env.PATH ?? '', HOME: tmpDir(), MCP_PROXY_TOKEN: TOKEN },
    }).catch((e) => e);
    expect(err.code).toBe(4);
    const report = JSON.parse(err.stdout);
    expect(report.upstreams.map((u: { name: string; state: string }) => `${u.name}:${u.state}`).sort()).toEqual([
      'dead:failed',
      'echo:ready',
    ]);
  });

  test("keeps a small young generation at light traffic (the launcher's heap settings for run are in effect)", async () => {
    const v1 = new V1Client({ name: 'e2e-heap', version: '1' });
    const t1 = new V1StreamableHTTPClientTransport(new URL(url), { requestInit: auth });
    await v1.connect(t1);
    for (let i = 0; i < 50; i++) await v1.callTool({ name: 'echo__echo', arguments: { text: 'x'.repeat(2000) } });
    await t1.terminateSession();
    await v1.close();
    const metrics = await (await fetch(`${base}/metrics`, auth)).text();
    const m = /^mcp_proxy_nodejs_heap_space_size_total_bytes\{space="new"\} (\d+)/m.exec(metrics);
    expect(m).not.toBeNull();
    // 2 x 1 MiB semi-spaces (2 x 2 MiB if start-up kept the scavenger busy for its first second); under
    // V8's default growth, start-up alone leaves 2 x 4 MiB or more.
    expect(Number(m![1])).toBeLessThanOrEqual(4 * 1024 * 1024);
  });

  test('the token never appears in the proxy logs', () => {
    expect(proxy.stderr().length).toBeGreaterThan(0);
    expect(proxy.stderr()).not.toContain(TOKEN);
  });
});
