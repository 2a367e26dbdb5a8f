/**
 * `mcp-proxy tools list [--server S]` and `mcp-proxy tools call NAME --args JSON`: see and try the
 * tools the proxy serves, from the command line, against the configured upstreams (started here, as
 * `status --config` does) or a running HTTP proxy (--url). The work is in toolsRun.ts.
 */

import type { ToolsArgs } from '../args.js';
import { configOption, credentialOptions } from '../credentialOptions.js';
import type { CommandSpec } from '../types.js';

export const toolsCommand: CommandSpec<ToolsArgs> = {
  command: 'tools [action] [name]',
  describe: 'List the tools the proxy serves, or call one (tools list | tools call NAME --args JSON)',
  builder: (y) =>
    credentialOptions(
      configOption(
        y
          .positional('action', { choices: ['list', 'call'] as const, describe: 'list, or call NAME' })
          .positional('name', {
            type: 'string',
            describe: 'The public tool name for `call` (as `tools list` shows it)',
          })
          .option('server', { alias: 's', type: 'string', describe: "Only this server's tools (list)" })
          .option('args', {
            alias: 'a',
            type: 'string',
            describe: 'The arguments as a JSON object (call), e.g. \'{"text":"hi"}\'',
          })
          .option('url', {
            alias: 'u',
            type: 'string',
            describe: 'A running HTTP proxy (e.g. http://127.0.0.1:8765) instead of starting the upstreams here',
          })
          .option('token', {
            type: 'string',
            describe: 'Bearer token for --url (default: the MCP_PROXY_TOKEN credential)',
          })
          .option('json', { type: 'boolean', describe: 'Machine-readable output' })
          .option('timeout', {
            type: 'number',
            describe: "Give up connecting or calling after this many ms (default: the config's timeouts)",
          })
          .conflicts('url', 'config')
          .example('$0 tools list --server github', "one server's tools, by the names clients see")
          .example('$0 tools call echo__echo --args \'{"text":"hi"}\'', 'call a tool; exit 4 when it fails')
          .example('$0 tools list --url http://127.0.0.1:8765', 'ask a running proxy'),
      ),
    ),
  async handler(args, ctx) {
    const { AppError } = await import('../../errors.js');
    if (!args.action) {
      throw new AppError('USAGE', 'name an action: tools list, or tools call NAME --args JSON', {
        hint: 'run `mcp-proxy tools --help`',
      });
    }
    const impl = await import('./toolsRun.js');
    return args.action === 'call' ? impl.callTool(args, ctx) : impl.listTools(args, ctx);
  },
};
