/**
 * Real SDK clients over real HTTP (port 0): v1 Streamable HTTP (2025 sessions), v2 pinned to 2026-07-28,
 * v2 auto, and the legacy HTTP+SSE transport from both SDKs. Sessions stay isolated.
 */
import { Client, SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport as V1SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport as V1StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { HttpFrontend } from '../../src/frontends/http/start.js';
import { startTestFrontend, waitFor } from './helpers.js';

const TOKEN = 'clients-test-token-0123456789';
const auth = { headers: { authorization: `Bearer ${TOKEN}` } };
let fe: HttpFrontend;

beforeAll(async () => {
  fe = await startTestFrontend({ auth: { tokens: [TOKEN] } });
});
afterAll(async () => {
  await fe?.close();
});

const EXPECTED_TOOLS = ['add', 'echo', 'progress', 'session_info'];
const textOf = (r: unknown) => ((r as { content: { text: string }[] }).content[0] as { text: string }).text;

type AnyClient = {
  listTools(): Promise<{ tools: { name: string }[] }>;
  callTool(p: { name: string; arguments?: Record<string, unknown> }): Promise<unknown>;
  listPrompts(): Promise<{ prompts: { name: string }[] }>;
  getPrompt(p: { name: string; arguments?: Record<string, string> }): Promise<{ messages: { content: unknown }[] }>;
  readResource(p: { uri: string }): Promise<{ contents: { text?: string }[] }>;
  close(): Promise<void>;
};

async function exercise(client: AnyClient): Promise<string> {
  const tools = (await client.listTools()).tools.map((t) => t.name).sort();
  expect(tools).toEqual(EXPECTED_TOOLS);
  expect(textOf(await client.callTool({ name: 'add', arguments: { a: 2, b: 40 } }))).toBe('42');
  expect((await client.listPrompts()).prompts.map((p) => p.name)).toEqual(['greet']);
  const prompt = await client.getPrompt({ name: 'greet', arguments: { name: 'Ada' } });
  expect(JSON.stringify(prompt.messages[0].content)).toContain('Hello, Ada!');
  expect((await client.readResource({ uri: 'sample://hello' })).contents[0].text).toBe('hello world');
  return textOf(await client.callTool({ name: 'session_info', arguments: {} }));
}

describe('SDK clients over real HTTP', () => {
  test('v1 client, Streamable HTTP: a 2025 session with a session id', async () => {
    const transport = new V1StreamableHTTPClientTransport(new URL(fe.url), { requestInit: auth });
    const client = new V1Client({ name: 'v1', version: '1.0.0' });
    await client.connect(transport);
    expect(transport.sessionId).toBeTruthy();
    const info = JSON.parse(await exercise(client as unknown as AnyClient));
    expect(info).toEqual({ era: 'legacy', sessionId: transport.sessionId });
    expect(fe.app.sessionCount()).toBeGreaterThanOrEqual(1);
    await transport.terminateSession();
    await client.close();
  });

  test('v2 client pinned to 2026-07-28: stateless, no session', async () => {
    const transport = new StreamableHTTPClientTransport(new URL(fe.url), { requestInit: auth });
    const client = new Client(
      { name: 'v2-pinned', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    await client.connect(transport);
    expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
    const info = JSON.parse(await exercise(client as unknown as AnyClient));
    expect(info).toEqual({ era: 'modern', sessionId: null });
    await client.close();
  });

  test('v2 client with auto negotiation picks the modern era', async () => {
    const client = new Client({ name: 'v2-auto', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
    await client.connect(new StreamableHTTPClientTransport(new URL(fe.url), { requestInit: auth }));
    expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
    expect(JSON.parse(await exercise(client as unknown as AnyClient)).era).toBe('modern');
    await client.close();
  });

  test('v2 client in legacy mode gets a 2025 session', async () => {
    const client = new Client({ name: 'v2-legacy', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(fe.url), { requestInit: auth });
    await client.connect(transport);
    expect(JSON.parse(await exercise(client as unknown as AnyClient))).toEqual({
      era: 'legacy',
      sessionId: transport.sessionId,
    });
    await transport.terminateSession();
    await client.close();
  });

  test('v1 client over the legacy HTTP+SSE transport', async () => {
    const before = fe.app.sessionCount();
    const client = new V1Client({ name: 'v1-sse', version: '1.0.0' });
    await client.connect(
      new V1SSEClientTransport(new URL(`${fe.baseUrl}/sse`), {
        requestInit: auth,
        eventSourceInit: { fetch: (u, init) => fetch(u, { ...init, headers: { ...init?.headers, ...auth.headers } }) },
      }),
    );
    expect(JSON.parse(await exercise(client as unknown as AnyClient)).era).toBe('legacy');
    expect(fe.app.sessionCount()).toBe(before + 1);
    await client.close();
    expect(await waitFor(() => fe.app.sessionCount() === before)).toBe(true);
  });

  test('v2 client over the legacy HTTP+SSE transport', async () => {
    const client = new Client({ name: 'v2-sse', version: '1.0.0' });
    await client.connect(
      new SSEClientTransport(new URL(`${fe.baseUrl}/sse`), {
        requestInit: auth,
        eventSourceInit: { fetch: (u, init) => fetch(u, { ...init, headers: { ...init?.headers, ...auth.headers } }) },
      }),
    );
    expect(JSON.parse(await exercise(client as unknown as AnyClient)).era).toBe('legacy');
    await client.close();
  });

  test('a client without the token is refused', async () => {
    const client = new V1Client({ name: 'v1-noauth', version: '1.0.0' });
    await expect(client.connect(new V1StreamableHTTPClientTransport(new URL(fe.url)))).rejects.toThrow();
  });
});

describe('session isolation', () => {
  /**
   * Calls the progress tool with its own tag and records every progress and log notification that reached
   * this client's transport (recorded at the transport, so nothing the client drops can hide a leak).
   */
  async function v1Session(kind: 'http' | 'sse', tag: string) {
    const client = new V1Client({ name: `iso-${tag}`, version: '1.0.0' });
    const seen: string[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, () => {});
    client.onerror = () => {};
    const transport =
      kind === 'http'
        ? new V1StreamableHTTPClientTransport(new URL(fe.url), { requestInit: auth })
        : new V1SSEClientTransport(new URL(`${fe.baseUrl}/sse`), {
            requestInit: auth,
            eventSourceInit: {
              fetch: (u, init) => fetch(u, { ...init, headers: { ...init?.headers, ...auth.headers } }),
            },
          });
    await client.connect(transport);
    const deliver = transport.onmessage!;
    transport.onmessage = (m) => {
      const msg = m as { method?: string; params?: { message?: string; data?: unknown } };
      if (msg.method === 'notifications/progress') seen.push(`progress:${msg.params?.message}`);
      if (msg.method === 'notifications/message') seen.push(`log:${String(msg.params?.data)}`);
      deliver(m);
    };
    return {
      seen,
      async run() {
        const r = await client.callTool({ name: 'progress', arguments: { tag, steps: 5 } }, undefined, {
          onprogress: () => {},
        });
        return textOf(r);
      },
      close: () => client.close(),
    };
  }

  for (const kind of ['http', 'sse'] as const) {
    test(`two concurrent ${kind} sessions never see each other's progress or log messages`, async () => {
      const a = await v1Session(kind, 'A');
      const b = await v1Session(kind, 'B');
      const results = await Promise.all([a.run(), b.run(), a.run(), b.run()]);
      expect(results).toEqual(['A:done', 'B:done', 'A:done', 'B:done']);
      await waitFor(() => a.seen.length >= 20 && b.seen.length >= 20);
      expect(a.seen.filter((s) => s.startsWith('progress:')).length).toBe(10);
      expect(b.seen.filter((s) => s.startsWith('progress:')).length).toBe(10);
      expect(a.seen.filter((s) => s.startsWith('log:')).length).toBe(10);
      expect(a.seen.every((s) => s.includes(':A:'))).toBe(true);
      expect(b.seen.every((s) => s.includes(':B:'))).toBe(true);
      await a.close();
      await b.close();
    });
  }

  test('modern (2026-07-28) calls deliver progress only to their own request', async () => {
    const mk = async () => {
      const c = new Client(
        { name: 'iso-modern', version: '1.0.0' },
        { versionNegotiation: { mode: { pin: '2026-07-28' } } },
      );
      await c.connect(new StreamableHTTPClientTransport(new URL(fe.url), { requestInit: auth }));
      return c;
    };
    const [a, b] = await Promise.all([mk(), mk()]);
    const seenA: string[] = [];
    const seenB: string[] = [];
    const [ra, rb] = await Promise.all([
      a.callTool(
        { name: 'progress', arguments: { tag: 'A', steps: 4 } },
        { onprogress: (p) => seenA.push(String(p.message)) },
      ),
      b.callTool(
        { name: 'progress', arguments: { tag: 'B', steps: 4 } },
        { onprogress: (p) => seenB.push(String(p.message)) },
      ),
    ]);
    expect([textOf(ra), textOf(rb)]).toEqual(['A:done', 'B:done']);
    expect(seenA).toEqual(['A:1', 'A:2', 'A:3', 'A:4']);
    expect(seenB).toEqual(['B:1', 'B:2', 'B:3', 'B:4']);
    await a.close();
    await b.close();
  });
});

describe('list changes for 2026-07-28 clients', () => {
  test('notifyListChanged reaches an open subscriptions/listen stream', async () => {
    const client = new Client(
      { name: 'listen', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    await client.connect(new StreamableHTTPClientTransport(new URL(fe.url), { requestInit: auth }));
    const seen: string[] = [];
    client.setNotificationHandler('notifications/tools/list_changed', () => {
      seen.push('tools');
    });
    client.setNotificationHandler('notifications/prompts/list_changed', () => {
      seen.push('prompts');
    });
    const sub = await client.listen({ toolsListChanged: true });
    expect(sub.honoredFilter.toolsListChanged).toBe(true);
    fe.app.notifyListChanged({ tools: true, prompts: true });
    expect(await waitFor(() => seen.includes('tools'))).toBe(true);
    // Prompts were not subscribed to: only the tools change arrives.
    expect(seen).toEqual(['tools']);
    await sub.close();
    await client.close();
  });
});
