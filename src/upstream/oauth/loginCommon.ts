/** What the browser login and the device login share: the first request, the client, the record. */
import type {
  FetchLike,
  OAuthClientInformationMixed,
  OAuthDiscoveryState,
  OAuthTokens,
  StoredOAuthClientInformation,
} from '@modelcontextprotocol/client';
import { extractWWWAuthenticateParams, LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/client';
import type { OAuthSettings } from '../../config/schema.js';
import { expiresAtFrom } from './runtime.js';
import type { StoredLogin } from './tokenStore.js';

export type OAuthConfig = true | OAuthSettings;

/** What a login needs to know about the server. */
export interface LoginTarget {
  server: string;
  url: string;
  oauth: OAuthConfig;
  /** The server's configured `headers` (an API key a gateway in front of it wants as well). */
  headers?: Record<string, string>;
  /** `sse`: the legacy transport, whose URL takes a GET for the event stream. */
  transport?: 'http' | 'sse';
  fetchFn?: FetchLike;
}

export interface Challenge {
  /** The server answered 401, as a protected MCP server does. */
  unauthorized: boolean;
  resourceMetadataUrl?: URL;
  scope?: string;
}

/**
 * Sends the server an unauthenticated first request, as a client would (an initialize; the event-stream
 * GET for SSE), and reads its 401 challenge: `WWW-Authenticate` names the Protected Resource Metadata
 * (RFC 9728) and maybe the scope.
 */
export async function probe(target: LoginTarget): Promise<Challenge> {
  const f = target.fetchFn ?? fetch;
  const res = target.transport === 'sse' ? await probeSse(target, f) : await probeHttp(target, f);
  await res.body?.cancel().catch(() => {});
  if (res.status !== 401) return { unauthorized: false };
  const { resourceMetadataUrl, scope } = extractWWWAuthenticateParams(res);
  return { unauthorized: true, resourceMetadataUrl, scope };
}

function probeSse(target: LoginTarget, f: FetchLike): Promise<Response> {
  return f(target.url, {
    headers: { ...target.headers, accept: 'text/event-stream' },
    redirect: 'manual',
    signal: AbortSignal.timeout(30_000),
  });
}

function probeHttp(target: LoginTarget, f: FetchLike): Promise<Response> {
  const body = {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: {
      protocolVersion: LATEST_PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: 'mcp-proxy-server', version: '0' },
    },
  };
  return f(target.url, {
    method: 'POST',
    headers: { ...target.headers, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify(body),
    redirect: 'manual',
  });
}

export function settingsOf(oauth: OAuthConfig): OAuthSettings {
  return oauth === true ? {} : oauth;
}

/** The configured client (`oauth.clientId`), if any. */
export function preRegisteredClient(oauth: OAuthConfig): OAuthClientInformationMixed | undefined {
  const s = settingsOf(oauth);
  if (!s.clientId) return undefined;
  return { client_id: s.clientId, ...(s.clientSecret ? { client_secret: s.clientSecret } : {}) };
}

/** Configured scopes, space-separated, or undefined (then the server's advertised scopes are asked for). */
export function configuredScope(oauth: OAuthConfig): string | undefined {
  const scopes = settingsOf(oauth).scopes;
  return scopes?.length ? scopes.join(' ') : undefined;
}

export function clientName(server: string): string {
  return `mcp-proxy (${server})`;
}

export interface LoginResult {
  client: StoredOAuthClientInformation;
  preRegistered: boolean;
  tokens: OAuthTokens & { issuer?: string };
  discovery?: OAuthDiscoveryState;
  redirectUrl?: string;
}

/** The record written to the token file after a successful login. */
export function loginRecord(target: LoginTarget, r: LoginResult, now: number): StoredLogin {
  const issuer = r.tokens.issuer ?? r.discovery?.authorizationServerMetadata?.issuer ?? r.client.issuer;
  return {
    version: 1,
    server: target.server,
    resource: target.url,
    issuer,
    client: r.client,
    preRegistered: r.preRegistered,
    redirectUrl: r.redirectUrl,
    tokens: { ...r.tokens, issuer },
    expiresAt: expiresAtFrom(r.tokens.expires_in, now),
    discovery: r.discovery,
    savedAt: now,
  };
}
