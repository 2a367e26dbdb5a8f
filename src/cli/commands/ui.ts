import type { Argv } from 'yargs';
import { configOption, credentialOptions } from '../credentialOptions.js';
import type { RunOptions } from '../run/options.js';
import type { CommandSpec } from '../types.js';

/** The dashboard's own port by default: beside a proxy serving HTTP on the usual 8765. */
export const UI_PORT = 8766;

/**
 * `mcp-proxy ui`: for setups whose clients use stdio. It runs the proxy from the same config, serving
 * HTTP on loopback only with the dashboard, and prints the dashboard's URL. The stdio clients keep their
 * own proxy; this one is the browser's.
 */
export const uiCommand: CommandSpec<RunOptions> = {
  command: 'ui',
  describe: 'Open the web dashboard: runs the proxy on 127.0.0.1 with the dashboard and prints its URL',
  builder: (y: Argv) =>
    credentialOptions(
      configOption(y)
        .option('port', { alias: 'p', type: 'number', describe: `Port on 127.0.0.1 (default ${UI_PORT}; 0 picks one)` })
        .example('$0 ui', `serve the dashboard at http://127.0.0.1:${UI_PORT}/ui/`),
    ),
  async handler(args, ctx) {
    const { runProxy } = await import('../run/index.js');
    return runProxy(
      { ...args, transport: 'http', host: '127.0.0.1', port: args.port ?? UI_PORT, dashboard: true },
      ctx,
    );
  },
};
