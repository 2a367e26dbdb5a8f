/**
 * `mcp-proxy keys create NAME [--role R]... [--profile P] [--expires 30d] | list | revoke NAME`: named API
 * keys for the HTTP frontend. `create` prints the key once (stdout; nothing else goes there); the file
 * keeps only its hash. A running proxy follows the file: a revoked key stops working at once.
 */
import type { CredentialArgs } from '../credentialOptions.js';
import { configOption, credentialOptions } from '../credentialOptions.js';
import type { CommandSpec } from '../types.js';

export interface KeysArgs extends CredentialArgs {
  action?: 'create' | 'list' | 'revoke';
  name?: string;
  role?: string[];
  profile?: string;
  expires?: string;
  keysFile?: string;
  config?: string;
  json?: boolean;
}

export const keysCommand: CommandSpec<KeysArgs> = {
  command: 'keys [action] [name]',
  describe: 'Named API keys for the HTTP frontend (create NAME | list | revoke NAME)',
  builder: (y) =>
    credentialOptions(
      configOption(
        y
          .positional('action', { choices: ['create', 'list', 'revoke'] as const, describe: 'What to do' })
          .positional('name', { type: 'string', describe: 'The key name (a person or a client), e.g. alice' })
          .option('role', { type: 'string', array: true, describe: 'A role for proxy.access rules (repeatable)' })
          .option('profile', { type: 'string', describe: 'Bind the key to a profile (proxy.access.profiles)' })
          .option('expires', { type: 'string', describe: 'Lifetime: 30d, 12h, 2w, 1y (default: none)' })
          .option('keys-file', {
            type: 'string',
            normalize: true,
            describe: 'The keys file (default: proxy.auth.keysFile, else keys.json beside the credentials file)',
          })
          .option('json', { type: 'boolean', describe: 'Machine-readable output' }),
      )
        .example('$0 keys create alice --role dev --expires 90d', 'prints the new key once')
        .example('$0 keys revoke alice', 'a running proxy refuses it from now on'),
    ),
  async handler(args, ctx) {
    const { keysAction } = await import('../keysActions.js');
    return keysAction(args, ctx);
  },
};
