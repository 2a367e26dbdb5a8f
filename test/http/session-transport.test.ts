import { describe, expect, test } from 'vitest';
import { INIT_BODY, MCP_HEADERS, openRawSession, startTestFrontend } from './helpers.js';

describe('2025 session transport', () => {
  async function withSession(fn: (url: string, headers: Record<string, string>) => Promise<void>) {
    const fe = await startTestFrontend();
    try {
      const id = await openRawSession(fe.url);
      await fn(fe.url, { ...MCP_HEADERS, 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' });
    } finally {
      await fe.close();
    }
  }
  const post = (url: string, headers: Record<string, string>, body: unknown) =>
    fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });

  test('a plain call is answered as JSON; a call that streams progress first upgrades to SSE', async () => {
    await withSession(async (url, headers) => {
      const plain = await post(url, headers, {
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: { name: 'add', arguments: { a: 1, b: 1 } },
      });
      expect(plain.headers.get('content-type')).toBe('application/json');
      expect(await plain.json()).toMatchObject({ id: 7, result: { content: [{ text: '2' }] } });
      const streamed = await post(url, headers, {
        jsonrpc: '2.0',
        id: 8,
        method: 'tools/call',
        params: { name: 'progress', arguments: { tag: 'S', steps: 2 }, _meta: { progressToken: 'tok' } },
      });
      expect(streamed.headers.get('content-type')).toBe('text/event-stream');
      const text = await streamed.text();
      const events = text
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => JSON.parse(l.slice(6)));
      expect(events.filter((e) => e.method === 'notifications/progress').map((e) => e.params.message)).toEqual([
        'S:1',
        'S:2',
      ]);
      expect(events.at(-1)).toMatchObject({ id: 8, result: { content: [{ text: 'S:done' }] } });
    });
  });

  test('a batch of requests gets a JSON array; notifications alone get 202', async () => {
    await withSession(async (url, headers) => {
      const batch = await post(url, headers, [
        { jsonrpc: '2.0', id: 1, method: 'ping' },
        { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} },
      ]);
      const arr = (await batch.json()) as { id: number }[];
      expect(arr.map((m) => m.id).sort()).toEqual([1, 2]);
      const note = await post(url, headers, { jsonrpc: '2.0', method: 'notifications/roots/list_changed' });
      expect(note.status).toBe(202);
    });
  });

  test('protocol checks: unsupported MCP-Protocol-Version 400, missing Accept 406, a second GET stream 409', async () => {
    await withSession(async (url, headers) => {
      const bad = await post(
        url,
        { ...headers, 'mcp-protocol-version': '1999-01-01' },
        { jsonrpc: '2.0', id: 1, method: 'ping' },
      );
      expect(bad.status).toBe(400);
      const noAccept = await post(
        url,
        { ...headers, accept: 'application/json' },
        { jsonrpc: '2.0', id: 1, method: 'ping' },
      );
      expect(noAccept.status).toBe(406);
      const ac = new AbortController();
      const first = await fetch(url, { headers: { ...headers, accept: 'text/event-stream' }, signal: ac.signal });
      expect(first.status).toBe(200);
      expect(first.headers.get('content-type')).toBe('text/event-stream');
      const second = await fetch(url, { headers: { ...headers, accept: 'text/event-stream' } });
      expect(second.status).toBe(409);
      ac.abort();
      await first.body?.cancel().catch(() => {});
    });
  });

  test('a second initialize on a live session is refused', async () => {
    await withSession(async (url, headers) => {
      const again = await post(url, headers, INIT_BODY);
      expect(again.status).toBe(400);
    });
  });
});
