/**
 * 2025-era sessions (Streamable HTTP and legacy SSE) over real HTTP: a refused request keeps no session
 * slot, one client address cannot take every slot, a session answers only the credential that opened it
 * (anyone else gets the unknown-session 404), and session ids never reach the log.
 */
import { request as httpRequest } from 'node:http';
import { Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { TokenVerifier } from '../../src/frontends/http/security.js';
import { createLogger } from '../../src/observability/logger.js';
import { sampleServerFactory } from '../fixtures/sample-server-factory.js';
import { INIT_BODY, MCP_HEADERS, openRawSession, startTestFrontend, waitFor } from './helpers.js';

const TOKEN_A = 'sessions-alpha-0123456789abcdef';
const TOKEN_B = 'sessions-bravo-fedcba9876543210';
const A = { authorization: `Bearer ${TOKEN_A}` };
const B = { authorization: `Bearer ${TOKEN_B}` };

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request with node:http, optionally from another local address (127.0.0.2 is loopback on Linux too). */
function raw(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string; localAddress?: string } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: opts.method ?? 'POST', headers: opts.headers, localAddress: opts.localAddress, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const initialize = (url: string, headers: Record<string, string> = {}, localAddress?: string) =>
  raw(url, { headers: { ...MCP_HEADERS, ...headers }, body: JSON.stringify(INIT_BODY), localAddress });

const sessionHeaders = (id: string, auth: Record<string, string>) => ({
  ...MCP_HEADERS,
  ...auth,
  'mcp-session-id': id,
  'mcp-protocol-version': '2025-11-25',
});

const PING = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'ping' });

describe('a refused request keeps no session', () => {
  test('initialize refused for Accept, content type, bad JSON, size, protocol version or token: no slot is kept', async () => {
    const fe = await startTestFrontend({ maxSessions: 3, maxBodyBytes: 2000, auth: { tokens: [TOKEN_A] } });
    try {
      const body = JSON.stringify(INIT_BODY);
      const refusals: [string, Promise<RawAnswer>, number][] = [];
      for (let i = 0; i < 20; i++) {
        const accept = i % 2 ? 'application/json' : 'text/event-stream';
        refusals.push(['accept', raw(fe.url, { headers: { ...MCP_HEADERS, ...A, accept }, body }), 406]);
      }
      refusals.push(['no accept', raw(fe.url, { headers: { 'content-type': 'application/json', ...A }, body }), 406]);
      refusals.push([
        'content type',
        raw(fe.url, { headers: { ...MCP_HEADERS, ...A, 'content-type': 'text/plain' }, body }),
        415,
      ]);
      refusals.push(['bad json', raw(fe.url, { headers: { ...MCP_HEADERS, ...A }, body: '{"jsonrpc":' }), 400]);
      const padded = { ...INIT_BODY, params: { ...INIT_BODY.params, pad: 'x'.repeat(3000) } };
      refusals.push([
        'too large',
        raw(fe.url, { headers: { ...MCP_HEADERS, ...A }, body: JSON.stringify(padded) }),
        413,
      ]);
      refusals.push([
        'protocol version',
        raw(fe.url, { headers: { ...MCP_HEADERS, ...A, 'mcp-protocol-version': '2099-01-01' }, body }),
        400,
      ]);
      refusals.push(['no token', raw(fe.url, { headers: MCP_HEADERS, body }), 401]);
      refusals.push(['wrong token', raw(fe.url, { headers: { ...MCP_HEADERS, ...B }, body }), 401]);
      for (const [what, answer, status] of refusals) {
        const r = await answer;
        expect({ what, status: r.status }).toEqual({ what, status });
        expect(r.headers['mcp-session-id']).toBeUndefined();
      }
      expect(fe.app.sessionCount()).toBe(0);
      // Every slot is still free.
      for (let i = 0; i < 3; i++) expect((await initialize(fe.url, A)).status).toBe(200);
      expect(fe.app.sessionCount()).toBe(3);
    } finally {
      await fe.close();
    }
  });

  test('a client that goes away before its initialize is answered keeps no slot', async () => {
    const sample = sampleServerFactory();
    let created = 0;
    let built = false;
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const fe = await startTestFrontend({
      serverFactory: async (ctx) => {
        created++;
        await gate; // the session's Server is built only after the client has gone
        built = true;
        return sample(ctx);
      },
    });
    try {
      const abort = new AbortController();
      const pending = fetch(fe.url, {
        method: 'POST',
        headers: MCP_HEADERS,
        body: JSON.stringify(INIT_BODY),
        signal: abort.signal,
      }).catch(() => undefined);
      expect(await waitFor(() => created === 1)).toBe(true);
      abort.abort();
      await pending;
      await new Promise((r) => setTimeout(r, 200));
      release();
      expect(await waitFor(() => built)).toBe(true);
      expect(await waitFor(() => fe.app.sessionCount() === 0)).toBe(true);
    } finally {
      release();
      await fe.close();
    }
  });
});

describe('open sessions per client address', () => {
  test('one address cannot take every slot; another address still gets one; a closed session frees its slot', async () => {
    const fe = await startTestFrontend({ maxSessionsPerClient: 2 });
    try {
      const first = await openRawSession(fe.url);
      await openRawSession(fe.url);
      const third = await initialize(fe.url);
      expect(third.status).toBe(429);
      expect(third.headers['retry-after']).toBeDefined();
      expect(JSON.parse(third.body).error.message).toContain('proxy.http.maxSessionsPerClient');
      const sse = await raw(`${fe.baseUrl}/sse`, { method: 'GET', headers: { accept: 'text/event-stream' } });
      expect(sse.status).toBe(429);
      // The same limit, another address: served.
      const other = await initialize(fe.url, {}, '127.0.0.2');
      expect(other.status).toBe(200);
      expect(fe.app.sessionCount()).toBe(3);
      const del = await raw(fe.url, { method: 'DELETE', headers: sessionHeaders(first, {}) });
      expect(del.status).toBe(200);
      expect(await waitFor(() => fe.app.sessionCount() === 2)).toBe(true);
      expect((await initialize(fe.url)).status).toBe(200);
    } finally {
      await fe.close();
    }
  });
});

