/**
 * UpstreamConnection in process: real SDK servers over the SDK's in-memory transport (through the
 * connection's openTransport port) and a fake clock, for the connect, restart, give-up, breaker and
 * shutdown paths.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UpstreamConnection } from '../../src/upstream/connection.js';
import { InMemoryUpstream, memoryConnection } from '../helpers/inMemoryUpstream.js';

let conn: UpstreamConnection | undefined;
let upstream: InMemoryUpstream;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  upstream = new InMemoryUpstream();
});
afterEach(async () => {
  vi.useRealTimers();
  await conn?.close();
  conn = undefined;
});

function connect(overrides: Parameters<typeof memoryConnection>[1] = {}) {
  conn = new UpstreamConnection(memoryConnection(upstream, overrides));
  return conn;
}

const echo = (c: UpstreamConnection, text: string) =>
  c
    .call((client) => client.callTool({ name: 'echo', arguments: { text } }) as Promise<any>)
    .then((r) => r.content[0].text as string);

describe('connecting', () => {
  it('lists the catalog and serves calls once ready', async () => {
    const c = connect();
    await c.start();
    expect(c.state).toBe('ready');
    expect(c.catalog.tools.map((t) => t.name).sort()).toEqual(['echo', 'hang']);
    expect(c.status()).toMatchObject({ state: 'ready', tools: 2, restarts: 0, breaker: 'closed' });
    expect(await echo(c, 'hi')).toBe('hi');
  });

  it('a call made while connecting waits for the connect', async () => {
    const c = connect();
    void c.start();
    expect(c.state).toBe('connecting');
    expect(await echo(c, 'waited')).toBe('waited');
  });
});

describe('restarts', () => {
  it('restarts a process upstream that exits: the first time quickly, then with backoff', async () => {
    const c = connect();
    await c.start();
    await upstream.crash();
    expect(c.state).toBe('restarting');
    expect(c.status().restarts).toBe(1);
    await expect(echo(c, 'x')).rejects.toThrow(/is restarting/);
    await vi.advanceTimersByTimeAsync(100);
    expect(c.state).toBe('ready');
    expect(upstream.opens).toBe(2);

    await upstream.crash();
    const next = Date.parse(c.status().nextRetryAt!) - Date.now();
    // Second exit within the window: backoff between half and all of initialDelay * 2^0.
    expect(next).toBeGreaterThanOrEqual(50);
    expect(next).toBeLessThanOrEqual(100);
    await vi.advanceTimersByTimeAsync(next);
    expect(c.state).toBe('ready');
    expect(await echo(c, 'back')).toBe('back');
  });

  it('a crash loop ends in failed with the reason, and nothing is retried after', async () => {
    const c = connect();
    await c.start();
    for (let i = 0; i < 3; i++) {
      await upstream.crash();
      expect(c.state).toBe('restarting');
      await vi.advanceTimersByTimeAsync(1000);
      expect(c.state).toBe('ready');
    }
    await upstream.crash();
    expect(c.state).toBe('failed');
    expect(c.lastError).toMatch(/stopped after 4 failures within 10s \(proxy.retry.maxRestarts is 3\)/);
    expect(c.catalog.tools).toEqual([]);
    const opens = upstream.opens;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(upstream.opens).toBe(opens);
  });

  it('an HTTP upstream that keeps going away is reconnected, never given up on', async () => {
    const c = connect({ type: 'http' });
    await c.start();
    for (let i = 0; i < 10; i++) {
      await upstream.crash();
      expect(c.state).toBe('retrying');
      await vi.advanceTimersByTimeAsync(1000);
      expect(c.state).toBe('ready');
    }
    expect(c.status().restarts).toBe(10);
  });
});

describe('a server that never answers', () => {
  it('ends in failed after maxRestarts + 1 timed-out attempts in a row, though each outlasts the window', async () => {
    upstream.mode = 'hang';
    // Each attempt (1 s) is longer than the restart window: only the timeout streak can stop it.
    const c = connect({
      retry: { initialDelay: 100, maxDelay: 200, maxAttempts: 0, maxRestarts: 3, restartWindow: 500 },
    });
    void c.start();
    for (let i = 0; i < 20 && c.state !== 'failed'; i++) await vi.advanceTimersByTimeAsync(1000);
    expect(c.state).toBe('failed');
    expect(upstream.opens).toBe(4);
    expect(c.lastError).toMatch(
      /never answered within connectTimeout \(1000 ms\): stopped after 4 attempts in a row timed out/,
    );
    expect(upstream.closed).toBe(4);
  });

  it('a server that answers again in time resets the streak', async () => {
    upstream.mode = 'hang';
    const c = connect({
      retry: { initialDelay: 100, maxDelay: 200, maxAttempts: 0, maxRestarts: 3, restartWindow: 500 },
    });
    void c.start();
    while (upstream.opens < 3) await vi.advanceTimersByTimeAsync(100);
    upstream.mode = 'ok';
    for (let i = 0; i < 20 && c.state !== 'ready'; i++) await vi.advanceTimersByTimeAsync(500);
    expect(c.state).toBe('ready');
    // A new streak after a successful connect starts from zero: three more timeouts are retried.
    upstream.mode = 'hang';
    await upstream.crash();
    while (upstream.opens < 7) await vi.advanceTimersByTimeAsync(100);
    expect(c.state).not.toBe('failed');
  });
});

describe('closing', () => {
  it('close() abandons a connect in progress at once instead of waiting for its timeout', async () => {
    vi.useRealTimers();
    upstream.mode = 'hang';
    const c = connect({ connectTimeout: 60_000 });
    const first = c.start();
    await new Promise((r) => setTimeout(r, 10));
    const started = Date.now();
    await c.close();
    await first;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(c.state).toBe('closed');
    expect(upstream.closed).toBe(1);
  });

  it('close() aborts the HTTP request of a connect in progress', async () => {
    vi.useRealTimers();
    const held = new Set<http.ServerResponse>();
    let aborted = 0;
    // Accepts every request and never answers it.
    const server = http.createServer((req, res) => {
      held.add(res);
      req.on('close', () => aborted++);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const opts = memoryConnection(upstream, { type: 'http', connectTimeout: 60_000 });
      conn = new UpstreamConnection({
        ...opts,
        config: { type: 'http', url: `http://127.0.0.1:${port}/mcp` },
        openTransport: undefined,
      });
      const first = conn.start();
      while (held.size === 0) await new Promise((r) => setTimeout(r, 5));
      const started = Date.now();
      await conn.close();
      await first;
      expect(Date.now() - started).toBeLessThan(1000);
      for (let i = 0; i < 100 && aborted === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(aborted).toBe(held.size);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('the circuit breaker', () => {
  it('opens after failureThreshold timeouts, fails fast, and closes after a successful probe', async () => {
    const c = connect();
    await c.start();
    const hang = () => c.call((client) => client.callTool({ name: 'hang', arguments: {} }, { timeout: 200 }));
    for (let i = 0; i < 3; i++) {
      const call = expect(hang()).rejects.toThrow(/timed out/i);
      await vi.advanceTimersByTimeAsync(200);
      await call;
    }
    expect(c.status()).toMatchObject({ breaker: 'open', state: 'degraded' });
    expect(c.lastError).toMatch(/3 calls in a row failed/);
    await expect(echo(c, 'x')).rejects.toThrow(/circuit breaker open after 3 consecutive failures/);
    await vi.advanceTimersByTimeAsync(5000);
    expect(await echo(c, 'probe')).toBe('probe');
    expect(c.status()).toMatchObject({ breaker: 'closed', state: 'ready' });
    expect(c.lastError).toBeUndefined();
  });
});
