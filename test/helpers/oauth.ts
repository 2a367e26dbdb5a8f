/**
 * Real OAuth parts for tests, on loopback: an authorization server (oidc-provider: PKCE, dynamic
 * client registration, device flow, refresh-token rotation, resource indicators, JWT access tokens
 * whose audience is the resource), an MCP server (SDK, Streamable HTTP or HTTP+SSE) that checks the bearer token's
 * signature, issuer and audience with jose and publishes its Protected Resource Metadata, and a
 * "browser" that follows redirects and submits oidc-provider's login and consent forms.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { McpServer as V1McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
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
  /** The MCP endpoint, `http://127.0.0.1:PORT/mcp` (`/sse` for the SSE transport). */
  url: string;
  /** Every bearer token presented, valid or not, in order. */
  presented: string[];
  /** The SSE transport: the bearer token of each event-stream GET ('' for none), in order. */
  streams: string[];
  /** Tokens this server refuses from now on even though they are valid (a revoked access token). */
  refuse: Set<string>;
  close(): Promise<void>;
}

export interface ProtectedServerOptions {
  /** `sse`: the 2024-11-05 HTTP+SSE transport (GET /sse, POST /messages), from the v1 SDK. */
  transport?: 'http' | 'sse';
  /** A header every request must carry as well (a gateway's API key beside the login), else 403. */
  header?: [string, string];
}

/** An MCP server that accepts only JWT access tokens the issuer signed for it (audience = its URL). */
export async function startProtectedServer(issuer: string, o: ProtectedServerOptions = {}): Promise<ProtectedServer> {
  const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
  const server = http.createServer();
  const port = await listen(server);
  const base = `http://127.0.0.1:${port}`;
  const endpoint = o.transport === 'sse' ? '/sse' : '/mcp';
  const url = `${base}${endpoint}`;
  const metadataPath = `/.well-known/oauth-protected-resource${endpoint}`;
  const presented: string[] = [];
  const streams: string[] = [];
  const refuse = new Set<string>();
  const sse = new Map<string, SSEServerTransport>();
  const challenge = (res: http.ServerResponse, error?: string) => {
    const err = error ? `, error="invalid_token", error_description="${error.replace(/"/g, "'")}"` : '';
    res.writeHead(401, { 'www-authenticate': `Bearer resource_metadata="${base}${metadataPath}"${err}` }).end();
  };
  /** The token's subject, or undefined once the request has been answered with 401. */
  const authorize = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<string | undefined> => {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (req.method === 'GET' && endpoint === '/sse') streams.push(token ?? '');
    if (!token) return void challenge(res);
    presented.push(token);
    try {
      const { payload } = await jwtVerify(token, jwks, { issuer, audience: url });
      if (refuse.has(token)) return void challenge(res, 'revoked');
      return String(payload.sub);
    } catch (e) {
      return void challenge(res, String((e as Error).message));
    }
  };
  server.on('request', async (req, res) => {
    const path = new URL(req.url ?? '/', base).pathname;
    if (path === metadataPath) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ resource: url, authorization_servers: [issuer], scopes_supported: ['mcp:tools'] }));
      return;
    }
    if (path !== endpoint && !(endpoint === '/sse' && path === '/messages')) return void res.writeHead(404).end();
    if (o.header && req.headers[o.header[0].toLowerCase()] !== o.header[1]) {
      return void res.writeHead(403).end(`missing header ${o.header[0]}`);
    }
    const sub = await authorize(req, res);
    if (sub === undefined) return;
    const whoami = async () => ({ content: [{ type: 'text' as const, text: `${sub} at ${url}` }] });
    if (endpoint === '/sse') return serveSse(req, res, path, sse, whoami);
    // Stateless: a fresh server and transport per request.
    const mcp = new McpServer({ name: 'protected', version: '1.0.0' });
    mcp.registerTool('whoami', { description: 'The token subject', inputSchema: z.object({}) }, whoami);
    const transport = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    await mcp.connect(transport);
    res.on('close', () => void transport.close());
    await transport.handleRequest(req, res);
  });
  return { url, presented, streams, refuse, close: closer(server) };
}

/** The HTTP+SSE transport: a v1 SDK server per event stream, its POSTs routed by session id. */
async function serveSse(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  path: string,
  sessions: Map<string, SSEServerTransport>,
  whoami: () => Promise<{ content: { type: 'text'; text: string }[] }>,
): Promise<void> {
  if (path === '/messages') {
    const id = new URL(req.url ?? '/', 'http://x').searchParams.get('sessionId') ?? '';
    const transport = sessions.get(id);
    if (!transport) return void res.writeHead(404).end('unknown session');
    return transport.handlePostMessage(req, res);
  }
  const mcp = new V1McpServer({ name: 'protected-sse', version: '1.0.0' });
  mcp.registerTool('whoami', { description: 'The token subject' }, whoami);
  const transport = new SSEServerTransport('/messages', res);
  sessions.set(transport.sessionId, transport);
  res.on('close', () => sessions.delete(transport.sessionId));
  await mcp.connect(transport);
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
