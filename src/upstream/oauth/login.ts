/**
 * `auth login` with a browser: the authorization code flow with PKCE, the code received on a loopback
 * redirect (RFC 8252). The protocol is the SDK's `auth()`: protected resource and authorization server
 * discovery (RFC 9728, RFC 8414 with OpenID discovery as fallback), dynamic client registration
 * (RFC 7591) when no client id is configured, PKCE S256, the resource indicator (RFC 8707), scope
 * selection, the code exchange with RFC 9207 issuer validation. This file supplies what the SDK asks
 * of its host: where state lives during the flow, the loopback listener, and the browser.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  OAuthClientMetadata,
  OAuthClientProvider,
  OAuthDiscoveryState,
  OAuthTokens,
  StoredOAuthClientInformation,
} from '@modelcontextprotocol/client';
import { auth } from '@modelcontextprotocol/client';
import { AppError } from '../../errors.js';
import {
  clientName,
  configuredScope,
  type LoginTarget,
  loginRecord,
  preRegisteredClient,
  probe,
  settingsOf,
} from './loginCommon.js';
import type { StoredLogin, TokenStore } from './tokenStore.js';

export interface BrowserLoginOptions extends LoginTarget {
  store: TokenStore;
  /** Opens (or shows) the authorization URL; the login then waits for the redirect. */
  openUrl: (url: URL) => void | Promise<void>;
  /** How long to wait for the browser, ms. */
  timeoutMs?: number;
  now?: () => number;
}

/** Runs the whole login and writes the token file; returns what was written. */
export async function browserLogin(opts: BrowserLoginOptions): Promise<StoredLogin> {
  const previous = opts.store.read(opts.server)?.login;
  const configured = preRegisteredClient(opts.oauth);
  const wanted = settingsOf(opts.oauth).redirectUrl ?? (configured ? undefined : previous?.redirectUrl);
  const listener = await listenLoopback(wanted, settingsOf(opts.oauth).redirectUrl !== undefined);
  try {
    const provider = new LoginProvider(opts.server, listener.url, configured ?? reusableClient(previous, opts.url));
    const challenge = await probe(opts);
    const scope = configuredScope(opts.oauth) ?? challenge.scope;
    const common = { serverUrl: opts.url, resourceMetadataUrl: challenge.resourceMetadataUrl, fetchFn: opts.fetchFn };
    const first = await auth(provider, { ...common, scope, forceReauthorization: true });
    if (first !== 'REDIRECT' || !provider.authorizationUrl) {
      throw new AppError('UPSTREAM_FAILED', `the authorization server of "${opts.server}" did not ask for a login`);
    }
    const callback = listener.next(provider.expectedState, opts.timeoutMs ?? 300_000);
    await opts.openUrl(provider.authorizationUrl);
    const { code, iss } = await callback;
    await auth(provider, { ...common, authorizationCode: code, iss });
    if (!provider.savedTokens || !provider.client) {
      throw new AppError('UPSTREAM_FAILED', `the authorization server of "${opts.server}" returned no token`);
    }
    const login = loginRecord(
      opts,
      {
        client: provider.client,
        preRegistered: configured !== undefined,
        tokens: provider.savedTokens,
        discovery: provider.discovery,
        redirectUrl: listener.url,
      },
      (opts.now ?? Date.now)(),
    );
    opts.store.write(login);
    return login;
  } finally {
    await listener.close();
  }
}

/** A client registered dynamically at an earlier login, for the same server URL: registered once, reused. */
function reusableClient(previous: StoredLogin | undefined, url: string): StoredOAuthClientInformation | undefined {
  if (!previous || previous.preRegistered || previous.resource !== url) return undefined;
  return previous.client;
}

/** The SDK's view of this login: state kept in memory for the length of the flow. */
class LoginProvider implements OAuthClientProvider {
  client?: StoredOAuthClientInformation;
  savedTokens?: OAuthTokens & { issuer?: string };
  discovery?: OAuthDiscoveryState;
  authorizationUrl?: URL;
  readonly expectedState = randomBytes(16).toString('base64url');
  private verifier?: string;

