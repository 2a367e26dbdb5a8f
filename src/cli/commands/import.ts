/**
 * `mcp-proxy import --from CLIENT|FILE`: moves a client's servers
 * behind the proxy (see src/generate/importer.ts).
 */
import { CLIENTS } from '../../generate/clients.js';
import type { ImportArgs } from '../args.js';
import { credentialOptions } from '../credentialOptions.js';
import type { CommandSpec } from '../types.js';

export const importCommand: CommandSpec<ImportArgs> = {
  command: 'import',
  describe: "Import a client's MCP servers into the proxy config (secrets into the credentials file)",
  builder: (y) =>
    credentialOptions(
      y
        .option('from', {
          type: 'string',
          demandOption: `name the client (${CLIENTS.join(', ')}) or a config file`,
          describe: `${CLIENTS.join(' | ')} | FILE`,
        })
        .option('config', {
          alias: 'c',
          type: 'string',
          describe:
            'The proxy config to add them to (default: the one `run` finds, else ~/.config/mcp-proxy/config.json)',
        })
        .option('write', {
          type: 'boolean',
          describe: 'Also replace the imported servers in the client config with the one proxy entry (backup kept)',
        })
        .option('yes', { alias: 'y', type: 'boolean', describe: 'Move literal secrets without asking' })
        .option('dry-run', { type: 'boolean', describe: 'Show what would change (a diff); write nothing' })
        .option('project', { type: 'boolean', describe: "The client's project file instead of its global one" })
        .option('client', {
          type: 'string',
          choices: CLIENTS,
          describe: 'With --from FILE --write: the dialect of the proxy entry to write',
        })
        .option('deployment', {
          type: 'string',
          choices: ['binary', 'npx', 'docker', 'node'],
          describe: 'With --write: how the client starts the proxy (default: how this copy runs)',
        })
        .option('image', { type: 'string', describe: 'With --deployment docker: the proxy image' })
        .example('$0 import --from claude-desktop --dry-run', 'show the plan')
        .example('$0 import --from claude-desktop --write --yes', 'move everything behind the proxy'),
    ),
  async handler(args, ctx) {
    const impl = await import('../onboarding/import.js');
    return impl.importServers(args, ctx);
  },
};
