/**
 * What a failed connect to an HTTP upstream says: a real HTTP server that answers every request with one
 * status (or a web page), a real pool connecting to it. The SDK's own message for these is "Error POSTing
 * to endpoint: <body>", empty for most refusals; the status and what it likely means come first here.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { UpstreamPool } from '../../src/upstream/pool.js';
import { until } from '../helpers/wait.js';

const ANSWERS: Record<string, [number, Record<string, string>, string]> = {
  '/401': [401, { 'www-authenticate': 'Bearer realm="mcp"' }, ''],
  '/404': [404, {}, 'Not Found'],
  '/405': [405, { allow: 'GET' }, ''],
  '/page': [200, { 'content-type': 'text/html' }, '<html><body>Welcome</body></html>'],
  '/500': [500, {}, 'database is down'],
};

let server: http.Server;
let base: string;
let pool: UpstreamPool | undefined;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const [status, headers, body] = ANSWERS[req.url ?? ''] ?? [404, {}, ''];
    res.writeHead(status, headers).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});
afterAll(() => new Promise((r) => server.close(r)));

describe('a failed connect to an HTTP upstream', () => {
  it('names the status and what it likely means for the config', async () => {
    const configs = Object.fromEntries(
      Object.keys(ANSWERS).map((p) => [`s${p.slice(1)}`, { type: 'http' as const, url: `${base}${p}` }]),
    );
    pool = new UpstreamPool({
      configs,
      logger: createLogger({ level: 'silent', format: 'json' }),
      env: process.env,
      cwd: process.cwd(),
      onStderrLine: () => {},
    });
    void pool.start();
    const errors = () => Object.fromEntries(Object.keys(configs).map((n) => [n, pool!.get(n)?.lastError]));
    expect(await until(() => Object.values(errors()).every((e) => e !== undefined))).toBe(true);
    expect(errors()).toEqual({
      s401: 'HTTP 401 Unauthorized; the server wants credentials: add "oauth": true and run `mcp-proxy auth login s401`, or send a token in "headers"',
      s404: 'HTTP 404 Not Found; nothing serves MCP at this URL: check its path (often /mcp, or /sse for an SSE server)',
      s405: 'HTTP 405 Method Not Allowed; the server takes no POST here: a server that speaks only SSE needs "type": "sse" (its URL often ends in /sse)',
      spage: 'the server answered with a web page (text/html), not MCP: check the URL (often ending in /mcp or /sse)',
      s500: 'HTTP 500 Internal Server Error: database is down',
    });
  });
});
