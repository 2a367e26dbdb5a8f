// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are what these commands write
/**
 * `mcp-proxy add | remove | enable | disable | list`: manage the config's servers without editing it
 * by hand. The file is edited in place (comments and formatting kept), checked with the proxy's own
 * loader, backed up and written atomically; a running proxy picks the change up through live reload.
 * The work is in serversRun.ts, loaded only when one of these runs.
 */

import type { AddArgs, ListArgs, ServerNameArgs } from '../args.js';
import { configOption, credentialOptions } from '../credentialOptions.js';
import type { CommandSpec } from '../types.js';

export const addCommand: CommandSpec<AddArgs> = {
  command: 'add <name> [command..]',
  describe: 'Add a server to the config: add NAME -- CMD ARGS | --url URL | --type docker --image IMG',
  builder: (y) =>
    credentialOptions(
      configOption(
        y
          // Repeatable --env/--header collect every value (the global setting keeps only the last).
          .parserConfiguration({ 'duplicate-arguments-array': true, 'parse-positional-numbers': false })
          // An unknown option is most likely the server's own flag given without "--": addServer says so.
          .strict(false)
          .positional('name', { type: 'string', describe: 'Server name: letters, digits, "_" and "-"' })
          .positional('command', { type: 'string', array: true, describe: 'The stdio command and its arguments' })
          .option('url', { type: 'string', describe: 'Endpoint of a remote server (Streamable HTTP or SSE)' })
          .option('type', {
            type: 'string',
            choices: ['stdio', 'http', 'sse', 'docker'] as const,
            describe: 'Server kind (default: from the command, --url or --image)',
          })
          .option('image', { type: 'string', describe: 'Docker image (with --type docker)' })
          .option('env', {
            type: 'string',
            array: true,
            nargs: 1,
            describe: 'K=V for the server (repeatable); secret values go to the credentials store',
          })
          .option('header', {
            type: 'string',
            array: true,
            nargs: 1,
            describe: 'K=V request header for --url (repeatable); secrets go to the credentials store',
          })
          .option('description', { type: 'string', describe: 'What the server is for' })
          .option('prefix', {
            type: 'string',
            describe: 'Public name prefix (default: the name); --no-prefix for none',
          })
          .option('disabled', { type: 'boolean', describe: 'Add it switched off' })
          .option('force', { type: 'boolean', describe: 'Replace a server of the same name' })
          .example(
            '$0 add github --env GITHUB_PERSONAL_ACCESS_TOKEN=ghp_... -- npx -y @modelcontextprotocol/server-github',
            'stdio server; the token goes to the credentials store, the config gets ${GITHUB_PERSONAL_ACCESS_TOKEN}',
          )
          .example('$0 add remote --url https://mcp.example.com/mcp --header "Authorization=Bearer ..."', 'remote')
          .example('$0 add fetch --type docker --image mcp/fetch', 'a server run as a container'),
      ),
    ),
  async handler(args, ctx) {
    const { addServer } = await import('./serversRun.js');
    return addServer(args, ctx);
  },
};

export const removeCommand: CommandSpec<ServerNameArgs> = {
  command: 'remove <name>',
  describe: 'Remove a server from the config',
  builder: (y) => configOption(y.positional('name', { type: 'string', describe: 'Server name' })),
  async handler(args, ctx) {
    const { removeServer } = await import('./serversRun.js');
    return removeServer(args, ctx);
  },
};

export const enableCommand: CommandSpec<ServerNameArgs> = {
  command: 'enable <name>',
  describe: 'Switch a server on (removes "disabled")',
  builder: (y) => configOption(y.positional('name', { type: 'string', describe: 'Server name' })),
  async handler(args, ctx) {
    const { setEnabled } = await import('./serversRun.js');
    return setEnabled(args, ctx, true);
  },
};

export const disableCommand: CommandSpec<ServerNameArgs> = {
  command: 'disable <name>',
  describe: 'Keep a server in the config but do not start it ("disabled": true)',
  builder: (y) => configOption(y.positional('name', { type: 'string', describe: 'Server name' })),
  async handler(args, ctx) {
    const { setEnabled } = await import('./serversRun.js');
    return setEnabled(args, ctx, false);
  },
};

export const listCommand: CommandSpec<ListArgs> = {
  command: 'list',
  describe: "List the config's servers: kind, enabled, command or URL, where each ${VAR} is found (masked)",
  builder: (y) =>
    credentialOptions(configOption(y.option('json', { type: 'boolean', describe: 'Machine-readable output' }))),
  async handler(args, ctx) {
    const { listServers } = await import('./serversRun.js');
    return listServers(args, ctx);
  },
};
