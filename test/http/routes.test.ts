import { Writable } from 'node:stream';
import request from 'supertest';
import { afterEach, describe, expect, test } from 'vitest';
import { isAppError } from '../../src/errors.js';
import { createHttpApp, type HttpApp, type HttpAppDeps } from '../../src/frontends/http/app.js';
import { assertSafeBind, loopbackHostnames, RateLimiter, TokenVerifier } from '../../src/frontends/http/security.js';
import { startHttpFrontend } from '../../src/frontends/http/start.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { Redactor } from '../../src/observability/redact.js';
import { sampleServerFactory } from '../fixtures/sample-server-factory.js';
import {
  INIT_BODY,
  MCP_HEADERS,
  openRawSession,
  pingSession,
  READY_UPSTREAMS,
  startTestFrontend,
  waitFor,
} from './helpers.js';

const apps: HttpApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

function makeApp(overrides: Partial<HttpAppDeps> = {}): HttpApp {
  const app = createHttpApp({
    serverFactory: sampleServerFactory(),
    status: () => ({ ready: true, upstreams: READY_UPSTREAMS }),
    allowedHosts: loopbackHostnames(),
    rateLimit: false,
    ...overrides,
  });
  apps.push(app);
  return app;
}

const TOKEN_A = 'tok-alpha-0123456789abcdef';
const TOKEN_B = 'tok-bravo-fedcba9876543210';

describe('health, ready, metrics', () => {
  test('/health answers 200 {status: ok} without a token even when auth is on', async () => {
    const app = makeApp({ auth: { tokens: [TOKEN_A] } });
    const r = await request(app.handler).get('/health');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: 'ok' });
  });

  test('/ready is 503 until the status says ready, then 200 with each upstream', async () => {
    let ready = false;
    const upstreams = [
      ...READY_UPSTREAMS,
      {
        name: 'beta',
        type: 'http',
        state: 'failed',
        tools: 0,
        prompts: 0,
        resources: 0,
        lastError: 'ECONNREFUSED',
        restarts: 2,
        breaker: 'open',
      },
    ];
    const app = makeApp({ status: () => ({ ready, upstreams }) });
    const before = await request(app.handler).get('/ready');
    expect(before.status).toBe(503);
    expect(before.body.status).toBe('starting');
    ready = true;
    const after = await request(app.handler).get('/ready');
    expect(after.status).toBe(200);
    expect(after.body.ready).toBe(true);
    expect(after.body.upstreams.map((u: { name: string }) => u.name)).toEqual(['alpha', 'beta']);
    expect(after.body.upstreams[1]).toMatchObject({ state: 'failed', lastError: 'ECONNREFUSED', breaker: 'open' });
    expect(after.body.upstreams[0]).toMatchObject({ tools: 4, prompts: 1, resources: 1 });
  });

  test('/ready stays 200 while an upstream is degraded; its body says which one and why', async () => {
    const degraded = {
      ...READY_UPSTREAMS[0]!,
      name: 'gamma',
      state: 'degraded',
      lastError: '3 calls in a row failed; last: HTTP 403: Forbidden',
    };
    const app = makeApp({ status: () => ({ ready: true, upstreams: [...READY_UPSTREAMS, degraded] }) });
    const r = await request(app.handler).get('/ready');
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('ready');
    expect(r.body.upstreams[1]).toMatchObject({ name: 'gamma', state: 'degraded', lastError: degraded.lastError });
  });

  test('/metrics serves Prometheus text from the instance registry, including open sessions', async () => {
    const metrics = createMetrics();
    metrics.observeRequest('tools/call', 'alpha', 'ok', 0.0012);
    const app = makeApp({ metrics });
    const r = await request(app.handler).get('/metrics');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toContain('text/plain');
    expect(r.text).toContain('mcp_proxy_requests_total{method="tools/call",upstream="alpha",outcome="ok"} 1');
    expect(r.text).toContain('mcp_proxy_open_sessions{transport="streamable-http"} 0');
    expect(r.text).toContain('mcp_proxy_process_resident_memory_bytes');
  });

  test('unknown paths are 404 with JSON', async () => {
    const r = await request(makeApp().handler).get('/nope');
    expect(r.status).toBe(404);
    expect(r.body.error).toBe('not found');
  });
});

