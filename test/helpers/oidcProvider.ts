/**
 * A real OpenID provider (the `oidc-provider` package) on 127.0.0.1: it issues signed JWT access tokens
 * (RFC 9068, resource indicators) by the client-credentials grant, and, for public clients added with
 * `addPublicClient`, by the authorization code grant with PKCE (its development login page: any login,
 * any password). `rotate()` replaces its signing key (a new provider behind the same issuer URL), as an
 * identity provider rotating its keys does.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

export interface TestOidcProvider {
  issuer: string;
  /** A client-credentials access token for `resource` (its audience), with `scope` and `roles`. */
  token(opts: { resource: string; scope?: string; client?: string }): Promise<string>;
  /** The access-token lifetime of the next tokens, s. */
  ttl: number;
  /** Signs with a new key from now on; the old one is gone from the JWKS. */
  rotate(): Promise<void>;
  /** A browser client (no secret, PKCE) allowed to redirect to `redirectUri`. */
  addPublicClient(clientId: string, redirectUri: string): Promise<void>;
  close(): Promise<void>;
}

const CLIENTS = ['alice-cli', 'bob-cli'];

async function signingKey(kid: string) {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
}

export async function startOidcProvider(roles: Record<string, string[]> = {}): Promise<TestOidcProvider> {
  let current: Provider | undefined;
  const server: Server = createServer((req, res) => current!.callback()(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const state = { ttl: 300, generation: 0 };
  const publicClients: { client_id: string; redirect_uris: string[] }[] = [];

  const make = async () => {
    const key = await signingKey(`k${++state.generation}`);
    const provider = new Provider(issuer, {
      clients: [
        ...CLIENTS.map((id) => ({
          client_id: id,
          client_secret: `${id}-secret`,
          grant_types: ['client_credentials'],
          redirect_uris: [],
          response_types: [],
        })),
        ...publicClients.map((c) => ({
          ...c,
          token_endpoint_auth_method: 'none' as const,
          grant_types: ['authorization_code'],
          response_types: ['code' as const],
        })),
      ],
      jwks: { keys: [key] },
      ttl: {
        ClientCredentials: (_ctx, token) =>
          (token as { resourceServer?: { accessTokenTTL?: number } }).resourceServer?.accessTokenTTL ?? state.ttl,
      },
      features: {
        devInteractions: { enabled: publicClients.length > 0 },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          getResourceServerInfo: async () => ({
            scope: 'mcp:tools memory:read',
            accessTokenFormat: 'jwt',
            accessTokenTTL: state.ttl,
            jwt: { sign: { alg: 'RS256' } },
          }),
        },
      },
      // Roles by the signed-in account (authorization code) or else by the client (client credentials).
      extraTokenClaims: async (_ctx, token) => {
        const t = token as { clientId?: string; accountId?: string };
        const granted = roles[t.accountId ?? ''] ?? roles[t.clientId ?? ''];
        return granted ? { roles: granted } : undefined;
      },
    });
    // Quiet: the provider's own warnings about a development setup.
    provider.on('server_error', () => {});
    current = provider;
  };
  await make();

  return {
    issuer,
    get ttl() {
      return state.ttl;
    },
    set ttl(v: number) {
      state.ttl = v;
    },
    async token({ resource, scope = 'mcp:tools', client = CLIENTS[0] }) {
      const res = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${client}:${client}-secret`).toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope }).toString(),
      });
      const body = (await res.json()) as { access_token?: string; error_description?: string };
      if (!body.access_token) throw new Error(`token endpoint: ${res.status} ${body.error_description ?? ''}`);
      return body.access_token;
    },
    rotate: make,
    async addPublicClient(clientId, redirectUri) {
      publicClients.push({ client_id: clientId, redirect_uris: [redirectUri] });
      await make();
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
