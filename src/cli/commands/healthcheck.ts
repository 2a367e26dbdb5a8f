import { DEFAULTS } from '../../config/defaults.js';
import type { CommandSpec } from '../types.js';

interface HealthcheckArgs {
  url?: string;
  port?: number;
  ready?: boolean;
  timeout?: number;
}

/**
 * A tiny liveness probe for container health checks (docker/Dockerfile HEALTHCHECK), so images need
 * no curl or wget: GET /health (or /ready) of a running proxy, exit 0 when it answers 200, 1 otherwise.
 */
export const healthcheckCommand: CommandSpec<HealthcheckArgs> = {
  command: 'healthcheck',
  describe: 'Exit 0 when a running proxy answers GET /health (for container health checks)',
  builder: (y) =>
    y
      .option('url', { type: 'string', describe: 'Full URL to probe (default http://127.0.0.1:<port>/health)' })
      .option('port', {
        alias: 'p',
        type: 'number',
        default: DEFAULTS.port,
        describe: 'Port of the proxy on 127.0.0.1',
      })
      .option('ready', { type: 'boolean', describe: 'Probe /ready (every upstream connected) instead of /health' })
      .option('timeout', { type: 'number', default: 3000, describe: 'Give up after this many milliseconds' }),
  async handler(args, ctx) {
    const url = args.url ?? `http://127.0.0.1:${args.port ?? DEFAULTS.port}/${args.ready ? 'ready' : 'health'}`;
    const headers: Record<string, string> = {};
    // /ready sits behind the token; /health does not.
    const token = ctx.env.MCP_PROXY_TOKEN?.split(/[\s,]+/).find(Boolean);
    if (args.ready && token) headers.authorization = `Bearer ${token}`;
    // node:http rather than fetch: fetch refuses some ports (6000, 6666...) a user may choose.
    const { probe } = await import('./healthcheckProbe.js');
    const result = await probe(url, headers, args.timeout ?? 3000);
    if (result.status === 200) {
      ctx.stdout.write(`healthy: ${url} ${result.body}\n`);
      return 0;
    }
    ctx.stderr.write(
      `unhealthy: ${url} ${result.status ? `answered ${result.status} ${result.body}` : `(${result.error})`}\n`,
    );
    return 1;
  },
};
