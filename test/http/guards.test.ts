import { Writable } from 'node:stream';
import request from 'supertest';
import { afterEach, describe, expect, test } from 'vitest';
import { RateLimiter, TokenVerifier } from '../../src/frontends/http/security.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/prometheus.js';
import { Redactor } from '../../src/observability/redact.js';
import { closeTestApps, INIT_BODY, MCP_HEADERS, makeTestApp as makeApp } from './helpers.js';

afterEach(closeTestApps);

const TOKEN_A = 'tok-alpha-0123456789abcdef';
const TOKEN_B = 'tok-bravo-fedcba9876543210';

describe('authentication', () => {
  test('without a token /mcp, /metrics and /sse answer 401 with WWW-Authenticate and a JSON body', async () => {
    const app = makeApp({ auth: { tokens: [TOKEN_A] }, metrics: createMetrics() });
    // /ready answers probes without a token, with its status alone (test/http/drain.test.ts).
    for (const [method, path] of [
      ['post', '/mcp'],
      ['get', '/metrics'],
      ['get', '/sse'],
    ] as const) {
      const r = await request(app.handler)
        [method](path)
        .set(MCP_HEADERS)
        .send(method === 'post' ? INIT_BODY : undefined);
      expect(r.status, path).toBe(401);
      // RFC 9728: the challenge names the protected resource metadata document.
      expect(r.headers['www-authenticate']).toMatch(
        /^Bearer realm="mcp-proxy", resource_metadata="http:\/\/127\.0\.0\.1(:\d+)?\/\.well-known\/oauth-protected-resource\/mcp"$/,
      );
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
  test('a Host that passed once does not let another through, however many hosts came before', async () => {
    const app = makeApp({ allowedHosts: ['proxy.internal'] });
    // A 404 means the request got past the Host check; 403 means it did not.
    const status = async (host: string) => (await request(app.handler).get('/nowhere').set('host', host)).status;
    expect(await status('evil.example.com')).toBe(403);
    expect(await status('proxy.internal')).toBe(404);
    expect(await status('evil.example.com')).toBe(403);
    for (let port = 1; port <= 150; port++) expect(await status(`proxy.internal:${port}`)).toBe(404);
    expect(await status('proxy.internal:1')).toBe(404);
    expect(await status('evil.example.com')).toBe(403);
    expect(await status('proxy.internal.evil.example.com')).toBe(403);
    expect(await status('localhost')).toBe(403);
  });
});

describe('rate limit', () => {
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
