/**
 * Draining (shutdown behind a load balancer) and /ready for probes without a credential, on a real
 * listener: /ready turns 503 at once, new sessions and 2026 requests are refused with a 503 a balancer
 * may retry elsewhere, open sessions keep being served, and calls in flight are counted until answered.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { McpServer } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, test } from 'vitest';
import type { HttpFrontend } from '../../src/frontends/http/start.js';
import { sampleServerFactory } from '../fixtures/sample-server-factory.js';
import { INIT_BODY, MCP_HEADERS, openRawSession, startTestFrontend, waitFor } from './helpers.js';

const TOKEN = 'tok-drain-0123456789abcdef';
const AUTH = { authorization: `Bearer ${TOKEN}` };
let fe: HttpFrontend | undefined;

afterEach(async () => {
  await fe?.close();
  fe = undefined;
});

/** The sample server plus a `wait` tool that answers only when the test opens the gate. */
function gatedFactory() {
  let open!: () => void;
  const gate = new Promise<void>((r) => {
    open = r;
  });
  const sample = sampleServerFactory();
  const factory = (ctx: { era: 'legacy' | 'modern'; sessionId?: string }) => {
    const server = sample(ctx) as McpServer;
    server.registerTool('wait', { description: 'Answers when the gate opens' }, async () => {
      await gate;
      return { content: [{ type: 'text', text: 'waited' }] };
    });
    return server;
  };
  return { factory, open };
}

async function getJson(url: string, headers: Record<string, string> = {}) {
  const r = await fetch(url, { headers });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

function modernRequest(url: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { ...MCP_HEADERS, ...AUTH, 'mcp-protocol-version': '2026-07-28' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list', params: {} }),
  });
}

describe('/ready for probes', () => {
  test('without a credential: the status code and one word; a wrong credential is still refused', async () => {
    let ready = false;
    fe = await startTestFrontend({ auth: { tokens: [TOKEN] }, status: () => ({ ready, upstreams: [] }) });
    expect(await getJson(`${fe.baseUrl}/ready`)).toEqual({ status: 503, body: { status: 'starting' } });
    ready = true;
    expect(await getJson(`${fe.baseUrl}/ready`)).toEqual({ status: 200, body: { status: 'ready' } });
    expect((await getJson(`${fe.baseUrl}/ready`, { authorization: 'Bearer wrong' })).status).toBe(401);
    const full = await getJson(`${fe.baseUrl}/ready`, AUTH);
    expect(full.status).toBe(200);
    expect(full.body).toMatchObject({ status: 'ready', ready: true, upstreams: [] });
    expect(full.body.sessions).toBeDefined();
    // The rest still needs the credential.
    expect((await fetch(`${fe.baseUrl}/metrics`)).status).toBe(401);
  });
});

describe('draining', () => {
  test('/ready turns 503 at once; new sessions, SSE streams and 2026 requests get 503; open sessions are served', async () => {
    fe = await startTestFrontend({ auth: { tokens: [TOKEN] } });
    const sid = await openRawSession(fe.url, AUTH);
    const modernClient = new Client(
      { name: 't', version: '1' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    await modernClient.connect(new StreamableHTTPClientTransport(new URL(fe.url), { requestInit: { headers: AUTH } }));
    expect((await modernClient.listTools()).tools.length).toBeGreaterThan(0);

    fe.app.drain();

    expect(await getJson(`${fe.baseUrl}/ready`)).toEqual({ status: 503, body: { status: 'draining' } });
    const detailed = await getJson(`${fe.baseUrl}/ready`, AUTH);
    expect(detailed.status).toBe(503);
    expect(detailed.body).toMatchObject({ status: 'draining', ready: false });
    expect((await fetch(`${fe.baseUrl}/health`)).status).toBe(200);

    const init = await fetch(fe.url, {
      method: 'POST',
      headers: { ...MCP_HEADERS, ...AUTH },
      body: JSON.stringify(INIT_BODY),
    });
    expect(init.status).toBe(503);
    expect(init.headers.get('retry-after')).toBe('1');
    expect(init.headers.get('mcp-session-id')).toBeNull();
    const body = (await init.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/shutting down and takes no new sessions/);

    const modern = await modernRequest(fe.url);
    expect(modern.status).toBe(503);
    await modern.text();
    await expect(modernClient.listTools()).rejects.toThrow(/503|shutting down/);
    await modernClient.close();
    const sse = await fetch(`${fe.baseUrl}/sse`, { headers: { ...AUTH, accept: 'text/event-stream' } });
    expect(sse.status).toBe(503);
    await sse.text();

    const ping = await fetch(fe.url, {
      method: 'POST',
      headers: { ...MCP_HEADERS, ...AUTH, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'ping' }),
    });
    expect(ping.status).toBe(200);
    expect(await ping.text()).toContain('"result"');
    expect(fe.app.sessionCount()).toBe(1);
  });

  test('a call in flight is counted until its answer is written, also while draining', async () => {
    const gated = gatedFactory();
    fe = await startTestFrontend({ serverFactory: gated.factory });
    const client = new Client({ name: 't', version: '1' }, { versionNegotiation: { mode: 'legacy' } } as never);
    await client.connect(new StreamableHTTPClientTransport(new URL(fe.url)));
    const app = fe.app;
    expect(app.inflight()).toBe(0);
    const call = client.callTool({ name: 'wait', arguments: {} });
    expect(await waitFor(() => app.inflight() === 1)).toBe(true);
    app.drain();
    // Still counted while draining, and the session is served to the end.
    await new Promise((r) => setTimeout(r, 50));
    expect(app.inflight()).toBe(1);
    gated.open();
    expect(((await call) as { content: { text: string }[] }).content[0]?.text).toBe('waited');
    expect(await waitFor(() => app.inflight() === 0)).toBe(true);
    await client.close();
  });
});