describe('authentication', () => {
  test('without a token /mcp, /ready and /metrics answer 401 with WWW-Authenticate and a JSON body', async () => {
    const app = makeApp({ auth: { tokens: [TOKEN_A] }, metrics: createMetrics() });
    for (const [method, path] of [
      ['post', '/mcp'],
      ['get', '/ready'],
      ['get', '/metrics'],
      ['get', '/sse'],
    ] as const) {
      const r = await request(app.handler)
        [method](path)
        .set(MCP_HEADERS)
        .send(method === 'post' ? INIT_BODY : undefined);
      expect(r.status, path).toBe(401);
      expect(r.headers['www-authenticate']).toBe('Bearer realm="mcp-proxy"');
      expect(r.body.error.message).toContain('Unauthorized');
    }
  });

  test('a wrong token, a wrong scheme and an empty bearer are refused', async () => {
    const app = makeApp({ auth: { tokens: [TOKEN_A] } });
    for (const auth of [`Bearer ${TOKEN_B}`, `Basic ${TOKEN_A}`, 'Bearer ', `Bearer ${TOKEN_A}x`, TOKEN_A]) {
      const r = await request(app.handler).get('/ready').set('authorization', auth);
      expect(r.status, auth).toBe(401);
    }
  });

  test('any of several tokens is accepted, scheme case-insensitively', async () => {
    const app = makeApp({ auth: { tokens: [TOKEN_A, TOKEN_B] } });
    for (const auth of [`Bearer ${TOKEN_A}`, `bearer ${TOKEN_B}`]) {
      const r = await request(app.handler).get('/ready').set('authorization', auth);
      expect(r.status, auth).toBe(200);
    }
    const init = await request(app.handler)
      .post('/mcp')
      .set(MCP_HEADERS)
      .set('authorization', `Bearer ${TOKEN_B}`)
      .send(INIT_BODY);
    expect(init.status).toBe(200);
    expect(init.headers['mcp-session-id']).toBeTruthy();
  });

  test('TokenVerifier: no tokens means open; tokens of different lengths never match each other', () => {
    expect(new TokenVerifier([]).verify(undefined)).toBe(true);
    const v = new TokenVerifier(['short1', 'a-much-longer-token-value']);
    expect(v.verify('Bearer short1')).toBe(true);
    expect(v.verify('Bearer short')).toBe(false);
    expect(v.verify('Bearer a-much-longer-token-value')).toBe(true);
    expect(v.verify(undefined)).toBe(false);
  });

  test('tokens never appear in the logs, whatever the request', async () => {
    let out = '';
    const sink = new Writable({
      write(c, _e, cb) {
        out += c.toString();
        cb();
      },
    });
    const redactor = new Redactor();
    redactor.add(TOKEN_A);
    const logger = createLogger({ level: 'trace', format: 'json', destination: sink, redactor });
    const app = makeApp({ auth: { tokens: [TOKEN_A] }, logger });
    await request(app.handler).post('/mcp').set(MCP_HEADERS).set('authorization', `Bearer ${TOKEN_A}`).send(INIT_BODY);
    await request(app.handler).get('/ready').set('authorization', `Bearer ${TOKEN_A}`);
    await request(app.handler).get('/ready').set('authorization', `Bearer ${TOKEN_A}-wrong`);
    await request(app.handler).get(`/mcp?token=${TOKEN_A}`).set('authorization', `Bearer ${TOKEN_A}`);
    expect(out.length).toBeGreaterThan(0);
    expect(out).not.toContain(TOKEN_A);
    expect(out.toLowerCase()).not.toContain('authorization');
  });
});

