/**
 * `auth login --device`: the device authorization grant (RFC 8628), for machines without a browser
 * (a container, an SSH session). The user opens a URL on any other device and enters a code; we poll.
 *
 * Discovery, client registration and the token requests (client authentication, error parsing) are
 * the SDK's; the SDK has no device flow, so the device authorization request and the polling rules
 * (authorization_pending, slow_down, expiry) are written here.
 */
import type {
  AuthorizationServerMetadata,
  OAuthClientInformationMixed,
  OAuthClientProvider,
  OAuthProtectedResourceMetadata,
  StoredOAuthClientInformation,
} from '@modelcontextprotocol/client';
import { discoverOAuthServerInfo, fetchToken, OAuthError, registerClient } from '@modelcontextprotocol/client';
import { AppError, errorMessage } from '../../errors.js';
import {
  clientName,
  configuredScope,
  type LoginTarget,
  loginRecord,
  preRegisteredClient,
  probe,
} from './loginCommon.js';
import type { StoredLogin, TokenStore } from './tokenStore.js';

export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export interface DevicePrompt {
  verificationUri: string;
  verificationUriComplete?: string;
  userCode: string;
  expiresInSeconds: number;
}

export interface DeviceLoginOptions extends LoginTarget {
  store: TokenStore;
  /** Tells the user where to go and which code to enter. */
  show: (prompt: DevicePrompt) => void;
  /** Waits between polls (a port for tests that would rather not wait five seconds). */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export async function deviceLogin(opts: DeviceLoginOptions): Promise<StoredLogin> {
  const challenge = await probe(opts);
  const info = await discoverOAuthServerInfo(opts.url, {
    resourceMetadataUrl: challenge.resourceMetadataUrl,
    fetchFn: opts.fetchFn,
  });
  const metadata = info.authorizationServerMetadata;
  // RFC 8628 metadata; the SDK's schema keeps fields it does not know.
  const endpoint = (metadata as { device_authorization_endpoint?: unknown } | undefined)?.device_authorization_endpoint;
  if (!metadata || typeof endpoint !== 'string') {
    throw new AppError('USAGE', `the authorization server of "${opts.server}" does not offer the device flow`, {
      hint: `log in where a browser is (\`mcp-proxy auth login ${opts.server}\`) and hand the token file over (docs/credentials.md)`,
    });
  }
  const issuer = metadata.issuer;
  const configured = preRegisteredClient(opts.oauth);
  const client: StoredOAuthClientInformation = configured
    ? { ...configured, issuer }
    : { ...(await register(info.authorizationServerUrl, metadata, opts)), issuer };
  const resource = resourceIndicator(opts.url, info.resourceMetadata);
  const scope = withOfflineAccess(
    configuredScope(opts.oauth) ?? challenge.scope ?? info.resourceMetadata?.scopes_supported?.join(' '),
    metadata,
  );
  const grant = await authorizeDevice(endpoint, client, scope, resource, opts);
  opts.show(grant.prompt);
  const tokens = await poll(info.authorizationServerUrl, metadata, client, resource, grant, opts);
  const login = loginRecord(
    opts,
    {
      client,
      preRegistered: configured !== undefined,
      tokens: { ...tokens, issuer },
      discovery: {
        authorizationServerUrl: info.authorizationServerUrl,
        authorizationServerMetadata: metadata,
        resourceMetadata: info.resourceMetadata,
        resourceMetadataUrl: challenge.resourceMetadataUrl?.href,
      },
    },
    (opts.now ?? Date.now)(),
  );
  opts.store.write(login);
  return login;
}

function register(asUrl: string, metadata: AuthorizationServerMetadata, opts: DeviceLoginOptions) {
  return registerClient(asUrl, {
    metadata,
    clientMetadata: {
      client_name: clientName(opts.server),
      redirect_uris: [],
      grant_types: [DEVICE_GRANT, 'refresh_token'],
      response_types: [],
      token_endpoint_auth_method: 'none',
    },
    fetchFn: opts.fetchFn,
  });
}

/** As the SDK does: the protected resource's own `resource` string, verbatim, when it has metadata. */
function resourceIndicator(url: string, rm: OAuthProtectedResourceMetadata | undefined): string | undefined {
  if (!rm) return undefined;
  const served = new URL(url);
  const claimed = new URL(rm.resource);
  if (claimed.origin !== served.origin || !served.pathname.startsWith(claimed.pathname.replace(/\/$/, ''))) {
    throw new AppError('UPSTREAM_FAILED', `the server's metadata names resource ${rm.resource}, not ${url}`);
  }
  return rm.resource;
}

/** A refresh token needs `offline_access` on servers that advertise it (the SDK's rule for the code flow). */
function withOfflineAccess(scope: string | undefined, metadata: AuthorizationServerMetadata): string | undefined {
  if (!metadata.scopes_supported?.includes('offline_access')) return scope;
  const parts = (scope ?? '').split(' ').filter(Boolean);
  return parts.includes('offline_access') ? scope : [...parts, 'offline_access'].join(' ');
}

interface DeviceGrant {
  deviceCode: string;
  interval: number;
  expiresAt: number;
  prompt: DevicePrompt;
}

async function authorizeDevice(
  endpoint: string,
  client: OAuthClientInformationMixed,
  scope: string | undefined,
  resource: string | undefined,
  opts: DeviceLoginOptions,
): Promise<DeviceGrant> {
  const body = new URLSearchParams({ client_id: client.client_id });
  if (scope) body.set('scope', scope);
  if (resource) body.set('resource', resource);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (client.client_secret) {
    const basic = `${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`;
    headers.authorization = `Basic ${Buffer.from(basic).toString('base64')}`;
  }
  const res = await (opts.fetchFn ?? fetch)(endpoint, { method: 'POST', headers, body });
  const text = await res.text();
  let data: Record<string, unknown> = {};
  try {
    data = JSON.parse(text);
  } catch {}
  if (!res.ok || typeof data.device_code !== 'string' || typeof data.user_code !== 'string') {
    const why = typeof data.error === 'string' ? `${data.error} ${data.error_description ?? ''}`.trim() : text;
    throw new AppError('UPSTREAM_FAILED', `the device authorization request failed (HTTP ${res.status}): ${why}`);
  }
  const expiresIn = typeof data.expires_in === 'number' ? data.expires_in : 600;
  const now = (opts.now ?? Date.now)();
  return {
    deviceCode: data.device_code,
    interval: typeof data.interval === 'number' ? data.interval : 5,
    expiresAt: now + expiresIn * 1000,
    prompt: {
      verificationUri: String(data.verification_uri ?? data.verification_url ?? ''),
      verificationUriComplete:
        typeof data.verification_uri_complete === 'string' ? data.verification_uri_complete : undefined,
      userCode: data.user_code,
      expiresInSeconds: expiresIn,
    },
  };
}

async function poll(
  asUrl: string,
  metadata: AuthorizationServerMetadata,
  client: StoredOAuthClientInformation,
  resource: string | undefined,
  grant: DeviceGrant,
  opts: DeviceLoginOptions,
) {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = opts.now ?? Date.now;
  const provider = {
    get redirectUrl() {
      return undefined;
    },
    get clientMetadata() {
      return { redirect_uris: [] };
    },
    clientInformation: () => client,
    prepareTokenRequest: () => new URLSearchParams({ grant_type: DEVICE_GRANT, device_code: grant.deviceCode }),
  } as unknown as OAuthClientProvider;
  let interval = grant.interval * 1000;
  for (;;) {
    if (now() >= grant.expiresAt) throw new AppError('UPSTREAM_FAILED', 'the device code expired before the login');
    await sleep(interval);
    try {
      return await fetchToken(provider, asUrl, { metadata, resource, fetchFn: opts.fetchFn });
    } catch (e) {
      const code = e instanceof OAuthError ? e.code : undefined;
      if (code === 'authorization_pending') continue;
      // RFC 8628 §3.5: slow down by five seconds from now on.
      if (code === 'slow_down') {
        interval += 5000;
        continue;
      }
      if (code === 'access_denied') throw new AppError('UPSTREAM_FAILED', 'the login was denied');
      if (code === 'expired_token') throw new AppError('UPSTREAM_FAILED', 'the device code expired before the login');
      throw new AppError('UPSTREAM_FAILED', `the device login failed: ${errorMessage(e)}`);
    }
  }
}
