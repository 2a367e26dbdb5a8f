/**
 * The credential options every command that resolves `${VAR}` declares the same way, and the chain
 * built from them. `run`, `validate` and `credentials` use these.
 */
import type { Argv } from 'yargs';
import { type CredentialChain, createCredentialChain } from '../credentials/chain.js';
import type { CliContext } from './context.js';

export interface CredentialArgs {
  /** `--credentials FILE` */
  credentials?: string;
  /** `--env-file FILE` */
  envFile?: string;
}

/** Adds `--credentials FILE` and `--env-file FILE`. */
export function credentialOptions<T>(y: Argv<T>): Argv<T & CredentialArgs> {
  return y
    .option('credentials', {
      type: 'string',
      describe: 'Credentials file, a JSON object of NAME to value (default ~/.config/mcp-proxy/credentials.json)',
      normalize: true,
    })
    .option('env-file', {
      type: 'string',
      describe: '.env file with NAME=value lines (default ./.env); read into a copy, never into our environment',
      normalize: true,
    }) as Argv<T & CredentialArgs>;
}

/** The credential chain for this command line and context (values it finds are registered with ctx.redactor). */
export function credentialChainFor(args: CredentialArgs, ctx: CliContext): CredentialChain {
  return createCredentialChain({
    deployment: ctx.deployment,
    env: ctx.env,
    cwd: ctx.cwd,
    homedir: ctx.homedir,
    platform: ctx.platform,
    credentialsFile: args.credentials,
    envFile: args.envFile,
    redactor: ctx.redactor,
  });
}

/** Config-loading options whose `${VAR}` lookups go through the credential chain. */
export function configLoadOptions(config: string | undefined, chain: CredentialChain, ctx: CliContext) {
  return {
    path: config,
    env: ctx.env,
    cwd: ctx.cwd,
    homedir: ctx.homedir,
    platform: ctx.platform,
    lookup: (name: string) => chain.lookup(name),
    describeMissing: (name: string) => chain.describeMissing(name),
  };
}

/** `--config FILE` for the commands that read the proxy's config through the usual search. */
export function configOption<T>(y: Argv<T>): Argv<T & { config?: string }> {
  return y.option('config', {
    alias: 'c',
    type: 'string',
    describe: 'Config file (default: $MCP_PROXY_CONFIG, ./mcp-proxy.json, ~/.config/mcp-proxy/config.json)',
  }) as Argv<T & { config?: string }>;
}
