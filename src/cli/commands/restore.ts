/**
 * `mcp-proxy restore --client X [--backup FILE]`: puts back a client config that `--write` replaced
 * (the latest backup by default), keeping a backup of what it replaces.
 */

import type { RestoreArgs } from '../args.js';
import { credentialOptions } from '../credentialOptions.js';
import type { CommandSpec } from '../types.js';

export const restoreCommand: CommandSpec<RestoreArgs> = {
  command: 'restore',
  describe: "Put back a client's config from a backup that --write made (latest by default)",
  builder: (y) =>
    credentialOptions(
      y
        .option('client', { type: 'string', describe: 'The client whose config to restore' })
        .option('file', { type: 'string', describe: 'Or: the config file itself (as given to import --from FILE)' })
        .option('project', { type: 'boolean', describe: "The client's project file instead of its global one" })
        .option('backup', { type: 'string', describe: 'The backup to restore (default: the latest)' })
        .option('list', { type: 'boolean', describe: 'List the backups, restore nothing' })
        .example('$0 restore --client claude-desktop', 'undo the last --write to Claude Desktop')
        .example('$0 restore --client cursor --list', 'show the backups'),
    ),
  async handler(args, ctx) {
    const impl = await import('../restoreAction.js');
    return impl.restoreClientConfig(args, ctx);
  },
};
