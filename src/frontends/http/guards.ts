/**
 * What every request but /health passes before it reaches a route, in this order: Host and Origin
 * validation (DNS rebinding), CORS for configured origins (and the preflight answer), the per-client rate
 * limit, then the bearer token. The checks themselves are in security.ts; this applies them to a request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Authenticator } from './auth.js';
import type { ClientAddressOf } from './clientAddress.js';
import { header, sendRpcError } from './responses.js';
import { checkHost, checkOrigin, type Identity, isConfiguredOrigin, RateLimiter, type Rejection } from './security.js';

export interface RateLimitOptions {
  windowMs: number;
  max: number;
}

export interface GuardOptions {
  auth: Authenticator;
  allowedHosts?: string[];
  allowedOrigins?: string[];
  rateLimit?: RateLimitOptions;
  /** Requests per identity (after authentication); absent = no per-identity limit. */
  perIdentity?: RateLimitOptions;
  /** Told of each request refused by the per-identity limit (the metrics count it). */
  onIdentityLimited?: (identity: Identity) => void;
  /** The address a request is counted on (the socket's peer, or the client behind a trusted proxy). */
  clientOf: ClientAddressOf;
  now: () => number;
}

/** A request that passed: who sent it, from where, and the CORS headers its answer carries (already set on it). */
export interface Admitted {
  identity: Identity;
  client: string;
  cors: Record<string, string>;
}

const MCP_HEADERS =
  'Content-Type, Authorization, Mcp-Session-Id, Mcp-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID';

/** The CORS headers of a request from no configured origin: none, one shared (frozen) object for all. */
const NO_CORS: Record<string, string> = Object.freeze({});
const MAX_REMEMBERED_HOSTS = 64;

export class RequestGuard {
  private readonly limiter?: RateLimiter;
  private readonly identityLimiter?: RateLimiter;
  private readonly passedHosts = new Set<string>();

  constructor(private readonly opts: GuardOptions) {
    const rl = opts.rateLimit;
    if (rl) this.limiter = new RateLimiter(rl.windowMs, rl.max, opts.now);
    const pi = opts.perIdentity;
    if (pi) this.identityLimiter = new RateLimiter(pi.windowMs, pi.max, opts.now);
  }

  /**
   * Host, Origin and CORS (and the preflight answer): true when the request may go on. The metadata
   * document is served after these, without a credential: it is how a client learns to get one.
   */
  screen(req: IncomingMessage, res: ServerResponse, method: string): Record<string, string> | undefined {
    const rejected =
      this.checkHost(header(req, 'host')) ?? checkOrigin(header(req, 'origin'), this.opts.allowedOrigins);
    if (rejected) {
      sendRpcError(res, rejected.status, rejected.message);
      return undefined;
    }

    const cors = this.corsHeaders(req);
    if (cors !== NO_CORS) for (const k in cors) res.setHeader(k, cors[k]!);
    if (method === 'OPTIONS') {
      if (cors['access-control-allow-origin']) {
        res.setHeader('access-control-allow-methods', 'GET, POST, DELETE, OPTIONS');
        res.setHeader('access-control-allow-headers', MCP_HEADERS);
        res.setHeader('access-control-max-age', '600');
      }
      res.writeHead(204);
      res.end();
      return undefined;
    }
    return cors;
  }

  /**
   * The request's identity, or undefined when it was refused (answered already). Synchronous unless the
   * authenticator is (token introspection): the hot path waits on nothing it does not have to.
   */
  admit(
    req: IncomingMessage,
    res: ServerResponse,
    cors: Record<string, string>,
  ): Admitted | undefined | Promise<Admitted | undefined> {
    const client = this.opts.clientOf(req);
    const wait = this.limiter?.hit(client);
    if (wait !== undefined) return tooMany(res, wait, 'retry after');

    const authorization = header(req, 'authorization');
    const identity = this.opts.auth.identify(authorization);
    if (identity instanceof Promise) {
      return identity.then((known) => this.admitted(req, res, authorization, known, client, cors));
    }
    return this.admitted(req, res, authorization, identity, client, cors);
  }

  private admitted(
    req: IncomingMessage,
    res: ServerResponse,
    authorization: string | undefined,
    identity: Identity | undefined,
    client: string,
    cors: Record<string, string>,
  ): Admitted | undefined {
    if (!identity) {
      res.setHeader('www-authenticate', this.opts.auth.challenge(req, authorization !== undefined));
      sendRpcError(
        res,
        401,
        'Unauthorized: send "Authorization: Bearer <token>" with a token the proxy accepts',
        -32001,
      );
      return undefined;
    }
    // Counted once the caller is known: each identity has its own budget, whatever address it comes from.
    const identityWait = this.identityLimiter?.hit(identity.id);
    if (identityWait !== undefined) {
      this.opts.onIdentityLimited?.(identity);
      return tooMany(
        res,
        identityWait,
        'this identity sent more requests than proxy.limits.perIdentity allows; retry after',
      );
    }
    return { identity, client, cors };
  }

  /** Forgets rate-limit windows that have passed. */
  sweep(): void {
    this.limiter?.sweep();
    this.identityLimiter?.sweep();
  }

  /**
   * checkHost parses the header as a URL; a client sends the same Host on every request, so the ones
   * that passed are remembered (a bounded set: a flood of made-up names only empties it).
   */
  private checkHost(host: string | undefined): Rejection | undefined {
    if (host !== undefined && this.passedHosts.has(host)) return undefined;
    const rejected = checkHost(host, this.opts.allowedHosts);
    if (rejected || host === undefined) return rejected;
    if (this.passedHosts.size >= MAX_REMEMBERED_HOSTS) this.passedHosts.clear();
    this.passedHosts.add(host);
    return undefined;
  }

  private corsHeaders(req: IncomingMessage): Record<string, string> {
    const origin = header(req, 'origin');
    if (!isConfiguredOrigin(origin, this.opts.allowedOrigins)) return NO_CORS;
    return {
      'access-control-allow-origin': origin!,
      vary: 'Origin',
      'access-control-expose-headers': 'Mcp-Session-Id, Mcp-Protocol-Version, WWW-Authenticate',
    };
  }
}

function tooMany(res: ServerResponse, wait: number, why: string): undefined {
  res.setHeader('retry-after', String(wait));
  sendRpcError(res, 429, `Too Many Requests: ${why} ${wait} s`);
  return undefined;
}
