/**
 * Per-identity limits and metrics on the BUILT proxy over real HTTP: two bearer tokens are two
 * identities from the same address; one going over proxy.limits.perIdentity gets 429 with Retry-After
 * while the other is unaffected; /metrics counts calls and errors per identity; `status --url` shows
 * open sessions per identity.
 */
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureBuilt, runBundle } from '../helpers/build.js';
import { tempDir, writeConfig } from '../helpers/files.js';
import { type HttpProxy, startHttpProxy } from '../helpers/httpProxy.js';
import { ECHO } from '../helpers/paths.js';

const A = 'identity-a-token-0123456789abcdef';
const B = 'identity-b-token-fedcba9876543210';
const MAX = 20;
const tmp = tempDir('mcp-proxy-identity-limits-');
const env = { PATH: process.env.PATH ?? '', HOME: tmp.dir, MCP_PROXY_TOKEN: `${A},${B}` };
let proxy: HttpProxy;

beforeAll(async () => {
  ensureBuilt();
  const cfg = writeConfig(tmp.dir, {
    mcpServers: { echo: { command: process.execPath, args: [ECHO] } },
    proxy: { limits: { perIdentity: { windowMs: 60_000, max: MAX } } },
  });
  proxy = await startHttpProxy(['--config', cfg, '--no-watch'], { env });
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  tmp.cleanup();
});

const get = (path: string, token: string) =>
  fetch(`${proxy.base}${path}`, { headers: { authorization: `Bearer ${token}` } });

describe('per-identity limits, metrics and sessions', () => {
  test('an identity over its limit gets 429 with Retry-After; another identity from the same address does not', async () => {
    for (let i = 0; i < MAX; i++) expect((await get('/metrics', A)).status).toBe(200);
    const refused = await get('/metrics', A);
    expect(refused.status).toBe(429);
    const retry = Number(refused.headers.get('retry-after'));
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(60);
    expect((await refused.json()).error.message).toContain('proxy.limits.perIdentity');
    // B has its own budget.
    expect((await get('/metrics', B)).status).toBe(200);
  });

  test('/metrics counts calls and errors per identity; status shows sessions per identity', async () => {
    const client = new V1Client({ name: 'limits', version: '1' });
    const transport = new V1Transport(new URL(proxy.url), {
      requestInit: { headers: { authorization: `Bearer ${B}` } },
    });
    await client.connect(transport);
    await client.callTool({ name: 'echo__echo', arguments: { text: 'x' } });
    await client.callTool({ name: 'echo__echo', arguments: { text: 'y' } });
    await client.callTool({ name: 'echo__fail', arguments: {} });

    const metrics = await (await get('/metrics', B)).text();
    const calls = [...metrics.matchAll(/^mcp_proxy_identity_calls_total\{identity="(token:[0-9a-f]{32})"\} (\d+)$/gm)];
    expect(calls.map((m) => Number(m[2]))).toEqual([3]);
    const bId = calls[0]![1];
    expect(metrics).toMatch(new RegExp(`^mcp_proxy_identity_errors_total\\{identity="${bId}"\\} 1$`, 'm'));
    const limited = [
      ...metrics.matchAll(/^mcp_proxy_identity_rate_limited_total\{identity="(token:[0-9a-f]{32})"\} (\d+)$/gm),
    ];
    expect(limited.map((m) => [m[1] === bId, Number(m[2])])).toEqual([[false, 1]]);

    const status = runBundle(['status', '--url', proxy.base, '--token', B, '--json'], { env, cwd: tmp.dir });
    expect(JSON.parse(status.stdout).sessionsByIdentity).toEqual({ [bId]: 1 });
    const table = runBundle(['status', '--url', proxy.base, '--token', B], { env, cwd: tmp.dir });
    expect(table.stdout).toMatch(new RegExp(`IDENTITY\\s+SESSIONS\\n${bId}\\s+1`));
    await transport.terminateSession();
    await client.close();
  });
});
