/**
 * Real OAuth parts for tests, on loopback: an authorization server (oidc-provider: PKCE, dynamic
 * client registration, device flow, refresh-token rotation, resource indicators, JWT access tokens
 * whose audience is the resource), an MCP server (SDK, Streamable HTTP) that checks the bearer token's
 * signature, issuer and audience with jose and publishes its Protected Resource Metadata, and a
 * "browser" that follows redirects and submits oidc-provider's login and consent forms.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { McpServer } from '@modelcontextprotocol/server';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import Provider from 'oidc-provider';
import { z } from 'zod';

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as AddressInfo).port;
}

function closer(server: http.Server): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
}

export interface AuthServer {
  issuer: string;
  provider: Provider;
  /** Revokes every refresh token (and the grants behind them) of every client. */
  revokeRefreshTokens(): Promise<number>;
  close(): Promise<void>;
}

export interface AuthServerOptions {
  /** Access token lifetime, seconds. */
  accessTokenTtl?: number;
  /** Pre-registered clients. */
  clients?: Record<string, unknown>[];
}

export async function startAuthServer(o: AuthServerOptions = {}): Promise<AuthServer> {
  const server = http.createServer();
  const port = await listen(server);
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  const ttl = o.accessTokenTtl ?? 600;
  const provider = new Provider(issuer, {
    clients: (o.clients ?? []) as any,
    jwks: { keys: [jwk as any] },
    findAccount: async (_ctx: unknown, id: string) => ({ accountId: id, claims: async () => ({ sub: id }) }),
    scopes: ['openid', 'offline_access', 'mcp:tools'],
    features: {
      devInteractions: { enabled: true },
      registration: { enabled: true },
      deviceFlow: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined as any,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => ({
          scope: 'mcp:tools',
          audience: resource,
          accessTokenTTL: ttl,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    pkce: { required: () => true },
    rotateRefreshToken: true,
    issueRefreshToken: async (_ctx: unknown, client: any) => client.grantTypeAllowed('refresh_token'),
    cookies: { keys: ['test-cookie-key'] },
  } as any);
  server.on('request', provider.callback());
  const refreshTokens = new Set<string>();
  provider.on('refresh_token.saved', (t: any) => refreshTokens.add(t.jti));
  return {
    issuer,
    provider,
    async revokeRefreshTokens() {
      let n = 0;
      for (const jti of refreshTokens) {
        const rt = await provider.RefreshToken.find(jti);
        if (!rt) continue;
        await rt.destroy();
        n++;
      }
      refreshTokens.clear();
      return n;
    },
    close: closer(server),
  };
}

export interface ProtectedServer {
  /** The MCP endpoint, `http://127.0.0.1:PORT/mcp`. */
  url: string;
  /** Every bearer token presented, valid or not, in order. */
  presented: string[];
  /** Tokens this server refuses from now on even though they are valid (a revoked access token). */
  refuse: Set<string>;
  close(): Promise<void>;
}

/** An MCP server that accepts only JWT access tokens the issuer signed for it (audience = its URL). */
export async function startProtectedServer(issuer: string): Promise<ProtectedServer> {
  const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
  const server = http.createServer();
  const port = await listen(server);
  const base = `http://127.0.0.1:${port}`;
  const url = `${base}/mcp`;
  const metadataUrl = `${base}/.well-known/oauth-protected-resource/mcp`;
  const presented: string[] = [];
  const refuse = new Set<string>();
  const challenge = (res: http.ServerResponse, error?: string) => {
    const err = error ? `, error="invalid_token", error_description="${error.replace(/"/g, "'")}"` : '';
    res.writeHead(401, { 'www-authenticate': `Bearer resource_metadata="${metadataUrl}"${err}` }).end();
  };
  server.on('request', async (req, res) => {
    const path = new URL(req.url ?? '/', base).pathname;
    if (path === '/.well-known/oauth-protected-resource/mcp') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ resource: url, authorization_servers: [issuer], scopes_supported: ['mcp:tools'] }));
      return;
    }
    if (path !== '/mcp') return void res.writeHead(404).end();
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token) return challenge(res);
    presented.push(token);
    let sub: string;
    try {
      const { payload } = await jwtVerify(token, jwks, { issuer, audience: url });
      sub = String(payload.sub);
    } catch (e) {
      return challenge(res, String((e as Error).message));
    }
    if (refuse.has(token)) return challenge(res, 'revoked');
    // Stateless: a fresh server and transport per request.
    const mcp = new McpServer({ name: 'protected', version: '1.0.0' });
    mcp.registerTool('whoami', { description: 'The token subject', inputSchema: z.object({}) }, async () => ({
      content: [{ type: 'text', text: `${sub} at ${url}` }],
    }));
    const transport = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    await mcp.connect(transport);
    res.on('close', () => void transport.close());
    await transport.handleRequest(req, res);
  });
  return { url, presented, refuse, close: closer(server) };
}

/**
 * A browser without a screen: follows redirects (keeping cookies) and submits each HTML form it is
 * shown, filling a login form with `user`/`secret`, never choosing "abort". Stops at the first URL
 * that starts with `stopAt` (after requesting it), or without `stopAt` at the first page that is
 * neither a redirect nor a form, and returns its response text.
 */
export async function browse(start: string, stopAt: string | undefined, user = 'alice'): Promise<string> {
  const cookies = new Map<string, string>();
  let url = start;
  let init: RequestInit = {};
  for (let i = 0; i < 30; i++) {
    const headers = new Headers(init.headers);
    if (cookies.size) headers.set('cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair.indexOf('=');
      cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    const text = await res.text();
    if (stopAt && url.startsWith(stopAt)) return text;
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      url = new URL(location, url).href;
      init = {};
      continue;
    }
    const form = parseForm(text);
    if (!form && !stopAt) return text;
    if (!form) throw new Error(`the browser is stuck at ${url} (HTTP ${res.status}): ${text.slice(0, 500)}`);
    const body = new URLSearchParams(form.fields);
    if (form.fields.some(([k]) => k === 'login')) body.set('password', 'secret');
    if (body.has('login')) body.set('login', user);
    url = new URL(form.action || url, url).href;
    init = { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } };
  }
  throw new Error('too many steps');
}

function parseForm(html: string): { action: string; fields: [string, string][] } | undefined {
  const m = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (!m) return undefined;
  const action = /action="([^"]*)"/i.exec(m[1])?.[1]?.replace(/&amp;/g, '&') ?? '';
  const fields: [string, string][] = [];
  for (const input of m[2].matchAll(/<input\b([^>]*)>/gi)) {
    const name = /name="([^"]*)"/i.exec(input[1])?.[1];
    if (!name || name === 'abort') continue;
    fields.push([name, /value="([^"]*)"/i.exec(input[1])?.[1] ?? '']);
  }
  return { action, fields };
}
