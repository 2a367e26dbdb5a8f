/**
 * The running proxy's side of an OAuth login: the `AuthProvider` handed to the SDK's HTTP/SSE
 * transport of one server. It sends the stored access token, refreshes it shortly before it expires
 * and when the server answers 401 (one refresh at a time per server, rotated refresh tokens saved at
 * once), and fails with "needs login" when only the user can help.
 *
 * The refresh is the SDK's `refreshAuthorization` (client authentication, error parsing, keeping a
 * refresh token that was not rotated). The SDK's `auth()` orchestrator is not used here: on a failed
 * refresh it falls back to a new authorization request and, for any error, to registering a client,
 * which a running proxy must not do; it also cannot tell a refused refresh token (log in again) from
 * an authorization server that is down for a moment (try again).
 *
 * Tokens are bound: a stored login is used only for the server it was made for and only for the URL
 * it was made for; the transport sends it to that URL only. The proxy never forwards a client's token.
 */
import type { AuthProvider, FetchLike } from '@modelcontextprotocol/client';
import { discoverOAuthServerInfo, OAuthError, refreshAuthorization } from '@modelcontextprotocol/client';
import { AppError, errorMessage } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { NeedsLoginError } from './needsLogin.js';
import type { StoredLogin, TokenStore } from './tokenStore.js';

export interface OAuthRuntimeDeps {
  store: TokenStore;
  logger: Logger;
  /** Registers a secret with the redactor (tokens, client secrets). */
  register: (secret: string | undefined) => void;
  /** The exact command that logs `server` in, for error messages. */
  loginCommand: (server: string) => string;
  now?: () => number;
  fetchFn?: FetchLike;
}

/** Errors of the authorization server that no retry can fix: the login is over. */
const LOGIN_OVER = new Set(['invalid_grant', 'invalid_client', 'unauthorized_client']);

/** How long before expiry a token is refreshed: a fifth of its lifetime, at most a minute. */
export function refreshMargin(login: StoredLogin): number {
  if (login.expiresAt === undefined) return 0;
  return Math.min(60_000, Math.max(0, (login.expiresAt - login.savedAt) / 5));
}

/** `url` as the SDK and the token file spell it (a trailing slash on a bare origin, lower-case host). */
export function normalizeUrl(url: string): string {
  try {
    return new URL(url).href;
  } catch {
    return url;
  }
}

/** Expiry in ms since the epoch from a token response's `expires_in` (seconds). */
export function expiresAtFrom(expiresIn: number | undefined, now: number): number | undefined {
  return typeof expiresIn === 'number' && expiresIn > 0 ? now + expiresIn * 1000 : undefined;
}

export class ServerAuth implements AuthProvider {
  private refreshing?: Promise<void>;
  /** A refreshed login that could not be written (a read-only directory): newer than the file. */
  private memory?: StoredLogin;
  private warnedReadOnly = false;
  private lastSent?: string;
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(
    readonly name: string,
    readonly url: string,
    private readonly deps: OAuthRuntimeDeps,
  ) {
    this.log = deps.logger.child({ upstream: name, component: 'oauth' });
    this.now = deps.now ?? Date.now;
  }

  async token(): Promise<string | undefined> {
    let login = this.current();
    if (login.expiresAt !== undefined && this.now() >= login.expiresAt - refreshMargin(login)) {
      try {
        await this.refresh(login);
      } catch (e) {
        // A refresh that failed for a moment: the token may still be good for a while.
        if (e instanceof NeedsLoginError || this.now() >= login.expiresAt) throw e;
        this.log.warn({ err: errorMessage(e) }, 'could not refresh the OAuth token early; using it until it expires');
      }
      login = this.current();
    }
    this.lastSent = login.tokens?.access_token;
    return this.lastSent;
  }

  async onUnauthorized(): Promise<void> {
    const login = this.current();
    // Someone (another connection, `auth login`, another proxy) already replaced the refused token.
    if (login.tokens?.access_token !== this.lastSent) return;
    this.log.info('the server refused the access token (401); refreshing it');
    await this.refresh(login);
  }

