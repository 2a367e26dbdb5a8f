/**
 * `mcp-proxy audit tail [-f]` and `mcp-proxy audit query --since --identity --tool`: read the audit
 * log where `proxy.audit` puts it (PostgreSQL when configured, else the JSON Lines file), or the
 * store named by --file / --postgres. The work is in auditRun.ts.
 */
import { configOption, credentialOptions } from '../credentialOptions.js';
import type { CommandSpec } from '../types.js';

export interface AuditArgs {
  action?: 'tail' | 'query';
  config?: string;
  credentials?: string;
  envFile?: string;
  file?: string;
  postgres?: string;
  since?: string;
  identity?: string;
  tool?: string;
  lines?: number;
  follow?: boolean;
  json?: boolean;
}

export const auditCommand: CommandSpec<AuditArgs> = {
  command: 'audit [action]',
  describe: 'Read the audit log: who called which tool, prompt or resource (audit tail | audit query)',
  builder: (y) =>
    credentialOptions(
      configOption(
        y
          .positional('action', {
            choices: ['tail', 'query'] as const,
            describe: 'tail: the latest records; query: a filter',
          })
          .option('since', {
            type: 'string',
            describe: 'Records from this time on: an ISO date/time, or an age such as 30m, 12h, 7d',
          })
          .option('identity', { type: 'string', describe: 'Only this identity id' })
          .option('tool', { type: 'string', describe: 'Only this tool, prompt or resource (server__name or name)' })
          .option('lines', { alias: 'n', type: 'number', describe: 'At most this many, the newest (tail: default 20)' })
          .option('follow', { alias: 'f', type: 'boolean', describe: 'tail: keep printing new records until Ctrl-C' })
          .option('file', { type: 'string', normalize: true, describe: 'Read this JSON Lines audit file' })
          .option('postgres', { type: 'string', describe: 'Read this PostgreSQL database (postgres://...)' })
          .option('json', { type: 'boolean', describe: 'One JSON record per line' })
          .conflicts('file', 'postgres')
          .example('$0 audit tail -f', 'print calls as they happen')
          .example('$0 audit query --since 1d --identity alice --tool github__delete_repository', 'who did what'),
      ),
    ),
  async handler(args, ctx) {
    const { AppError } = await import('../../errors.js');
    if (!args.action) {
      throw new AppError('USAGE', 'name an action: audit tail, or audit query', {
        hint: 'run `mcp-proxy audit --help`',
      });
    }
    const { runAudit } = await import('./auditRun.js');
    return runAudit(args, ctx);
  },
};
