/**
 * The proxy's node-native 2025 session transport against the SDK's own (NodeStreamableHTTPServerTransport,
 * as a server built on the SDK serves it), with the same MCP server behind each: every POST must get the
 * same status and the same JSON-RPC messages, in the same order, with the same session header. The one
 * difference is allowed and checked: the SDK answers every request on an SSE stream, the proxy as one JSON
 * body when the response is the first thing it has for the request (both are the spec's; clients accept both).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { isInitializeRequest, type McpServer } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { sampleServerFactory } from '../fixtures/sample-server-factory.js';
import { MCP_HEADERS, startTestFrontend, waitFor } from './helpers.js';

type Message = Record<string, any>;

/** The sample tools, plus one that runs until cancelled. */
function parityServer(cancelled: string[]): McpServer {
  const server = sampleServerFactory()({ era: 'legacy' }) as McpServer;
  server.registerTool(
    'wait',
    { description: 'Runs until cancelled', inputSchema: z.object({ tag: z.string() }) },
    async ({ tag }, extra) => {
      await new Promise<void>((resolve) => extra.mcpReq.signal.addEventListener('abort', () => resolve()));
      cancelled.push(tag);
      return { content: [] };
    },
  );
  return server;
}

/** An HTTP server built on the SDK's transport, one per session (as the SDK's examples do). */
async function startSdkServer(cancelled: string[]): Promise<{ url: string; close(): Promise<void> }> {
  const sessions = new Map<string, NodeStreamableHTTPServerTransport>();
  const http: HttpServer = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const body = text ? JSON.parse(text) : undefined;
    const sid = req.headers['mcp-session-id'];
    const known = typeof sid === 'string' ? sessions.get(sid) : undefined;
    if (known) return known.handleRequest(req, res, body);
    if (sid === undefined && isInitializeRequest(body)) {
      const transport = new NodeStreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => void sessions.set(id, transport),
      });
      await parityServer(cancelled).connect(transport);
      return transport.handleRequest(req, res, body);
    }
    // What the proxy answers for an unknown session (the spec's 404; the SDK's transport says the same).
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Session not found' } }));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    async close() {
      await Promise.all([...sessions.values()].map((t) => t.close()));
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    },
  };
}

interface Answer {
  status: number;
  type: string | null;
  session: string | null;
  messages: Message[];
  /** The raw SSE text, when the answer was a stream. */
  sse?: string;
}

class Side {
  sid = '';
  constructor(readonly url: string) {}

  headers(): Record<string, string> {
    return { ...MCP_HEADERS, 'mcp-session-id': this.sid, 'mcp-protocol-version': '2025-11-25' };
  }

  async open(): Promise<void> {
    const init = await fetch(this.url, {
      method: 'POST',
      headers: MCP_HEADERS,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: {
          protocolVersion: '2025-11-25',
          capabilities: {},
          clientInfo: { name: 'p', version: '1' },
        },
      }),
    });
    await init.text();
    this.sid = init.headers.get('mcp-session-id') ?? '';
    await this.post({ jsonrpc: '2.0', method: 'notifications/initialized' });
  }

  async post(body: unknown, headers = this.headers()): Promise<Answer> {
    const r = await fetch(this.url, { method: 'POST', headers, body: JSON.stringify(body) });
    return read(r);
  }
}

async function read(r: Response): Promise<Answer> {
  const type = r.headers.get('content-type');
  const text = await r.text();
  const base = { status: r.status, type, session: r.headers.get('mcp-session-id') };
  if (type?.startsWith('text/event-stream')) return { ...base, messages: sseMessages(text), sse: text };
  return { ...base, messages: text ? [JSON.parse(text)].flat() : [] };
}

function sseMessages(text: string): Message[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)));
}

/** The SSE frames without `id:` lines (the SDK writes none without an event store, the proxy none at all). */
function frames(sse: string): string[] {
  return sse.split('\n\n').filter((f) => f.trim() !== '');
}

const cancelledSdk: string[] = [];
const cancelledNative: string[] = [];
let sdk: { url: string; close(): Promise<void> };
let native: { url: string; close(): Promise<void> };
let a: Side;
let b: Side;

beforeAll(async () => {
  sdk = await startSdkServer(cancelledSdk);
  native = await startTestFrontend({ serverFactory: () => parityServer(cancelledNative) });
  a = new Side(sdk.url);
  b = new Side(native.url);
  await Promise.all([a.open(), b.open()]);
});

afterAll(async () => {
  await Promise.all([sdk?.close(), native?.close()]);
});

/** Both sides answer `body` with the same status, session header and messages; returns both answers. */
async function same(body: unknown): Promise<[Answer, Answer]> {
  const [x, y] = await Promise.all([a.post(body), b.post(body)]);
  expect(y.status).toBe(x.status);
  expect(y.messages).toEqual(x.messages);
  expect(y.session !== null).toBe(x.session !== null);
  return [x, y];
}

