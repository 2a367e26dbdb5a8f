/**
 * `mcp-proxy credentials check|set|list`.
 *
 *  check  every variable the config references: where it was found (source and path), value masked;
 *         `${VAR:-default}` ones that are unset are marked "default"; exit 3 when a required one is missing.
 *  set    NAME: stores a value read from stdin (piped) or a hidden prompt, never from argv, in the
 *         credentials file (directory 0700, file 0600, atomic replace).
 *  list   names in the credentials file, .env file and Docker secrets, with their source, masked.
 */

import { type CredentialArgs, credentialOptions } from '../credentialOptions.js';
import type { CommandSpec } from '../types.js';

interface CredentialsCommandArgs extends CredentialArgs {
  action?: 'check' | 'set' | 'list';
  name?: string;
  /** Caught only to refuse it: values never come from argv (shell history, `ps`). */
  value?: string[];
  config?: string;
  json?: boolean;
}

export const credentialsCommand: CommandSpec<CredentialsCommandArgs> = {
  command: 'credentials [action] [name] [value..]',
  describe: 'Check, set or list the credentials the config needs (check | set NAME | list)',
  builder: (y) =>
    credentialOptions(
      y
        .positional('action', {
          choices: ['check', 'set', 'list'] as const,
          describe: 'check: what the config needs and where each was found; set NAME: store a value; list',
        })
        .positional('name', { type: 'string', describe: 'Variable name for `set`, e.g. GITHUB_TOKEN' })
        .positional('value', { hidden: true, type: 'string', array: true })
        .option('config', { alias: 'c', type: 'string', describe: 'Config file (for check)' })
        .option('json', { type: 'boolean', describe: 'Machine-readable output (check, list)' })
        .example('$0 credentials check --config mcp-proxy.json', 'what is needed, where each value was found')
        .example('printf %s "$TOKEN" | $0 credentials set GITHUB_TOKEN', 'store a value read from stdin')
        .example('$0 credentials set GITHUB_TOKEN', 'prompt for the value (not echoed)'),
    ),
  async handler(args, ctx) {
    const { AppError } = await import('../../errors.js');
    if (!args.action) {
      throw new AppError('USAGE', 'name an action: credentials check, credentials set NAME or credentials list', {
        hint: 'run `mcp-proxy credentials --help`',
      });
    }
    if (args.value?.length) {
      // Do not echo it back: it is probably a secret, and it is now in the shell history.
      throw new AppError(
        'USAGE',
        'credentials take no value on the command line (it would stay in the shell history)',
        {
          hint: `pipe it in: \`printf %s "$VALUE" | mcp-proxy credentials ${args.action} ${args.name ?? 'NAME'}\`, or omit it to be prompted`,
        },
      );
    }
    const impl = await import('../credentialsActions.js');
    if (args.action === 'set') return impl.setCredential(args, ctx);
    if (args.action === 'list') return impl.listCredentials(args, ctx);
    return impl.checkCredentials(args, ctx);
  },
};
