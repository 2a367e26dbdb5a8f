import { describe, expect, test } from 'vitest';
import { INIT_BODY, MCP_HEADERS, openRawSession, pingSession, startTestFrontend, waitFor } from './helpers.js';

describe('sessions', () => {
  test('DELETE ends a session: it is gone from the count and later requests get 404', async () => {
    const fe = await startTestFrontend();
    try {
      const id = await openRawSession(fe.url);
      expect(fe.app.sessionCount()).toBe(1);
      const del = await fetch(fe.url, {
        method: 'DELETE',
        headers: { 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' },
      });
      expect(del.status).toBe(200);
      expect(await waitFor(() => fe.app.sessionCount() === 0)).toBe(true);
      expect((await pingSession(fe.url, id)).status).toBe(404);
    } finally {
      await fe.close();
    }
  });

  test('an initialize inside a batch is refused as such and opens no session', async () => {
    const fe = await startTestFrontend();
    try {
      const post = (headers: Record<string, string>) =>
        fetch(fe.url, { method: 'POST', headers, body: JSON.stringify([INIT_BODY]) });
      const alone = await post(MCP_HEADERS);
      expect(alone.status).toBe(400);
      expect(((await alone.json()) as { error: unknown }).error).toEqual({
        code: -32600,
        message: 'Invalid Request: initialize must be sent alone, not in a batch',
      });
      expect(fe.app.sessionCount()).toBe(0);
      // Inside a session the session's own transport answers: it is initialized already.
      const inSession = await post({ ...MCP_HEADERS, 'mcp-session-id': await openRawSession(fe.url) });
      expect(inSession.status).toBe(400);
      expect(((await inSession.json()) as { error: { code: number } }).error.code).toBe(-32600);
      expect(fe.app.sessionCount()).toBe(1);
    } finally {
      await fe.close();
    }
  });

  test('idle sessions expire', async () => {
    const fe = await startTestFrontend({ sessionIdleTimeoutMs: 40 });
    try {
      const id = await openRawSession(fe.url);
      expect(await waitFor(() => fe.app.sessionCount() === 0, 300)).toBe(true);
      expect((await pingSession(fe.url, id)).status).toBe(404);
    } finally {
      await fe.close();
    }
  });

  test('the open-session limit answers 503 with a JSON-RPC error, for Streamable HTTP and SSE alike', async () => {
    const fe = await startTestFrontend({ maxSessions: 1 });
    try {
      await openRawSession(fe.url);
      const second = await fetch(fe.url, { method: 'POST', headers: MCP_HEADERS, body: JSON.stringify(INIT_BODY) });
      expect(second.status).toBe(503);
      const body = (await second.json()) as { error: { message: string } };
      expect(body.error.message).toContain('too many open sessions');
      const sse = await fetch(`${fe.baseUrl}/sse`, { headers: { accept: 'text/event-stream' } });
      expect(sse.status).toBe(503);
      await sse.text();
    } finally {
      await fe.close();
    }
  });
});
