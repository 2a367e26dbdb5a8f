/**
 * OAuth to upstreams with real parts: oidc-provider as the authorization server, SDK MCP servers that
 * check the bearer token (signature, issuer, audience), the browser step driven by following redirects
 * and posting oidc-provider's login and consent forms; the proxy side is the real pool and transports.
 */
import fs from 'node:fs';
import path from 'node:path';
import { OAuthError, refreshAuthorization } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { UpstreamConfig } from '../../../src/config/schema.js';
import { createLogger } from '../../../src/observability/logger.js';
import { Redactor } from '../../../src/observability/redact.js';
import { deviceLogin } from '../../../src/upstream/oauth/deviceGrant.js';
import { browserLogin } from '../../../src/upstream/oauth/login.js';
import type { OAuthConfig } from '../../../src/upstream/oauth/loginCommon.js';
import { OAuthRuntime } from '../../../src/upstream/oauth/runtime.js';
import { TokenStore } from '../../../src/upstream/oauth/tokenStore.js';
import { UpstreamPool } from '../../../src/upstream/pool.js';
import { tempDir } from '../../helpers/files.js';
import {
  type AuthServer,
  browse,
  type ProtectedServer,
  startAuthServer,
  startProtectedServer,
} from '../../helpers/oauth.js';
import { waitFor } from '../../helpers/wait.js';

const tmp = tempDir('mcp-oauth-');
afterAll(() => tmp.cleanup());
let n = 0;
const pools: UpstreamPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

function freshStore(): TokenStore {
  return new TokenStore({ dir: path.join(tmp.dir, `creds-${++n}`, 'oauth') });
}

function login(server: string, url: string, store: TokenStore, oauth: OAuthConfig = true) {
  return browserLogin({
    server,
    url,
    oauth,
    store,
    openUrl: async (u) => {
      await browse(u.href, u.searchParams.get('redirect_uri') as string);
    },
  });
}

function startPool(servers: Record<string, string>, store: TokenStore, redactor = new Redactor()) {
  const runtime = new OAuthRuntime({
    store,
    logger: createLogger({ level: 'silent', format: 'json' }),
    register: (s) => redactor.add(s),
    loginCommand: (s) => `mcp-proxy auth login ${s}`,
  });
  const configs: Record<string, UpstreamConfig> = {};
  for (const [name, url] of Object.entries(servers)) configs[name] = { type: 'http', url, oauth: true };
  const pool = new UpstreamPool({
    configs,
    logger: createLogger({ level: 'silent', format: 'json' }),
    env: process.env,
    cwd: process.cwd(),
    onStderrLine: () => {},
    auth: (name, config) => runtime.authFor(name, config),
    redact: (t) => redactor.redact(t),
  });
  pools.push(pool);
  return pool;
}

async function whoami(pool: UpstreamPool, name: string): Promise<string> {
  const conn = pool.get(name);
  if (!conn) throw new Error(`no ${name}`);
  const r = await conn.call((c) => c.callTool({ name: 'whoami', arguments: {} }), { method: 'tools/call' });
  return (r.content as { text: string }[])[0].text;
}

