/**
 * The team gateway's parts for `run`: the live access policy (both frontends; over stdio only a
 * profile applies), and for HTTP the identities besides the shared token: API keys (the file followed
 * live) and OIDC access tokens.
 */
import path from 'node:path';
import type { AuthConfig, ProxyConfig } from '../../config/schema.js';
import { AppError } from '../../errors.js';
import { AccessControl } from '../../gateway/access.js';
import { defaultKeysFile, KeyStore } from '../../gateway/keys.js';
import { OidcVerifier } from '../../gateway/oidc.js';
import type { Logger } from '../../observability/logger.js';

export interface HttpIdentities {
  keys: KeyStore;
  oidc?: OidcVerifier;
  resource?: string;
  scopes?: string[];
  close(): void;
}

/** The policy; a profile named on the command line must exist. */
export function createAccess(proxy: ProxyConfig, profile: string | undefined): AccessControl {
  const access = new AccessControl(proxy.access);
  const problem = profile === undefined ? undefined : access.checkProfile(profile);
  if (problem) throw new AppError('USAGE', `--profile: ${problem}`, { hint: 'add it under proxy.access.profiles' });
  return access;
}

export function createHttpIdentities(
  auth: AuthConfig | undefined,
  where: { configPath?: string; credentialsFile: string },
  logger: Logger,
): HttpIdentities {
  const log = logger.child({ component: 'auth' });
  const file = auth?.keysFile
    ? path.resolve(where.configPath ? path.dirname(where.configPath) : '.', auth.keysFile)
    : defaultKeysFile(where.credentialsFile);
  const keys = new KeyStore(file, { onError: (m) => log.error(`${m}; the keys read before are still accepted`) });
  keys.watch();
  const oidc = auth?.oidc
    ? new OidcVerifier(auth.oidc, { onReject: (why) => log.debug({ why }, 'OIDC token refused') })
    : undefined;
  return { keys, oidc, resource: auth?.resource, scopes: auth?.oidc?.scopes, close: () => keys.close() };
}
