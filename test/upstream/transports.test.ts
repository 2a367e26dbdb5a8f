/**
 * The HTTP+SSE transport to a server that wants an OAuth login and a configured header as well: the
 * bearer token and the header both travel on the event stream and on every POST. Real parts: the
 * v1 SDK's SSE server checking the JWT (oidc-provider issued it) and the header, the real pool.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { UpstreamConfig } from '../../src/config/schema.js';
import { createLogger } from '../../src/observability/logger.js';
import { Redactor } from '../../src/observability/redact.js';
import { browserLogin } from '../../src/upstream/oauth/login.js';
import { OAuthRuntime } from '../../src/upstream/oauth/runtime.js';
import { TokenStore } from '../../src/upstream/oauth/tokenStore.js';
import { UpstreamPool } from '../../src/upstream/pool.js';
import { tempDir } from '../helpers/files.js';
import {
  type AuthServer,
  browse,
  type ProtectedServer,
  startAuthServer,
  startProtectedServer,
} from '../helpers/oauth.js';
import { ECHO } from '../helpers/paths.js';

const HEADER: [string, string] = ['x-team-key', 'blue-team-key'];
const tmp = tempDir('mcp-sse-oauth-');
let as: AuthServer;
let sse: ProtectedServer;
let pool: UpstreamPool | undefined;

beforeAll(async () => {
  as = await startAuthServer();
  sse = await startProtectedServer(as.issuer, { transport: 'sse', header: HEADER });
});
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});
afterAll(async () => {
  await sse?.close();
  await as?.close();
  tmp.cleanup();
});

function startPool(config: UpstreamConfig, store: TokenStore): UpstreamPool {
  const logger = createLogger({ level: 'silent', format: 'json' });
  const redactor = new Redactor();
  const runtime = new OAuthRuntime({
    store,
    logger,
    register: (s) => redactor.add(s),
    loginCommand: (s) => `mcp-proxy auth login ${s}`,
  });
  pool = new UpstreamPool({
    configs: { remote: config },
    logger,
    env: process.env,
    cwd: process.cwd(),
    onStderrLine: () => {},
    auth: (name, c) => runtime.authFor(name, c),
    redact: (t) => redactor.redact(t),
  });
  return pool;
}

describe('sse transport', () => {
  it('sends the bearer token and the configured header on the event stream and on the POSTs', async () => {
    const store = new TokenStore({ dir: path.join(tmp.dir, 'oauth') });
    const headers = { [HEADER[0]]: HEADER[1] };
    // The login's first request carries the header too (without it the server answers 403, not 401).
    const login = await browserLogin({
      server: 'remote',
      url: sse.url,
      oauth: true,
      headers,
      transport: 'sse',
      store,
      openUrl: async (u) => {
        await browse(u.href, u.searchParams.get('redirect_uri') as string);
      },
    });
    const token = login.tokens?.access_token as string;
    expect(sse.streams).toEqual(['']);

    const p = startPool({ type: 'sse', url: sse.url, headers, oauth: true }, store);
    await p.start();
    expect(p.get('remote')?.lastError).toBeUndefined();
    expect(p.get('remote')?.state).toBe('ready');
    expect(sse.streams.at(-1)).toBe(token);
    const conn = p.get('remote');
    if (!conn) throw new Error('no connection');
    const r = await conn.call((c) => c.callTool({ name: 'whoami', arguments: {} }), { method: 'tools/call' });
    expect((r.content as { text: string }[])[0].text).toBe(`alice at ${sse.url}`);
    expect(sse.presented.at(-1)).toBe(token);
  });

  it('without a login the event stream is never opened with a token and the server needs a login', async () => {
    const store = new TokenStore({ dir: path.join(tmp.dir, 'empty', 'oauth') });
    const seen = sse.streams.length;
    const p = startPool({ type: 'sse', url: sse.url, headers: { [HEADER[0]]: HEADER[1] }, oauth: true }, store);
    await p.start();
    // Permanent (no retry with backoff): the login's own error, not the event source's rewording of it.
    expect(p.get('remote')?.state).toBe('needs-login');
    expect(p.get('remote')?.lastError).toBe('needs login: not logged in; run `mcp-proxy auth login remote`');
    expect(sse.streams.length).toBe(seen);
  });
});

describe('stdio transport', () => {
  it('a working directory that does not exist fails the server as such, not as a missing command, and is not retried', async () => {
    const logger = createLogger({ level: 'silent', format: 'json' });
    const cwd = path.join(tmp.dir, '~', 'servers');
    pool = new UpstreamPool({
      configs: { here: { type: 'stdio', command: process.execPath, args: ['-e', '0'], cwd: '~/servers' } },
      logger,
      env: process.env,
      cwd: tmp.dir,
      onStderrLine: () => {},
    });
    await pool.start();
    const conn = pool.get('here')!;
    expect(conn.state).toBe('failed');
    expect(conn.lastError).toBe(
      `working directory not found: ${cwd}; mcpServers.here.cwd must name an existing directory; "~" is expanded only by a shell: write \${HOME}/... or the absolute path`,
    );
  });
});

describe('stdio command lookup', () => {
  it('a command the short PATH of a GUI client misses is found in the usual directories and started from there', async () => {
    const home = path.join(tmp.dir, 'home');
    const bin = path.join(home, '.local', 'bin');
    fs.mkdirSync(bin, { recursive: true });
    // What `uv tool install` or `pipx` leave in ~/.local/bin: a launcher found by name only.
    const script = path.join(bin, 'my-echo-server');
    fs.writeFileSync(script, `#!/bin/sh\nexec "${process.execPath}" "${ECHO}" "$@"\n`, { mode: 0o755 });
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      format: 'json',
      tap: (l) => lines.push(l),
      destination: { write: (_l: string, cb: () => void) => cb() } as never,
    });
    pool = new UpstreamPool({
      configs: { echo: { type: 'stdio', command: 'my-echo-server' } },
      logger,
      env: { PATH: '/usr/bin:/bin', HOME: home },
      cwd: tmp.dir,
      onStderrLine: () => {},
    });
    await pool.start();
    expect(pool.get('echo')!.state).toBe('ready');
    expect(lines.join('\n')).toContain(`found in ${bin}, which is added to the server's PATH`);
  });
});
