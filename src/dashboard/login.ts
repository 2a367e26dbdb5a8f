/**
 * "Sign in with <issuer>" for the dashboard: the authorization code flow with PKCE (S256), run by the
 * page itself as a public client. The proxy only tells the page where to go (from the issuer's
 * discovery document) and widens the page's CSP connect-src to the token endpoint's origin, so the
 * page may exchange the code there. No client secret, no server-side login state: any replica of the
 * proxy serves the page, and the token lands where it is used anyway (the tab's sessionStorage).
 */
import { errorMessage } from '../errors.js';

export interface DashboardLoginSettings {
  issuer: string;
  /** The client registered at the issuer for the dashboard (public: no secret, PKCE). */
  clientId: string;
  /** Sent as the RFC 8707 `resource`, so the access token is issued for the proxy's audience. */
  audience: string | string[];
  scopes?: string[];
}

/** What the page needs to run the flow (GET /api/v1/login answers it, without authentication). */
export interface LoginInfo {
  issuer: string;
  clientId: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  scope: string;
  resource?: string;
}

/** A discovery that failed is tried again, but not more often than this. */
const RETRY_MS = 10_000;

export class DashboardLogin {
  private info?: LoginInfo;
  private pending?: Promise<LoginInfo>;
  private failedAt = 0;
  private failure = '';

  constructor(
    private readonly settings: DashboardLoginSettings,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  /** The flow's endpoints; throws (with why) when the issuer's discovery document cannot be read. */
  async get(): Promise<LoginInfo> {
    if (this.info) return this.info;
    if (Date.now() - this.failedAt < RETRY_MS) throw new Error(this.failure);
    this.pending ??= this.discover().finally(() => {
      this.pending = undefined;
    });
    try {
      this.info = await this.pending;
      return this.info;
    } catch (e) {
      this.failedAt = Date.now();
      this.failure = errorMessage(e);
      throw e;
    }
  }

  /** The extra connect-src origin for the page's CSP, once the token endpoint is known. */
  async connectOrigin(): Promise<string | undefined> {
    try {
      return new URL((await this.get()).tokenEndpoint).origin;
    } catch {
      return undefined;
    }
  }

  private async discover(): Promise<LoginInfo> {
    const { issuer, clientId, audience, scopes } = this.settings;
    const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const res = await this.fetchImpl(url, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`the issuer's discovery document ${url} answered ${res.status}`);
    const doc = (await res.json()) as Record<string, unknown>;
    const authorizationEndpoint = httpUrl(doc.authorization_endpoint);
    const tokenEndpoint = httpUrl(doc.token_endpoint);
    if (!authorizationEndpoint || !tokenEndpoint) {
      throw new Error(`the issuer's discovery document ${url} names no authorization_endpoint or token_endpoint`);
    }
    const methods = doc.code_challenge_methods_supported;
    if (Array.isArray(methods) && !methods.includes('S256')) {
      throw new Error(`the issuer ${issuer} does not support PKCE with S256`);
    }
    const resource = (Array.isArray(audience) ? audience : [audience]).find((a) => httpUrl(a));
    return {
      issuer,
      clientId,
      authorizationEndpoint,
      tokenEndpoint,
      scope: [...new Set(['openid', ...(scopes ?? [])])].join(' '),
      ...(resource ? { resource } : {}),
    };
  }
}

function httpUrl(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  try {
    return /^https?:$/.test(new URL(v).protocol) ? v : undefined;
  } catch {
    return undefined;
  }
}