  /** The login to use: stored, bound to this server and URL, not given up. Throws NeedsLoginError. */
  current(): StoredLogin {
    const stored = this.deps.store.read(this.name);
    let login = stored?.login;
    if (this.memory && (!login || this.memory.savedAt >= login.savedAt)) login = this.memory;
    if (!login) throw this.needsLogin('not logged in');
    const origin = stored?.origin ?? 'memory';
    if (login.server !== this.name) {
      throw this.needsLogin(`the token file ${origin} is a login to server "${login.server}", not "${this.name}"`);
    }
    if (normalizeUrl(login.resource) !== normalizeUrl(this.url)) {
      throw this.needsLogin(`the stored login is for ${login.resource}, the config now says ${this.url}`);
    }
    if (login.needsLogin) throw this.needsLogin(login.needsLogin.reason);
    if (!login.tokens?.access_token) throw this.needsLogin('the stored login holds no token');
    this.deps.register(login.tokens.access_token);
    this.deps.register(login.tokens.refresh_token);
    this.deps.register(login.client?.client_secret);
    return login;
  }

  /** One refresh at a time; callers that arrive meanwhile wait for it. */
  private refresh(login: StoredLogin): Promise<void> {
    this.refreshing ??= this.doRefresh(login).finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async doRefresh(login: StoredLogin): Promise<void> {
    const refreshToken = login.tokens?.refresh_token;
    if (!refreshToken) throw this.needsLogin('the access token expired or was refused, and there is no refresh token');
    if (!login.client) throw this.needsLogin('the stored login has no client registration');
    const asUrl = await this.authorizationServer(login);
    let tokens: Awaited<ReturnType<typeof refreshAuthorization>>;
    try {
      tokens = await refreshAuthorization(asUrl, {
        metadata: login.discovery?.authorizationServerMetadata,
        clientInformation: login.client,
        refreshToken,
        resource: login.discovery?.resourceMetadata?.resource ?? undefined,
        fetchFn: this.deps.fetchFn,
      });
    } catch (e) {
      if (e instanceof OAuthError && LOGIN_OVER.has(e.code)) {
        // Another process may have rotated the refresh token a moment ago: then its tokens are good.
        const now = this.deps.store.read(this.name)?.login;
        if (now?.tokens?.refresh_token && now.tokens.refresh_token !== refreshToken && !now.needsLogin) return;
        const reason = `the authorization server refused the refresh token (${e.code}${e.message ? `: ${e.message}` : ''})`;
        this.save({ ...login, tokens: undefined, expiresAt: undefined, needsLogin: { reason, at: this.now() } });
        this.log.warn({ err: reason }, 'OAuth login expired');
        throw this.needsLogin(reason);
      }
      throw new AppError(
        'UPSTREAM_UNAVAILABLE',
        `could not refresh the OAuth token of "${this.name}": ${errorMessage(e)}`,
      );
    }
    const now = this.now();
    this.deps.register(tokens.access_token);
    this.deps.register(tokens.refresh_token);
    this.save({
      ...login,
      tokens: { ...tokens, issuer: login.tokens?.issuer ?? login.issuer },
      expiresAt: expiresAtFrom(tokens.expires_in, now),
      savedAt: now,
      needsLogin: undefined,
    });
    this.log.info({ rotated: tokens.refresh_token !== refreshToken }, 'OAuth token refreshed');
  }

  private async authorizationServer(login: StoredLogin): Promise<string> {
    const known = login.discovery?.authorizationServerUrl;
    if (known) return known;
    const info = await discoverOAuthServerInfo(this.url, { fetchFn: this.deps.fetchFn });
    return info.authorizationServerUrl;
  }

  private save(login: StoredLogin): void {
    try {
      this.deps.store.write(login);
      this.memory = undefined;
    } catch (e) {
      // A read-only credentials directory (a container without a volume): keep it for this run.
      this.memory = login;
      if (!this.warnedReadOnly) {
        this.warnedReadOnly = true;
        this.log.warn(
          { err: errorMessage(e) },
          'the refreshed OAuth token cannot be saved; it is kept in memory and a restart needs a new login',
        );
      }
    }
  }

  private needsLogin(reason: string): NeedsLoginError {
    return new NeedsLoginError(this.name, reason, this.deps.loginCommand(this.name));
  }
}

/**
 * One ServerAuth per server and URL for the life of the proxy, so every connection to a server
 * (shared or per session) shares one refresh.
 */
export class OAuthRuntime {
  private readonly servers = new Map<string, ServerAuth>();

  constructor(private readonly deps: OAuthRuntimeDeps) {}

  get store(): TokenStore {
    return this.deps.store;
  }

  /** The transport's AuthProvider for a server with `oauth` set; undefined for any other. */
  authFor(name: string, config: { url: string; oauth?: unknown }): AuthProvider | undefined {
    if (!config.oauth) return undefined;
    const key = `${name}\n${config.url}`;
    let auth = this.servers.get(key);
    if (!auth) {
      auth = new ServerAuth(name, config.url, this.deps);
      this.servers.set(key, auth);
    }
    return auth;
  }
}
