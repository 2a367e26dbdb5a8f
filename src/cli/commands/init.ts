/** `mcp-proxy init [--docker]`: a starter config (with the JSON Schema reference) and, with --docker, compose. */

import { DEFAULTS } from '../../config/defaults.js';
import type { InitArgs } from '../args.js';
import type { CommandSpec } from '../types.js';

export const initCommand: CommandSpec<InitArgs> = {
  command: 'init',
  describe: 'Write a starter config (and with --docker a compose setup)',
  builder: (y) =>
    y
      .option('config', {
        alias: 'c',
        type: 'string',
        describe: 'Where to write it (default ~/.config/mcp-proxy/config.json)',
      })
      .option('docker', { type: 'boolean', describe: 'Also write compose.yaml and secrets/ (see generate compose)' })
      .option('force', { type: 'boolean', describe: 'Overwrite an existing config (a backup is kept)' })
      .option('output', { alias: 'o', type: 'string', describe: 'With --docker: the compose directory (default: .)' })
      .option('image', { type: 'string', describe: 'With --docker: the proxy image' })
      .option('port', { type: 'number', describe: `With --docker: host port on 127.0.0.1 (default ${DEFAULTS.port})` })
      .example('$0 init', 'starter config in ~/.config/mcp-proxy/config.json')
      .example('$0 init --config ./mcp-proxy.json --docker', 'a project-local config plus compose.yaml'),
  async handler(args, ctx) {
    const impl = await import('../onboarding/init.js');
    return impl.initConfig(args, ctx);
  },
};
