/**
 * OAuth logins as the CLI sees them: where the token files are for this command line, the exact
 * `auth login` command to tell the user, and the runtime every upstream pool uses.
 */
import path from 'node:path';
import { defaultSecretsDir, shellQuote } from '../credentials/sources.js';
import type { Logger } from '../observability/logger.js';
import { OAuthRuntime } from '../upstream/oauth/runtime.js';
import { oauthDirFor, TokenStore } from '../upstream/oauth/tokenStore.js';
import type { CliContext } from './context.js';
import { type CredentialArgs, credentialChainFor } from './credentialOptions.js';

export interface LoginArgs extends CredentialArgs {
  config?: string;
}

/** The token files live beside the credentials file (`--credentials` moves both). */
export function tokenStoreFor(args: LoginArgs, ctx: CliContext): TokenStore {
  const chain = credentialChainFor(args, ctx);
  return new TokenStore({
    dir: oauthDirFor(chain.credentialsFile),
    secretsDir: defaultSecretsDir(ctx.env),
    platform: ctx.platform,
  });
}

/** `mcp-proxy auth login NAME`, with the --config/--credentials this proxy was started with. */
export function loginCommand(server: string, args: LoginArgs, ctx: CliContext): string {
  const cli = ctx.deployment.kind === 'npx' ? 'npx mcp-proxy-server' : 'mcp-proxy';
  const abs = (p: string) => shellQuote(path.resolve(ctx.cwd, p));
  const config = args.config ? ` --config ${abs(args.config)}` : '';
  const credentials = args.credentials ? ` --credentials ${abs(args.credentials)}` : '';
  return `${cli} auth login ${server}${config}${credentials}`;
}

export function oauthRuntimeFor(args: LoginArgs, ctx: CliContext, logger: Logger): OAuthRuntime {
  return new OAuthRuntime({
    store: tokenStoreFor(args, ctx),
    logger,
    register: (secret) => ctx.redactor.add(secret),
    loginCommand: (server) => loginCommand(server, args, ctx),
  });
}