  constructor(
    private readonly server: string,
    readonly redirectUrl: string,
    client: StoredOAuthClientInformation | undefined,
  ) {
    this.client = client;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: clientName(this.server),
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  state = () => this.expectedState;
  clientInformation = () => this.client;
  saveClientInformation = (info: StoredOAuthClientInformation) => {
    this.client = info;
  };
  tokens = () => this.savedTokens;
  saveTokens = (tokens: OAuthTokens & { issuer?: string }) => {
    this.savedTokens = tokens;
  };
  redirectToAuthorization = (url: URL) => {
    this.authorizationUrl = url;
  };
  saveCodeVerifier = (v: string) => {
    this.verifier = v;
  };
  codeVerifier = () => {
    if (!this.verifier) throw new Error('no PKCE code verifier saved');
    return this.verifier;
  };
  saveDiscoveryState = (s: OAuthDiscoveryState) => {
    this.discovery = s;
  };
  discoveryState = () => this.discovery;
  invalidateCredentials = (scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery') => {
    if (scope === 'all' || scope === 'client') this.client = undefined;
    if (scope === 'all' || scope === 'tokens') this.savedTokens = undefined;
    if (scope === 'all' || scope === 'discovery') this.discovery = undefined;
  };
}

interface Loopback {
  url: string;
  /** Resolves with the code of the next redirect that carries our state. */
  next(state: string, timeoutMs: number): Promise<{ code: string; iss?: string }>;
  close(): Promise<void>;
}

/**
 * The redirect target on 127.0.0.1. A configured redirect URL must get its port; a remembered one
 * (the client registered at the last login) is tried first, else any free port: loopback redirects
 * may use any port (RFC 8252 §7.3).
 */
async function listenLoopback(wanted: string | undefined, required: boolean): Promise<Loopback> {
  const target = wanted ? new URL(wanted) : undefined;
  const pathname = target?.pathname && target.pathname !== '/' ? target.pathname : '/callback';
  let waiter: { state: string; resolve: (v: { code: string; iss?: string }) => void; reject: (e: Error) => void };
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (u.pathname !== pathname || !waiter) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const p = u.searchParams;
    if (p.get('state') !== waiter.state) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('unexpected state: start the login again\n');
      return;
    }
    const error = p.get('error');
    const code = p.get('code');
    if (error || !code) {
      const why = `${error ?? 'no code'}${p.get('error_description') ? `: ${p.get('error_description')}` : ''}`;
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`Login failed: ${why}\n`);
      waiter.reject(new AppError('UPSTREAM_FAILED', `the login was refused: ${why}`));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end('Logged in. You can close this window.\n');
    waiter.resolve({ code, iss: p.get('iss') ?? undefined });
  });
  const port = await bind(server, target?.port ? Number(target.port) : 0, required);
  const host = target?.hostname === 'localhost' ? 'localhost' : '127.0.0.1';
  return {
    url: `http://${host}:${port}${pathname}`,
    next: (state, timeoutMs) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new AppError('UPSTREAM_FAILED', `no login within ${Math.round(timeoutMs / 1000)} s`)),
          timeoutMs,
        );
        const done =
          <T>(f: (v: T) => void) =>
          (v: T) => {
            clearTimeout(timer);
            f(v);
          };
        waiter = { state, resolve: done(resolve), reject: done(reject) };
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function bind(server: http.Server, port: number, required: boolean): Promise<number> {
  const listen = (p: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(p, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  try {
    return await listen(port);
  } catch (e) {
    if (required || port === 0) {
      throw new AppError('UPSTREAM_FAILED', `cannot listen on 127.0.0.1:${port} for the login redirect: ${String(e)}`, {
        hint: 'stop what uses that port, or change oauth.redirectUrl (it must match the registered client)',
      });
    }
    return listen(0);
  }
}
