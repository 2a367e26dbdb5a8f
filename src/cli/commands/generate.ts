/**
 * `mcp-proxy generate client-config|compose`.
 *
 *  client-config  the entry that starts (binary, npx, docker, node) or reaches (remote) the proxy, in the
 *                 dialect of each supported client (see src/generate/clients.ts); `--write` merges it into the
 *                 client's own config file (atomic, backup kept, a second run changes nothing).
 *  compose        compose.yaml + secrets/ (0600, a generated proxy token) for the current config.
 *  systemd        a hardened service unit for this copy (credentials through LoadCredential=).
 */

import { DEFAULTS } from '../../config/defaults.js';
import { AppError } from '../../errors.js';
import { CLIENTS, DEPLOYMENTS } from '../../generate/clients.js';
import type { GenerateArgs } from '../args.js';
import { credentialOptions } from '../credentialOptions.js';
import type { CommandSpec } from '../types.js';

export const generateCommand: CommandSpec<GenerateArgs> = {
  command: 'generate [what]',
  describe:
    'Generate a client config entry for the proxy (client-config), a Docker compose setup (compose) or a systemd unit (systemd)',
  builder: (y) =>
    credentialOptions(
      y
        .positional('what', {
          choices: ['client-config', 'compose', 'systemd'] as const,
          describe: 'What to generate',
        })
        .option('client', {
          type: 'string',
          choices: CLIENTS,
          describe: 'client-config: which client',
        })
        .option('deployment', {
          type: 'string',
          choices: DEPLOYMENTS,
          describe: 'client-config: how the client starts or reaches the proxy (default: how this copy runs)',
        })
        .option('config', { alias: 'c', type: 'string', describe: 'The proxy config (default: the one `run` finds)' })
        .option('url', { type: 'string', describe: 'client-config --deployment remote: the proxy URL' })
        .option('write', {
          type: 'boolean',
          describe: "client-config: merge the entry into the client's config file (backup kept)",
        })
        .option('project', {
          type: 'boolean',
          describe: 'client-config: the project file (.cursor/mcp.json, .vscode/mcp.json, .mcp.json)',
        })
        .option('image', {
          type: 'string',
          describe: 'docker / compose: the proxy image (default mcp-proxy-server:latest)',
        })
        .option('output', {
          alias: 'o',
          type: 'string',
          describe: 'compose: output directory (default: .); systemd: the unit file (default: stdout)',
        })
        .option('port', {
          type: 'number',
          describe: `compose: host port on 127.0.0.1; systemd: the port served (default ${DEFAULTS.port})`,
        })
        .option('host', { type: 'string', describe: `systemd: the address served (default ${DEFAULTS.host})` })
        .option('user', {
          type: 'string',
          describe: 'systemd: run as this user (default: a dynamic user, DynamicUser=yes)',
        })
        .example('$0 generate client-config --client claude-desktop', 'print the entry for Claude Desktop')
        .example('$0 generate client-config --client cursor --write', 'add it to ~/.cursor/mcp.json')
        .example('$0 generate client-config --client vscode --deployment remote --url http://host:8765/mcp', '')
        .example('$0 generate compose --output deploy', 'compose.yaml and secrets/ in ./deploy')
        .example('$0 generate systemd --output mcp-proxy.service', 'a hardened systemd unit for this copy'),
    ),
  async handler(args, ctx) {
    if (!args.what) {
      throw new AppError('USAGE', 'generate what? client-config, compose or systemd', {
        hint: 'e.g. `mcp-proxy generate client-config --client claude-desktop` or `mcp-proxy generate compose`',
      });
    }
    if (args.what === 'systemd') return (await import('../onboarding/systemd.js')).generateSystemd(args, ctx);
    if (args.what === 'compose') return (await import('../onboarding/compose.js')).generateCompose(args, ctx);
    return (await import('../onboarding/clientConfig.js')).generateClientConfig(args, ctx);
  },
};
