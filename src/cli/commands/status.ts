import { DEFAULTS } from '../../config/defaults.js';
import type { StatusArgs } from '../args.js';
import { credentialOptions } from '../credentialOptions.js';
import type { CommandSpec } from '../types.js';

/**
 * `mcp-proxy status`: with --url, asks a running proxy's /ready; with --config (or no option), connects
 * to every configured upstream itself, without a running proxy. Exit 0 when every upstream is ready,
 * 4 when one is down or the proxy cannot be reached, 3 when the proxy refuses the token.
 */
export const statusCommand: CommandSpec<StatusArgs> = {
  command: 'status',
  describe: 'Show each upstream: state, tools/prompts/resources, latency, last error',
  builder: (y) =>
    credentialOptions(
      y
        .option('url', {
          alias: 'u',
          type: 'string',
          describe: 'Ask a running proxy (e.g. http://127.0.0.1:8765) instead of connecting to the upstreams',
        })
        .option('token', {
          type: 'string',
          describe: 'Bearer token for --url (default: the MCP_PROXY_TOKEN credential)',
        })
        .option('config', {
          alias: 'c',
          type: 'string',
          describe: 'Config file whose upstreams to connect to (default: the usual config search)',
        })
        .option('json', { type: 'boolean', describe: 'Machine-readable output' })
        .option('timeout', {
          type: 'number',
          default: DEFAULTS.cliTimeout,
          describe: 'Give up after this many milliseconds',
        })
        .conflicts('url', 'config')
        .example('$0 status --url http://127.0.0.1:8765', "a running proxy's view of its upstreams")
        .example('$0 status --config mcp-proxy.json --json', 'connect to each upstream now, report as JSON'),
    ),
  async handler(args, ctx) {
    const { runStatus } = await import('./statusRun.js');
    return runStatus(args, ctx);
  },
};
