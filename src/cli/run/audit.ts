/**
 * The audit log and per-identity call metrics for `run`: the hook the aggregator wraps every forwarded
 * call in. Over HTTP the hook is always there (calls and errors per identity in /metrics); the records
 * themselves only with `proxy.audit`.
 */
import path from 'node:path';
import { auditLocation, openAuditSink } from '../../audit/index.js';
import { type CallHook, createCallAuditor, identityLabel } from '../../audit/recorder.js';
import type { ProxyConfig } from '../../config/schema.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import type { CliContext } from '../context.js';

export interface RunAudit {
  hook?: CallHook;
  /** Writes out what is queued and releases the store (a shutdown step, after the frontends). */
  close(): Promise<void>;
}

export function setupAudit(o: {
  proxy: ProxyConfig;
  configPath?: string;
  ctx: CliContext;
  logger: Logger;
  metrics: Metrics;
  transport: string;
}): RunAudit {
  const settings = o.proxy.audit;
  if (!settings && o.transport !== 'http') return { close: async () => {} };
  const where = settings
    ? auditLocation(settings, { ...o.ctx, baseDir: o.configPath ? path.dirname(o.configPath) : o.ctx.cwd })
    : undefined;
  const sink = settings && where ? openAuditSink(settings, where, o.logger) : undefined;
  if (where) {
    o.logger
      .child({ component: 'audit' })
      .info(
        { file: where.file, postgres: where.postgres ? o.ctx.redactor.redact(where.postgres.url) : undefined },
        'audit log on',
      );
  }
  const redactor = o.ctx.redactor;
  const hook = createCallAuditor({
    sink,
    withArguments: settings?.arguments ?? false,
    redact: (t) => redactor.redact(t),
    metrics: o.metrics,
    label: identityLabel(),
  });
  return { hook, close: async () => sink?.close() };
}