describe('a session is bound to the credential that opened it', () => {
  test('TokenVerifier.identify: one stable identity per token, a fingerprint that is not the token', () => {
    const v = new TokenVerifier([TOKEN_A, TOKEN_B]);
    const a = v.identify(`Bearer ${TOKEN_A}`)!;
    const b = v.identify(`Bearer ${TOKEN_B}`)!;
    expect(a.kind).toBe('token');
    expect(a).toEqual(v.identify(`Bearer ${TOKEN_A}`));
    expect(a.id).not.toBe(b.id);
    expect(a.id).not.toContain(TOKEN_A);
    expect(v.identify(`Bearer ${TOKEN_A}x`)).toBeUndefined();
    // A fingerprint is keyed per process (per verifier): it is no offline-checkable hash of the token.
    expect(new TokenVerifier([TOKEN_A]).identify(`Bearer ${TOKEN_A}`)!.id).not.toBe(a.id);
    expect(new TokenVerifier([]).identify(undefined)).toEqual({ id: 'anonymous', kind: 'anonymous', roles: [] });
  });

  test('Streamable HTTP: another token cannot POST to, stream from or DELETE it; it answers as unknown', async () => {
    const fe = await startTestFrontend({ auth: { tokens: [TOKEN_A, TOKEN_B] } });
    try {
      const id = await openRawSession(fe.url, A);
      const unknown = await raw(fe.url, { headers: sessionHeaders(crypto.randomUUID(), B), body: PING });
      expect(unknown.status).toBe(404);

      const post = await raw(fe.url, { headers: sessionHeaders(id, B), body: PING });
      expect({ status: post.status, body: post.body }).toEqual({ status: 404, body: unknown.body });
      const get = await raw(fe.url, { method: 'GET', headers: sessionHeaders(id, B) });
      expect({ status: get.status, body: get.body }).toEqual({ status: 404, body: unknown.body });
      const del = await raw(fe.url, { method: 'DELETE', headers: sessionHeaders(id, B) });
      expect({ status: del.status, body: del.body }).toEqual({ status: 404, body: unknown.body });

      // The owner is unaffected.
      expect(fe.app.sessionCount()).toBe(1);
      const mine = await raw(fe.url, { headers: sessionHeaders(id, A), body: PING });
      expect(mine.status).toBe(200);
      expect(JSON.parse(mine.body)).toMatchObject({ id: 7, result: {} });
      // B's own session works alongside.
      const theirs = await openRawSession(fe.url, B);
      expect((await raw(fe.url, { headers: sessionHeaders(theirs, B), body: PING })).status).toBe(200);
    } finally {
      await fe.close();
    }
  });

  test('legacy SSE: another token cannot post to the session; the owner can', async () => {
    const fe = await startTestFrontend({ auth: { tokens: [TOKEN_A, TOKEN_B] } });
    const abort = new AbortController();
    try {
      const stream = await fetch(`${fe.baseUrl}/sse`, {
        headers: { accept: 'text/event-stream', ...A },
        signal: abort.signal,
      });
      expect(stream.status).toBe(200);
      const reader = stream.body!.getReader();
      let text = '';
      while (!/data: (\S+)\n/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
      const endpoint = /data: (\S+)\n/.exec(text)![1]!;
      const post = (path: string, auth: Record<string, string>) =>
        raw(`${fe.baseUrl}${path}`, { headers: { 'content-type': 'application/json', ...auth }, body: PING });

      const unknown = await post(`/messages?sessionId=${crypto.randomUUID()}`, B);
      expect(unknown.status).toBe(404);
      const other = await post(endpoint, B);
      expect({ status: other.status, body: other.body }).toEqual({ status: 404, body: unknown.body });
      expect((await post(endpoint, A)).status).toBe(202);
    } finally {
      abort.abort();
      await fe.close();
    }
  });
});

test('session ids never reach the log, at trace level', async () => {
  let out = '';
  const sink = new Writable({
    write(c, _e, cb) {
      out += c.toString();
      cb();
    },
  });
  const logger = createLogger({ level: 'trace', format: 'json', destination: sink });
  const fe = await startTestFrontend({ logger });
  const abort = new AbortController();
  try {
    const id = await openRawSession(fe.url);
    await raw(fe.url, { headers: sessionHeaders(id, {}), body: PING });
    await raw(fe.url, { method: 'DELETE', headers: sessionHeaders(id, {}) });
    const stream = await fetch(`${fe.baseUrl}/sse`, { headers: { accept: 'text/event-stream' }, signal: abort.signal });
    const reader = stream.body!.getReader();
    let text = '';
    while (!/sessionId=(\S+)\n/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    const sseId = /sessionId=(\S+)\n/.exec(text)![1]!;
    await raw(`${fe.baseUrl}/messages?sessionId=${sseId}`, {
      headers: { 'content-type': 'application/json' },
      body: PING,
    });
    abort.abort();
    expect(await waitFor(() => fe.app.sessionCount() === 0)).toBe(true);
    expect(out).toContain('session closed');
    expect(out).not.toContain(id);
    expect(out).not.toContain(sseId);
  } finally {
    abort.abort();
    await fe.close();
  }
});
