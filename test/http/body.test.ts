import request from 'supertest';
import { afterEach, describe, expect, test } from 'vitest';
import { closeTestApps, INIT_BODY, MCP_HEADERS, makeTestApp as makeApp, startTestFrontend } from './helpers.js';

afterEach(closeTestApps);

describe('bad input', () => {
  test('an oversized body is refused with 413', async () => {
    const app = makeApp({ maxBodyBytes: 1024 });
    const big = { ...INIT_BODY, params: { ...INIT_BODY.params, pad: 'x'.repeat(5000) } };
    const r = await request(app.handler).post('/mcp').set(MCP_HEADERS).send(big);
    expect(r.status).toBe(413);
    expect(r.body.error.message).toContain('1024 bytes');
  });

  test('malformed JSON gets 400 with JSON-RPC -32700', async () => {
    const app = makeApp();
    const r = await request(app.handler).post('/mcp').set(MCP_HEADERS).send('{"jsonrpc": "2.0", "id": 1,');
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe(-32700);
  });

  test('a body that starts with a UTF-8 byte-order mark is read as its JSON', async () => {
    const fe = await startTestFrontend();
    try {
      const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(INIT_BODY))]);
      const r = await fetch(fe.url, { method: 'POST', headers: MCP_HEADERS, body });
      expect(r.status).toBe(200);
      expect(r.headers.get('mcp-session-id')).toBeTruthy();
      await r.text();
    } finally {
      await fe.close();
    }
  });

  test('a non-JSON Content-Type gets 415', async () => {
    const r = await request(makeApp().handler).post('/mcp').set('content-type', 'text/plain').send('hello');
    expect(r.status).toBe(415);
  });

  test('a 2025 request without a session id is 400; an unknown session id is 404', async () => {
    const app = makeApp();
    const list = { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} };
    const missing = await request(app.handler).post('/mcp').set(MCP_HEADERS).send(list);
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toContain('Mcp-Session-Id');
    const unknown = await request(app.handler)
      .post('/mcp')
      .set(MCP_HEADERS)
      .set('mcp-session-id', 'no-such-session')
      .set('mcp-protocol-version', '2025-11-25')
      .send(list);
    expect(unknown.status).toBe(404);
    const sse = await request(app.handler).post('/messages?sessionId=nope').set(MCP_HEADERS).send(list);
    expect(sse.status).toBe(404);
  });

  test('the proxy keeps serving other clients after bad requests', async () => {
    const app = makeApp({ maxBodyBytes: 1024 });
    await request(app.handler).post('/mcp').set(MCP_HEADERS).send('{{{');
    await request(app.handler)
      .post('/mcp')
      .set(MCP_HEADERS)
      .send({ pad: 'y'.repeat(4000) });
    const ok = await request(app.handler).post('/mcp').set(MCP_HEADERS).send(INIT_BODY);
    expect(ok.status).toBe(200);
  });
});
