/**
 * The HTTP frontend's safety checks: Host/Origin validation (DNS rebinding), bearer tokens compared in
 * constant time, a per-client rate limit, and the refusal to bind a non-loopback address without auth.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { localhostAllowedHostnames, validateHostHeader, validateOriginHeader } from '@modelcontextprotocol/server';
import { AppError } from '../../errors.js';
import { ANONYMOUS, type Identity } from '../../gateway/identity.js';

/** Host names a loopback-bound proxy accepts by default (no port; IPv6 in brackets). */
export function loopbackHostnames(): string[] {
  return localhostAllowedHostnames();
}

/** True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (h.startsWith('::ffff:')) return h.slice(7).startsWith('127.');
  return false;
}

/**
 * Refuses to serve a non-loopback address without a token unless the user explicitly allowed it
 * (`proxy.http.allowUnauthenticated` / `--allow-unauthenticated`).
 */
export function assertSafeBind(host: string, tokens: readonly string[], allowUnauthenticated = false): void {
  if (isLoopbackHost(host) || tokens.length > 0 || allowUnauthenticated) return;
  throw new AppError('HTTP_UNSAFE_BIND', `refusing to serve ${host} without authentication`, {
    hint:
      'set the MCP_PROXY_TOKEN credential (clients then send "Authorization: Bearer <token>"), bind 127.0.0.1, ' +
      'or set proxy.http.allowUnauthenticated: true if something in front of the proxy authenticates',
  });
}

/**
 * Host header allowlist: the configured names, or the loopback names when bound to loopback.
 * `undefined` means "any host" (a non-loopback bind without a configured list; auth guards it).
 */
export function defaultAllowedHosts(bindHost: string, configured?: string[]): string[] | undefined {
  if (configured && configured.length > 0) return configured.map(normalizeHostname);
  if (isLoopbackHost(bindHost)) return loopbackHostnames();
  return undefined;
}

function normalizeHostname(h: string): string {
  const v = h.trim().toLowerCase();
  if (v.includes(':') && !v.startsWith('[') && isIP(v) === 6) return `[${v}]`;
  return v;
}

export type Rejection = { status: number; message: string };

/** Validates Host against the allowlist (when there is one). */
export function checkHost(hostHeader: string | undefined, allowed: string[] | undefined): Rejection | undefined {
  if (!allowed) return undefined;
  const r = validateHostHeader(hostHeader, allowed);
  if (r.ok) return undefined;
  return { status: 403, message: `Forbidden: ${r.message}` };
}

/**
 * Validates Origin when present: browsers send it on cross-origin requests, non-browser clients don't.
 * Allowed: the configured origins' hostnames, plus the loopback names.
 */
export function checkOrigin(
  originHeader: string | undefined,
  allowedOrigins: string[] | undefined,
): Rejection | undefined {
  if (originHeader === undefined || originHeader === '') return undefined;
  const r = validateOriginHeader(originHeader, originHostnames(allowedOrigins));
  if (r.ok) return undefined;
  return { status: 403, message: `Forbidden: ${r.message}` };
}

/** `https://app.example.com:8443` -> `app.example.com`; bare names pass through. */
export function originHostnames(allowedOrigins: string[] | undefined): string[] {
  const out = new Set(loopbackHostnames());
  for (const o of allowedOrigins ?? []) {
    const v = o.trim();
    if (/^[a-z][a-z0-9+.-]*:\/\/\*$/i.test(v)) {
      out.add(v.toLowerCase());
      continue;
    }
    try {
      out.add(new URL(v.includes('://') ? v : `http://${v}`).hostname.toLowerCase());
    } catch {
      out.add(v.toLowerCase());
    }
  }
  return [...out];
}

/** True when this request's Origin is one the operator explicitly configured (used for CORS). */
export function isConfiguredOrigin(originHeader: string | undefined, allowedOrigins: string[] | undefined): boolean {
  if (!originHeader || !allowedOrigins || allowedOrigins.length === 0) return false;
  const r = validateOriginHeader(originHeader, originHostnames(allowedOrigins));
  return r.ok;
}

export type { Identity } from '../../gateway/identity.js';
export { ANONYMOUS } from '../../gateway/identity.js';

/** Bearer-token check in constant time: tokens are hashed so neither content nor length leaks. */
export class TokenVerifier {
  private readonly digests: Buffer[];
  private readonly identities: Identity[];

  constructor(tokens: readonly string[]) {
    this.digests = tokens.filter((t) => t.length > 0).map(sha256);
    // A keyed fingerprint with a per-process key: it tells sessions apart without being a stable,
    // offline-guessable hash of the token.
    const key = randomBytes(32);
    this.identities = this.digests.map((d) =>
      Object.freeze({
        id: `token:${createHmac('sha256', key).update(d).digest('hex').slice(0, 32)}`,
        kind: 'token' as const,
        roles: [],
      }),
    );
  }

  get enabled(): boolean {
    return this.digests.length > 0;
  }

  /** The Authorization header value -> whether it carries one of the tokens. */
  verify(authorization: string | undefined): boolean {
    return this.identify(authorization) !== undefined;
  }

  /** The Authorization header value -> the identity it proves (anonymous when auth is off), or undefined. */
  identify(authorization: string | undefined): Identity | undefined {
    if (!this.enabled) return ANONYMOUS;
    const token = bearerToken(authorization);
    return token === undefined ? undefined : this.match(token);
  }

  /** The shared token's identity when `token` is one of them. */
  match(token: string): Identity | undefined {
    if (!this.enabled) return undefined;
    const presented = sha256(token);
    let matched = -1;
    // Compare against every token (no early exit) so timing does not reveal which one matched.
    for (let i = 0; i < this.digests.length; i++) {
      if (timingSafeEqual(presented, this.digests[i]!) && matched < 0) matched = i;
    }
    return matched < 0 ? undefined : this.identities[matched];
  }
}

/** `Authorization: Bearer <token>` -> the token. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const m = /^Bearer[ \t]+(\S+)\s*$/i.exec(authorization);
  return m ? m[1] : undefined;
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** A fixed-window request counter per client address. */
export class RateLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly windowMs: number,
    private readonly max: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request; returns undefined when allowed, or the seconds to wait. */
  hit(key: string): number | undefined {
    const t = this.now();
    let w = this.windows.get(key);
    if (!w || w.resetAt <= t) {
      w = { count: 0, resetAt: t + this.windowMs };
      this.windows.set(key, w);
    }
    w.count++;
    if (w.count <= this.max) return undefined;
    return Math.max(1, Math.ceil((w.resetAt - t) / 1000));
  }

  /** Drops expired windows (called from the app's sweep timer). */
  sweep(): void {
    const t = this.now();
    for (const [k, w] of this.windows) if (w.resetAt <= t) this.windows.delete(k);
  }
}
