/**
 * `mcp-proxy auth login|status|logout [SERVER]`: OAuth logins to remote servers with `oauth` set.
 *
 *  login   SERVER: the browser flow (the URL is printed too, for when no browser opens), or the
 *          device flow with --device (machines without a browser); writes the token file.
 *  status  per server: logged in (expiry, scopes, authorization server), not logged in, needs login.
 *          Never a token value.
 *  logout  SERVER: revokes the refresh token where the server offers it, removes the token file.
 */
import { credentialOptions } from '../credentialOptions.js';
import type { CommandSpec } from '../types.js';

export interface AuthCommandArgs {
  action?: 'login' | 'status' | 'logout';
  server?: string;
  config?: string;
  credentials?: string;
  envFile?: string;
  device?: boolean;
  browser?: boolean;
  json?: boolean;
}

export const authCommand: CommandSpec<AuthCommandArgs> = {
  command: 'auth [action] [server]',
  describe: 'Log in to remote servers that ask for OAuth (login SERVER | status | logout SERVER)',
  builder: (y) =>
    credentialOptions(
      y
        .positional('action', { choices: ['login', 'status', 'logout'] as const, describe: 'What to do' })
        .positional('server', { type: 'string', describe: 'The server name in mcpServers' })
        .option('config', { alias: 'c', type: 'string', describe: 'Config file (default: the usual config search)' })
        .option('device', {
          type: 'boolean',
          describe: 'Log in with a code entered on another device (no browser here: SSH, containers)',
        })
        .option('browser', { type: 'boolean', default: true, describe: 'Open a browser (--no-browser: print the URL)' })
        .option('json', { type: 'boolean', describe: 'Machine-readable output (status)' })
        .example('$0 auth login github', 'log in with the browser; every client of the proxy can use it then')
        .example('$0 auth login github --device', 'log in from a machine without a browser')
        .example('$0 auth status', 'who is logged in where, and until when'),
    ),
  async handler(args, ctx) {
    const { AppError } = await import('../../errors.js');
    if (!args.action) {
      throw new AppError('USAGE', 'name an action: auth login SERVER, auth status or auth logout SERVER', {
        hint: 'run `mcp-proxy auth --help`',
      });
    }
    const impl = await import('../authActions.js');
    if (args.action === 'status') return impl.authStatus(args, ctx);
    if (args.action === 'logout') return impl.authLogout(args, ctx);
    return impl.authLogin(args, ctx);
  },
};
