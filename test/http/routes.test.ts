import type { IncomingMessage } from 'node:http';
import request from 'supertest';
import { afterEach, describe, expect, test } from 'vitest';
import { requestTarget } from '../../src/frontends/http/routes.js';
import { createMetrics } from '../../src/observability/prometheus.js';
import { closeTestApps, makeTestApp as makeApp, READY_UPSTREAMS } from './helpers.js';

afterEach(closeTestApps);

const TOKEN_A = 'tok-alpha-0123456789abcdef';

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

describe('requestTarget', () => {
  /** What a URL parser makes of a request target: the path (trailing slashes off, '/' kept) and the query. */
  const byUrl = (raw: string) => {
    const u = new URL(raw, 'http://localhost');
    return { path: u.pathname.length > 1 ? u.pathname.replace(/\/+$/, '') : u.pathname, search: u.search };
  };
  const targets = [
    '/',
    '/mcp',
    '/mcp/',
    '/mcp///',
    '/MCP',
    '/api/v1/keys',
    '/api/v1/keys/',
    '/ui/app-1_x',
    '/mcp?profile=dev',
    '/mcp/?profile=dev',
    '/messages?sessionId=abc',
    '/mcp?',
    '/mcp#frag',
    '/a/../mcp',
    '/./mcp',
    '/mcp/.',
    '/%6dcp',
    '/m%20cp',
    '//mcp',
    '//evil.example/mcp',
    '/a//b',
    '\\mcp',
    '/mcp\\x',
    'http://other.example/mcp',
    '/.well-known/oauth-protected-resource/mcp',
    '/ünï',
  ];

  test.each(targets)('%s: the same path and query a URL parser finds', (raw) => {
    const t = requestTarget({ url: raw } as IncomingMessage);
    const want = byUrl(raw);
    expect(t.path).toBe(want.path);
    expect(t.hasQuery).toBe(want.search !== '');
    expect(t.url().href).toBe(new URL(raw, 'http://localhost').href);
  });

  test('a request without a url is "/"', () => {
    const t = requestTarget({} as IncomingMessage);
    expect(t.path).toBe('/');
    expect(t.hasQuery).toBe(false);
  });
});
