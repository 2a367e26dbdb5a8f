/**
 * OIDC access tokens (JWTs) validated with `jose` against the issuer's JWKS: signature, issuer, audience,
 * expiry (required) and not-before, with a clock skew allowance. The key set is fetched on first use and
 * refetched when a token names a key id it does not hold (key rotation), at most once per cooldown.
 */
import { createRemoteJWKSet, type JWTPayload, errors as joseErrors, jwtVerify } from 'jose';
import { errorMessage } from '../errors.js';
import type { Identity } from './identity.js';

export interface OidcSettings {
  issuer: string;
  audience: string | string[];
  /** Default: the issuer's discovery document's `jwks_uri`. */
  jwksUri?: string;
  /** The claim holding the caller's roles (a string or a list; default "roles"). */
  rolesClaim?: string;
  /** Seconds of clock difference tolerated on exp/nbf/iat (default 30). */
  clockTolerance?: number;
  algorithms?: string[];
}

export interface OidcOptions {
  /** Minimum time between two JWKS fetches, ms (jose's default 30 s; tests shorten it). */
  cooldownMs?: number;
  onReject?: (why: string) => void;
}

/** A compact JWS: three base64url parts. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}

export class OidcVerifier {
  private jwks?: ReturnType<typeof createRemoteJWKSet>;
  private discovering?: Promise<ReturnType<typeof createRemoteJWKSet>>;

  constructor(
    readonly settings: OidcSettings,
    private readonly opts: OidcOptions = {},
  ) {}

  /** The identity a token proves, or undefined (bad signature, wrong issuer/audience, expired...). */
  async verify(token: string): Promise<Identity | undefined> {
    try {
      const jwks = await this.keySet();
      const { payload } = await jwtVerify(token, jwks, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        clockTolerance: this.settings.clockTolerance ?? 30,
        requiredClaims: ['exp'],
        ...(this.settings.algorithms ? { algorithms: this.settings.algorithms } : {}),
      });
      return this.identityOf(payload);
    } catch (e) {
      this.opts.onReject?.(rejection(e));
      return undefined;
    }
  }

  private identityOf(payload: JWTPayload): Identity | undefined {
    const subject = payload.sub ?? (payload.client_id as string | undefined);
    if (!subject) {
      this.opts.onReject?.('the token has no "sub" (or "client_id") claim');
      return undefined;
    }
    const raw = payload[this.settings.rolesClaim ?? 'roles'];
    const roles =
      typeof raw === 'string' ? raw.split(/[\s,]+/).filter(Boolean) : Array.isArray(raw) ? raw.map(String) : [];
    return { id: `oidc:${subject}`, kind: 'oidc', roles, claims: { ...payload } };
  }

  private async keySet(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    if (this.jwks) return this.jwks;
    this.discovering ??= this.discover().finally(() => {
      this.discovering = undefined;
    });
    this.jwks = await this.discovering;
    return this.jwks;
  }

  private async discover(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    let uri = this.settings.jwksUri;
    if (!uri) {
      const url = `${this.settings.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`the issuer's discovery document ${url} answered ${res.status}`);
      uri = ((await res.json()) as { jwks_uri?: string }).jwks_uri;
      if (!uri) throw new Error(`the issuer's discovery document ${url} names no jwks_uri`);
    }
    return createRemoteJWKSet(new URL(uri), {
      ...(this.opts.cooldownMs !== undefined ? { cooldownDuration: this.opts.cooldownMs } : {}),
    });
  }
}

/** Why a token was refused, for the debug log (never the token). */
function rejection(e: unknown): string {
  if (e instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (e instanceof joseErrors.JWTClaimValidationFailed) return `claim "${e.claim}" failed: ${e.reason}`;
  if (e instanceof joseErrors.JWKSNoMatchingKey) return 'no key of the issuer matches the token';
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return 'the signature does not verify';
  return errorMessage(e);
}