describe('login and use, one authorization server', () => {
  let as: AuthServer;
  let a: ProtectedServer;
  let b: ProtectedServer;
  let registrations = 0;
  beforeAll(async () => {
    as = await startAuthServer({
      clients: [
        {
          client_id: 'pre-registered',
          client_secret: 'pre-registered-secret-value',
          redirect_uris: ['http://127.0.0.1:1/callback'],
          application_type: 'native',
          grant_types: ['authorization_code', 'refresh_token'],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ],
    });
    as.provider.on('registration_create.success', () => registrations++);
    a = await startProtectedServer(as.issuer);
    b = await startProtectedServer(as.issuer);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await as?.close();
  });

  it('first login (dynamic registration) stores a private token file; the proxy then serves the tools', async () => {
    const store = freshStore();
    const before = registrations;
    const stored = await login('a', a.url, store);
    expect(registrations).toBe(before + 1);
    expect(stored.preRegistered).toBe(false);
    expect(stored.tokens?.refresh_token).toBeTruthy();
    expect(fs.statSync(store.file('a')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(store.dir).mode & 0o777).toBe(0o700);
    const pool = startPool({ a: a.url }, store);
    await pool.start();
    expect(pool.get('a')?.state).toBe('ready');
    expect(await whoami(pool, 'a')).toBe(`alice at ${a.url}`);
    expect(a.presented.at(-1)).toBe(stored.tokens?.access_token);

    // A restart (new store, runtime and pool over the same directory) keeps the login; a second login
    // reuses the registered client.
    const again = new TokenStore({ dir: store.dir });
    const pool2 = startPool({ a: a.url }, again);
    await pool2.start();
    expect(await whoami(pool2, 'a')).toBe(`alice at ${a.url}`);
    const relogin = await login('a', a.url, again);
    expect(relogin.client?.client_id).toBe(stored.client?.client_id);
    expect(registrations).toBe(before + 1);
  });

  it('a pre-registered client logs in with its secret and registers nothing', async () => {
    const store = freshStore();
    const before = registrations;
    const stored = await login('a', a.url, store, {
      clientId: 'pre-registered',
      clientSecret: 'pre-registered-secret-value',
    });
    expect(registrations).toBe(before);
    expect(stored.preRegistered).toBe(true);
    expect(stored.client?.client_id).toBe('pre-registered');
    const pool = startPool({ a: a.url }, store);
    await pool.start();
    expect(await whoami(pool, 'a')).toBe(`alice at ${a.url}`);
  });

  it('two servers on one authorization server: each gets its own token, sent only to it', async () => {
    const store = freshStore();
    const la = await login('a', a.url, store);
    const lb = await login('b', b.url, store, true);
    expect(la.tokens?.access_token).not.toBe(lb.tokens?.access_token);
    const pool = startPool({ a: a.url, b: b.url }, store);
    await pool.start();
    expect(await whoami(pool, 'a')).toBe(`alice at ${a.url}`);
    expect(await whoami(pool, 'b')).toBe(`alice at ${b.url}`);
    expect(a.presented).not.toContain(lb.tokens?.access_token);
    expect(b.presented).not.toContain(la.tokens?.access_token);
  });

  it('wrong audience: a server refuses a token made for another, and the proxy never sends one there', async () => {
    const store = freshStore();
    const la = await login('a', a.url, store);
    // The fixture really checks the audience (so the next check means something).
    const res = await fetch(b.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${la.tokens?.access_token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(401);
    // A's token file handed over as B's login: refused by the proxy, nothing is sent to B.
    fs.copyFileSync(store.file('a'), store.file('b'));
    const seen = b.presented.length;
    const pool = startPool({ b: b.url }, store);
    await pool.start();
    expect(pool.get('b')?.state).toBe('needs-login');
    expect(pool.get('b')?.lastError).toMatch(/needs login: the token file .* is a login to server "a", not "b"/);
    expect(pool.get('b')?.lastError).toContain('`mcp-proxy auth login b`');
    expect(b.presented.length).toBe(seen);
  });

  it('not logged in: the server is "needs login" with the command, nothing is sent to it', async () => {
    const seen = a.presented.length;
    const pool = startPool({ a: a.url }, freshStore());
    await pool.start();
    expect(pool.get('a')?.state).toBe('needs-login');
    expect(pool.get('a')?.lastError).toBe('needs login: not logged in; run `mcp-proxy auth login a`');
    expect(pool.snapshot().find((s) => s.name === 'a')).toMatchObject({ state: 'needs-login' });
    await expect(whoami(pool, 'a')).rejects.toThrow(
      'upstream "a" needs login: not logged in; run `mcp-proxy auth login a`',
    );
    expect(a.presented.length).toBe(seen);
  });
});

describe('expiry, refresh and rotation', () => {
  let as: AuthServer;
  let a: ProtectedServer;
  let b: ProtectedServer;
  beforeAll(async () => {
    as = await startAuthServer({ accessTokenTtl: 2 });
    a = await startProtectedServer(as.issuer);
    b = await startProtectedServer(as.issuer);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await as?.close();
  });

  it('refreshes an expired token silently, saves the rotated refresh token, the old one is dead', async () => {
    const store = freshStore();
    const first = await login('a', a.url, store);
    const redactor = new Redactor();
    const pool = startPool({ a: a.url }, store, redactor);
    await pool.start();
    await new Promise((r) => setTimeout(r, 2100));
    expect(await whoami(pool, 'a')).toBe(`alice at ${a.url}`);
    const now = store.read('a')?.login;
    expect(now?.tokens?.access_token).not.toBe(first.tokens?.access_token);
    expect(now?.tokens?.refresh_token).not.toBe(first.tokens?.refresh_token);
    expect(a.presented.at(-1)).toBe(now?.tokens?.access_token);
    // Tokens are masked in everything that goes out.
    expect(redactor.redact(`x ${now?.tokens?.refresh_token} y`)).not.toContain(now?.tokens?.refresh_token as string);
    // Rotation: the first refresh token no longer works.
    const err = await refreshAuthorization(as.issuer, {
      metadata: first.discovery?.authorizationServerMetadata,
      clientInformation: first.client as any,
      refreshToken: first.tokens?.refresh_token as string,
      resource: a.url,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(OAuthError);
    expect((err as OAuthError).code).toBe('invalid_grant');
  });

  it('refreshes on a 401 for a token that has not expired yet', async () => {
    const store = freshStore();
    const first = await login('a', a.url, store);
    const pool = startPool({ a: a.url }, store);
    await pool.start();
    a.refuse.add(first.tokens?.access_token as string);
    expect(await whoami(pool, 'a')).toBe(`alice at ${a.url}`);
    expect(store.read('a')?.login.tokens?.access_token).not.toBe(first.tokens?.access_token);
  });

  it('a revoked refresh token: "needs login" in status and tool errors, the other server keeps serving', async () => {
    const store = freshStore();
    const la = await login('a', a.url, store);
    await login('b', b.url, store);
    const pool = startPool({ a: a.url, b: b.url }, store);
    await pool.start();
    await as.revokeRefreshTokens();
    a.refuse.add(la.tokens?.access_token as string);
    const err = await whoami(pool, 'a').catch((e) => e as Error);
    expect(String(err)).toContain('run `mcp-proxy auth login a`');
    await waitFor(() => pool.get('a')?.state === 'needs-login', 'a to need a login');
    expect(pool.get('a')?.lastError).toMatch(/^needs login: the authorization server refused the refresh token/);
    await expect(whoami(pool, 'a')).rejects.toThrow(/needs login.*mcp-proxy auth login a/);
    expect(store.read('a')?.login.needsLogin).toBeDefined();
    // b's access token is still good.
    expect(await whoami(pool, 'b')).toBe(`alice at ${b.url}`);
    // A new login, then the config applied again (what the token-file watch does): a is back.
    await login('a', a.url, store);
    await pool.apply(pool.list().reduce((o, c) => Object.assign(o, { [c.name]: c.config }), {}));
    expect(pool.get('a')?.state).toBe('ready');
    expect(await whoami(pool, 'a')).toBe(`alice at ${a.url}`);
  });
});

describe('device authorization grant', () => {
  let as: AuthServer;
  let a: ProtectedServer;
  beforeAll(async () => {
    as = await startAuthServer();
    a = await startProtectedServer(as.issuer);
  });
  afterAll(async () => {
    await a?.close();
    await as?.close();
  });

  it('logs in with a code entered in a browser elsewhere; the proxy then serves the tools', async () => {
    const store = freshStore();
    let browsing: Promise<string> | undefined;
    const stored = await deviceLogin({
      server: 'a',
      url: a.url,
      oauth: true,
      store,
      sleep: () => new Promise((r) => setTimeout(r, 50)),
      show: (p) => {
        expect(p.userCode).toBeTruthy();
        browsing = browse(p.verificationUriComplete as string, undefined, 'bob');
      },
    });
    expect(await browsing).toMatch(/success|sign-in|signed in/i);
    expect(stored.tokens?.refresh_token).toBeTruthy();
    const pool = startPool({ a: a.url }, store);
    await pool.start();
    expect(await whoami(pool, 'a')).toBe(`bob at ${a.url}`);
  });
});
