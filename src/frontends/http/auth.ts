/**
 * Who sent a request: the shared bearer tokens (MCP_PROXY_TOKEN), named API keys, OIDC access tokens, in
 * that order; `anonymous` when none is configured. And how a client finds out how to sign in: the OAuth
 * 2.0 Protected Resource Metadata (RFC 9728) document, named by the 401's `WWW-Authenticate` header as
 * the MCP authorization spec describes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ANONYMOUS, type Identity } from '../../gateway/identity.js';
import { KEY_PREFIX, type KeyStore } from '../../gateway/keys.js';
import { looksLikeJwt, type OidcVerifier } from '../../gateway/oidc.js';
import { header, sendJson } from './responses.js';
import { bearerToken, TokenVerifier } from './security.js';

export interface AuthOptions {
  /** Shared bearer tokens; empty or absent = none. */
  tokens: string[];
  /** Named API keys (followed live). */
  keys?: KeyStore;
  oidc?: OidcVerifier;
  /** The public URL of /mcp (default: from the request's Host header). */
  resource?: string;
  /** Scopes advertised in the metadata document. */
  scopes?: string[];
}

export const METADATA_PATH = '/.well-known/oauth-protected-resource';

export class Authenticator {
  private readonly shared: TokenVerifier;

  constructor(private readonly opts: AuthOptions) {
    this.shared = new TokenVerifier(opts.tokens);
  }

  /** Whether requests must prove an identity (a key created later turns it on). */
  get required(): boolean {
    return this.shared.enabled || (this.opts.keys?.size ?? 0) > 0 || this.opts.oidc !== undefined;
  }

  /** The identity the Authorization header proves, or undefined when it proves none. */
  identify(authorization: string | undefined): Identity | undefined | Promise<Identity | undefined> {
    if (!this.required) return ANONYMOUS;
    const token = bearerToken(authorization);
    if (token === undefined) return undefined;
    const shared = this.shared.match(token);
    if (shared) return shared;
    if (this.opts.keys && token.startsWith(KEY_PREFIX)) return this.opts.keys.verify(token);
    if (this.opts.oidc && looksLikeJwt(token)) return this.opts.oidc.verify(token);
    return undefined;
  }

  /** The `WWW-Authenticate` value of a 401 (RFC 6750 + RFC 9728's resource_metadata). */
  challenge(req: IncomingMessage, presented: boolean): string {
    const error = presented ? ', error="invalid_token"' : '';
    return `Bearer realm="mcp-proxy", resource_metadata="${metadataUrl(this.resource(req))}"${error}`;
  }

  /** The RFC 9728 document for /mcp. */
  serveMetadata(req: IncomingMessage, res: ServerResponse): void {
    const oidc = this.opts.oidc?.settings;
    res.setHeader('cache-control', 'max-age=300');
    sendJson(res, 200, {
      resource: this.resource(req),
      ...(oidc ? { authorization_servers: [oidc.issuer] } : {}),
      bearer_methods_supported: ['header'],
      ...(this.opts.scopes?.length ? { scopes_supported: this.opts.scopes } : {}),
      resource_name: 'mcp-proxy',
    });
  }

  private resource(req: IncomingMessage): string {
    if (this.opts.resource) return this.opts.resource;
    const proto = header(req, 'x-forwarded-proto') === 'https' ? 'https' : 'http';
    return `${proto}://${header(req, 'host') ?? 'localhost'}/mcp`;
  }
}

/** RFC 9728 section 3.1: the well-known path goes between the host and the resource's path. */
export function metadataUrl(resource: string): string {
  const u = new URL(resource);
  const path = u.pathname === '/' ? '' : u.pathname.replace(/\/$/, '');
  return `${u.origin}${METADATA_PATH}${path}`;
}
