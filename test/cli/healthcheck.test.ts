import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healthcheckCommand } from '../../src/cli/commands/healthcheck.js';
import { runCli } from '../../src/cli/createCli.js';
import { makeContext } from '../helpers/cli.js';

function context(env: NodeJS.ProcessEnv = {}) {
  const t = makeContext({ home: '/nonexistent', cwd: process.cwd(), platform: process.platform, env, entry: '' });
  return { ctx: t.ctx, out: t.stdout, err: t.stderr };
}

describe('healthcheck command', () => {
  let server: http.Server;
  let port: number;
  const seen: Array<{ url?: string; auth?: string }> = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push({ url: req.url, auth: req.headers.authorization });
      if (req.url === '/health') return res.end('{"status":"ok"}');
      if (req.url === '/ready') {
        res.statusCode = req.headers.authorization === 'Bearer t0k' ? 503 : 401;
        return res.end('{"status":"starting"}');
      }
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('exits 0 when /health answers 200', async () => {
    const t = context();
    expect(await runCli(['healthcheck', '--port', String(port)], t.ctx, [healthcheckCommand])).toBe(0);
    expect(t.out()).toBe(`healthy: http://127.0.0.1:${port}/health {"status":"ok"}\n`);
  });

  it('exits 1 on a non-200 answer; --ready sends the token from MCP_PROXY_TOKEN', async () => {
    const t = context({ MCP_PROXY_TOKEN: 't0k, other' });
    expect(await runCli(['healthcheck', '--port', String(port), '--ready'], t.ctx, [healthcheckCommand])).toBe(1);
    expect(seen.at(-1)).toEqual({ url: '/ready', auth: 'Bearer t0k' });
    expect(t.err()).toContain('answered 503');
  });

  it('exits 1 and says why when nothing listens', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const free = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const t = context();
    expect(await runCli(['healthcheck', '--url', `http://127.0.0.1:${free}/health`], t.ctx, [healthcheckCommand])).toBe(
      1,
    );
    expect(t.err()).toBe(`unhealthy: http://127.0.0.1:${free}/health (ECONNREFUSED)\n`);
  });
});