describe('Host and Origin validation', () => {
  test('a foreign Host is refused with 403', async () => {
    const app = makeApp();
    const r = await request(app.handler).post('/mcp').set(MCP_HEADERS).set('host', 'evil.example.com').send(INIT_BODY);
    expect(r.status).toBe(403);
    expect(r.body.error.message).toContain('Forbidden');
  });

  test('a foreign Origin is refused with 403; loopback origins pass', async () => {
    const app = makeApp();
    const bad = await request(app.handler)
      .post('/mcp')
      .set(MCP_HEADERS)
      .set('origin', 'http://evil.example.com')
      .send(INIT_BODY);
    expect(bad.status).toBe(403);
    const nul = await request(app.handler).post('/mcp').set(MCP_HEADERS).set('origin', 'null').send(INIT_BODY);
    expect(nul.status).toBe(403);
    const good = await request(app.handler)
      .post('/mcp')
      .set(MCP_HEADERS)
      .set('origin', 'http://localhost:3000')
      .send(INIT_BODY);
    expect(good.status).toBe(200);
    expect(good.headers['access-control-allow-origin']).toBeUndefined();
  });

  test('configured hosts and origins are accepted, and configured origins get CORS exposing Mcp-Session-Id', async () => {
    const app = makeApp({ allowedHosts: ['proxy.internal'], allowedOrigins: ['https://app.example.com'] });
    const pre = await request(app.handler)
      .options('/mcp')
      .set('host', 'proxy.internal:8765')
      .set('origin', 'https://app.example.com')
      .set('access-control-request-method', 'POST');
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(pre.headers['access-control-allow-headers']).toContain('Mcp-Session-Id');
    const r = await request(app.handler)
      .post('/mcp')
      .set(MCP_HEADERS)
      .set('host', 'proxy.internal:8765')
      .set('origin', 'https://app.example.com')
      .send(INIT_BODY);
    expect(r.status).toBe(200);
    expect(r.headers['access-control-expose-headers']).toContain('Mcp-Session-Id');
    const other = await request(app.handler).post('/mcp').set(MCP_HEADERS).set('host', 'localhost').send(INIT_BODY);
    expect(other.status).toBe(403);
  });
});

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

  test('a flood from one client gets 429 with Retry-After', async () => {
    const app = makeApp({ rateLimit: { windowMs: 60_000, max: 3 } });
    const codes: number[] = [];
    let retryAfter: string | undefined;
    for (let i = 0; i < 5; i++) {
      const r = await request(app.handler).get('/ready');
      codes.push(r.status);
      if (r.status === 429) retryAfter = r.headers['retry-after'];
    }
    expect(codes).toEqual([200, 200, 200, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect((await request(app.handler).get('/health')).status).toBe(200);
  });

  test('RateLimiter opens a new window once the old one has passed', () => {
    let t = 0;
    const rl = new RateLimiter(1000, 1, () => t);
    expect(rl.hit('a')).toBeUndefined();
    expect(rl.hit('a')).toBe(1);
    expect(rl.hit('b')).toBeUndefined();
    t = 1000;
    expect(rl.hit('a')).toBeUndefined();
  });
});

describe('binding', () => {
  test('assertSafeBind refuses a non-loopback bind without tokens unless allowed', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1', '127.0.0.2'])
      expect(() => assertSafeBind(host, [])).not.toThrow();
    let err: unknown;
    try {
      assertSafeBind('0.0.0.0', []);
    } catch (e) {
      err = e;
    }
    expect(isAppError(err) && err.code).toBe('HTTP_UNSAFE_BIND');
    expect(isAppError(err) && err.exitCode).toBe(2);
    expect(() => assertSafeBind('0.0.0.0', ['t0ken'])).not.toThrow();
    expect(() => assertSafeBind('192.168.1.5', [], true)).not.toThrow();
  });

  test('startHttpFrontend refuses 0.0.0.0 without a token, and reports a taken port as HTTP_LISTEN', async () => {
    await expect(
      startHttpFrontend({
        host: '0.0.0.0',
        port: 0,
        serverFactory: sampleServerFactory(),
        status: () => ({ ready: true, upstreams: [] }),
      }),
    ).rejects.toMatchObject({ code: 'HTTP_UNSAFE_BIND' });
    const fe = await startTestFrontend();
    try {
      expect(fe.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
      const err = await startTestFrontend({ port: fe.port }).catch((e) => e);
      expect(err.code).toBe('HTTP_LISTEN');
      expect(err.message).toContain(String(fe.port));
    } finally {
      await fe.close();
    }
  });
});

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
