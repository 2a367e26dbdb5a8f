/**
 * Connection hygiene with real sockets: a client that trickles its headers or its body is cut off after
 * the header / request timeout, while responses that take long (a slow tool call, the SSE stream) are
 * not; connections beyond the cap are closed as they come.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import type { McpServer } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, test } from 'vitest';
import { CONNECTION_DEFAULTS, type HttpFrontend } from '../../src/frontends/http/start.js';
import { sampleServerFactory } from '../fixtures/sample-server-factory.js';
import { BUNDLE, ECHO, tmpDir, writeConfig } from '../helpers/proxy.js';
import { INIT_BODY, MCP_HEADERS, openRawSession, startTestFrontend } from './helpers.js';

const frontends: HttpFrontend[] = [];
const sockets: Socket[] = [];
const timers: NodeJS.Timeout[] = [];
afterEach(async () => {
  for (const t of timers.splice(0)) clearInterval(t);
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(frontends.splice(0).map((f) => f.close()));
});

const children: ChildProcess[] = [];
afterEach(async () => {
  await Promise.all(
    children.splice(0).map((c) => {
      if (c.exitCode !== null || c.signalCode !== null) return undefined;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      return exited;
    }),
  );
});

async function start(overrides: Parameters<typeof startTestFrontend>[0]): Promise<HttpFrontend> {
  const fe = await startTestFrontend(overrides);
  frontends.push(fe);
  return fe;
}

function open(fe: { port: number }): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(fe.port, '127.0.0.1', () => resolve(s));
    s.on('error', () => {});
    s.once('error', reject);
    sockets.push(s);
  });
}

/** Resolves with the ms until the server closed the socket, or 'open' after `limitMs`. */
function closedWithin(s: Socket, limitMs: number): Promise<number | 'open'> {
  const started = Date.now();
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve('open'), limitMs);
    s.once('close', () => {
      clearTimeout(t);
      resolve(Date.now() - started);
    });
  });
}

/** Writes `text` one byte every `everyMs` (far slower than any timeout under test). */
function trickle(s: Socket, text: string, everyMs = 50): void {
  let i = 0;
  const t = setInterval(() => {
    if (i >= text.length || s.destroyed) return clearInterval(t);
    s.write(text[i++]!);
  }, everyMs);
  timers.push(t);
}

describe('request timeouts', () => {
  test('a body sent slower than requestTimeout is cut off', async () => {
    const fe = await start({ requestTimeoutMs: 600, headersTimeoutMs: 300 });
    const s = await open(fe);
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', pad: 'x'.repeat(400) });
    s.write(
      `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${fe.port}\r\nContent-Type: application/json\r\n` +
        `Accept: application/json, text/event-stream\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    let answer = '';
    s.on('data', (c) => {
      answer += c.toString();
    });
    trickle(s, body);
    const ms = await closedWithin(s, 5_000);
    expect(ms).not.toBe('open');
    expect(ms).toBeGreaterThanOrEqual(500);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  test('headers sent slower than headersTimeout are cut off', async () => {
    const fe = await start({ requestTimeoutMs: 5_000, headersTimeoutMs: 300 });
    const s = await open(fe);
    s.write(`GET /health HTTP/1.1\r\nHost: 127.0.0.1:${fe.port}\r\n`);
    trickle(s, `X-Slow: ${'y'.repeat(200)}\r\n\r\n`);
    const ms = await closedWithin(s, 3_000);
    expect(ms).not.toBe('open');
    expect(ms as number).toBeLessThan(2_000);
  });

  test('a tool call and an SSE stream that outlast requestTimeout are not cut', async () => {
    const sample = sampleServerFactory();
    let last: McpServer | undefined;
    const fe = await start({
      requestTimeoutMs: 300,
      headersTimeoutMs: 200,
      keepAliveMs: 0,
      serverFactory: (ctx) => {
        const server = sample(ctx) as McpServer;
        last = server;
        server.registerTool('sleep', { description: 'Answers after 1 s' }, async () => {
          await new Promise((r) => setTimeout(r, 1_000));
          return { content: [{ type: 'text', text: 'awake' }] };
        });
        return server;
      },
    });
    const id = await openRawSession(fe.url);
    const headers = { ...MCP_HEADERS, 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' };
    const abort = new AbortController();
    const stream = await fetch(fe.url, {
      headers: { ...headers, accept: 'text/event-stream' },
      signal: abort.signal,
    });
    expect(stream.status).toBe(200);
    const call = await fetch(fe.url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'sleep', arguments: {} } }),
    });
    expect(call.status).toBe(200);
    expect(await call.text()).toContain('awake');
    // The stream, open for over 1 s, still delivers: a list change reaches it.
    last!.sendToolListChanged();
    const reader = stream.body!.getReader();
    let text = '';
    while (!text.includes('notifications/tools/list_changed')) {
      const { done, value } = await reader.read();
      expect(done).toBe(false);
      text += new TextDecoder().decode(value);
    }
    abort.abort();
  });

  test('defaults: 30 s for a request, 10 s for headers', () => {
    expect(CONNECTION_DEFAULTS).toMatchObject({ requestTimeoutMs: 30_000, headersTimeoutMs: 10_000 });
  });
});

describe('connection cap', () => {
  test('connections beyond maxConnections are closed; once one closes a new one is served', async () => {
    const fe = await start({ maxConnections: 2 });
    const a = await open(fe);
    await open(fe);
    const third = await open(fe);
    expect(await closedWithin(third, 2_000)).not.toBe('open');
    a.destroy();
    await new Promise((r) => setTimeout(r, 50));
    const r = await fetch(`${fe.baseUrl}/health`);
    expect(r.status).toBe(200);
  });
});

test('proxy.http settings in the config reach the built proxy: requestTimeout, maxSessionsPerClient', async () => {
  const dir = tmpDir('mcp-proxy-connections-');
  const config = writeConfig(dir, {
    mcpServers: { echo: { command: process.execPath, args: [ECHO] } },
    proxy: { http: { requestTimeout: 600, headersTimeout: 300, maxSessionsPerClient: 1 } },
  });
  const child = spawn(process.execPath, [BUNDLE, 'run', '--transport', 'http', '--port', '0', '--config', config], {
    env: { PATH: process.env.PATH ?? '', HOME: dir },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (c: string) => {
      stderr += c;
      const m = /listening on (http:\/\/\S+\/mcp)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`proxy exited ${code}: ${stderr}`)));
  });
  const port = Number(new URL(url).port);
  await openRawSession(url);
  const second = await fetch(url, { method: 'POST', headers: MCP_HEADERS, body: JSON.stringify(INIT_BODY) });
  expect(second.status).toBe(429);
  const s = await open({ port });
  s.write(
    `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n`,
  );
  trickle(s, 'x'.repeat(100));
  expect(await closedWithin(s, 5_000)).not.toBe('open');
}, 30_000);