describe('2025 session transport: the same answers as the SDK transport', () => {
  test('a result: the same message; JSON here, where the SDK streams it', async () => {
    const [x, y] = await same({
      jsonrpc: '2.0',
      id: 5,
      method: 'tools/call',
      params: { name: 'add', arguments: { a: 2, b: 3 } },
    });
    expect(y.messages).toEqual([{ jsonrpc: '2.0', id: 5, result: { content: [{ type: 'text', text: '5' }] } }]);
    expect(x.type).toBe('text/event-stream');
    expect(y.type).toBe('application/json');
  });

  test('errors: an unknown tool, a prompt and a resource that do not exist, bad params', async () => {
    await same({ jsonrpc: '2.0', id: 'e1', method: 'tools/call', params: { name: 'nope', arguments: {} } });
    await same({ jsonrpc: '2.0', id: 'e2', method: 'prompts/get', params: { name: 'nope' } });
    await same({ jsonrpc: '2.0', id: 'e3', method: 'resources/read', params: { uri: 'sample://nope' } });
    await same({ jsonrpc: '2.0', id: 'e4', method: 'tools/call', params: { name: 'add', arguments: { a: 'x' } } });
    await same({ jsonrpc: '2.0', id: 'e5', method: 'no/such/method', params: {} });
  });

  test('progress and logs go on the POST stream, before the result, with the same SSE framing', async () => {
    await same({ jsonrpc: '2.0', id: 'lv', method: 'logging/setLevel', params: { level: 'debug' } });
    const [x, y] = await same({
      jsonrpc: '2.0',
      id: 9,
      method: 'tools/call',
      params: { name: 'progress', arguments: { tag: 'P', steps: 2 }, _meta: { progressToken: 'tok' } },
    });
    expect(y.messages.map((m) => m.method ?? 'result')).toEqual([
      'notifications/progress',
      'notifications/message',
      'notifications/progress',
      'notifications/message',
      'result',
    ]);
    expect(y.type).toBe('text/event-stream');
    expect(frames(y.sse!)).toEqual(frames(x.sse!));
  });

  test('a client closing the POST does not cancel the call on either (the spec: only notifications/cancelled does)', async () => {
    const call = (side: Side, tag: string) => {
      const abort = new AbortController();
      const body = {
        jsonrpc: '2.0',
        id: `w-${tag}`,
        method: 'tools/call',
        params: { name: 'wait', arguments: { tag } },
      };
      const sent = fetch(side.url, {
        method: 'POST',
        headers: side.headers(),
        body: JSON.stringify(body),
        signal: abort.signal,
      });
      return { abort, sent: sent.then((r) => r.text()).catch(() => 'closed') };
    };
    const x = call(a, 'x');
    const y = call(b, 'y');
    await new Promise((r) => setTimeout(r, 100));
    x.abort.abort();
    y.abort.abort();
    await Promise.all([x.sent, y.sent]);
    await new Promise((r) => setTimeout(r, 200));
    expect([cancelledSdk.includes('x'), cancelledNative.includes('y')]).toEqual([false, false]);
    const cancel = (side: Side, id: string) =>
      side.post({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'test' } });
    const [cx, cy] = await Promise.all([cancel(a, 'w-x'), cancel(b, 'w-y')]);
    expect(cy.status).toBe(cx.status);
    expect(await waitFor(() => cancelledSdk.includes('x') && cancelledNative.includes('y'))).toBe(true);
  });

  test('notifications/cancelled in a later POST ends the call on both, with no answer on its stream', async () => {
    const run = async (side: Side, tag: string) => {
      const body = {
        jsonrpc: '2.0',
        id: `c-${tag}`,
        method: 'tools/call',
        params: { name: 'wait', arguments: { tag } },
      };
      const pending = side.post(body);
      await new Promise((r) => setTimeout(r, 100));
      const note = await side.post({
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: `c-${tag}`, reason: 'test' },
      });
      return { note, answer: await Promise.race([pending, new Promise((r) => setTimeout(() => r('open'), 500))]) };
    };
    const [x, y] = await Promise.all([run(a, 'cx'), run(b, 'cy')]);
    expect(y.note.status).toBe(x.note.status);
    expect(await waitFor(() => cancelledNative.includes('cy') && cancelledSdk.includes('cx'))).toBe(true);
    const messages = (ans: unknown) => (ans === 'open' ? [] : (ans as Answer).messages);
    expect(messages(y.answer)).toEqual(messages(x.answer));
  });

  test('a request for another session, or with a bad protocol version, gets the same status and error code', async () => {
    const call = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add', arguments: { a: 1, b: 1 } } };
    const unknown = { ...MCP_HEADERS, 'mcp-session-id': randomUUID(), 'mcp-protocol-version': '2025-11-25' };
    const [x, y] = await Promise.all([a.post(call, unknown), b.post(call, unknown)]);
    expect([y.status, y.messages[0]?.error?.code]).toEqual([x.status, x.messages[0]?.error?.code]);
    const badVersion = (s: Side) => ({ ...s.headers(), 'mcp-protocol-version': '1999-01-01' });
    const [v, w] = await Promise.all([a.post(call, badVersion(a)), b.post(call, badVersion(b))]);
    expect([w.status, w.messages[0]?.error?.code]).toEqual([v.status, v.messages[0]?.error?.code]);
    const noSse = (s: Side) => ({ ...s.headers(), accept: 'application/json' });
    const [n, m] = await Promise.all([a.post(call, noSse(a)), b.post(call, noSse(b))]);
    expect([m.status, m.messages[0]?.error?.code]).toEqual([n.status, n.messages[0]?.error?.code]);
  });
});
