import type { Argv } from 'yargs';
import { DEFAULTS } from '../../config/defaults.js';
import { startupMark } from '../../observability/startupTrace.js';
import { configOption, credentialOptions } from '../credentialOptions.js';
import type { RunOptions } from '../run/options.js';
import type { CommandSpec } from '../types.js';

export const runCommand: CommandSpec<RunOptions> = {
  command: 'run',
  describe: 'Start the proxy: connect every upstream and serve them as one MCP server',
  builder: (y: Argv) =>
    credentialOptions(
      configOption(y)
        .option('transport', {
          alias: 't',
          type: 'string',
          choices: ['stdio', 'http'],
          describe: 'How clients reach the proxy (default: stdio, or proxy.transport)',
        })
        .option('host', { type: 'string', describe: `HTTP bind address (default ${DEFAULTS.host})` })
        .option('port', { alias: 'p', type: 'number', describe: `HTTP port (default ${DEFAULTS.port})` })
        .option('tools-mode', {
          type: 'string',
          choices: ['all', 'dynamic'],
          describe: 'all: every upstream tool; dynamic: two meta-tools (get_dynamic_tools, call_dynamic_tool)',
        })
        .option('allow-unauthenticated', {
          type: 'boolean',
          describe: 'Allow binding HTTP to a non-loopback address without MCP_PROXY_TOKEN',
        })
        .option('profile', {
          type: 'string',
          describe: 'Serve only a profile (proxy.access.profiles): a named subset of the tools',
        })
        .option('dashboard', {
          type: 'boolean',
          describe: 'Serve the web dashboard at /ui and its API at /api/v1 (HTTP only; default on)',
        })
        .option('watch', {
          type: 'boolean',
          describe: 'Reload when the config or credentials file changes (default on)',
        })
        .example('$0 run --config proxy.json', 'serve over stdio (for Claude Desktop, Cursor)')
        .example('$0 run --transport http --port 8765', 'serve Streamable HTTP at http://127.0.0.1:8765/mcp'),
    ),
  async handler(args, ctx) {
    startupMark('run: arguments parsed');
    // The config first, and the stdio servers started with it, while the rest of the proxy loads.
    const { startEarly } = await import('../run/early.js');
    const early = await startEarly(args, ctx, { prespawn: true });
    try {
      const { runProxy } = await import('../run/index.js');
      startupMark('run: composition root loaded');
      return await runProxy(args, ctx, early);
    } catch (e) {
      early.stdio?.stop();
      await early.prespawned.close();
      throw e;
    }
  },
};
