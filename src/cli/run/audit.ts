/**
 * The audit log and per-identity call metrics for `run`: the hook the aggregator wraps every forwarded
 * call in. Over HTTP calls are always counted per identity (/metrics); the records themselves only with
 * `proxy.audit`. The settings are live: a reload swaps them for the calls that start from then on, and
 * a store no longer used is closed once the calls that began under it have written their records.
 */
import path from 'node:path';
import { type AuditLocation, auditLocation, openAuditSink } from '../../audit/index.js';
import { type CallHook, createCallAuditor, identityLabel } from '../../audit/recorder.js';
import type { AuditSink } from '../../audit/sink.js';
import type { ProxyConfig } from '../../config/schema.js';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import type { CliContext } from '../context.js';

export interface RunAudit {
  hook: CallHook;
  /** Applies reloaded `proxy.audit` settings to the calls that start from now on. */
  update(proxy: ProxyConfig): void;
  /** Writes out what is queued and releases the store (a shutdown step, after the frontends). */
  close(): Promise<void>;
}

export interface AuditSetup {
  proxy: ProxyConfig;
  configPath?: string;
  ctx: CliContext;
  logger: Logger;
  metrics: Metrics;
  transport: string;
}

/** One set of settings: its auditor, its store, and the calls started under it not yet ended. */
interface Generation {
  hook?: CallHook;
  sink?: AuditSink;
  /** Where the store writes, and how it rotates: equal keys share one store. */
  sinkKey: string;
  /** The `proxy.audit` it was built from, and where its records go. */
  settings?: ProxyConfig['audit'];
  where?: AuditLocation;
  inflight: number;
  retired: boolean;
}

export function setupAudit(o: AuditSetup): RunAudit {
  const log = o.logger.child({ component: 'audit' });
  const label = identityLabel();
  let current = build(o, o.proxy, undefined, label);
  announce(o, log, current, undefined);

  // Earlier settings whose calls have not all ended, and stores being closed: shutdown closes and waits for both.
  const draining = new Set<Generation>();
  const closing = new Set<Promise<void>>();
  const closeSink = (g: Generation) => {
    const sink = g.sink;
    g.sink = undefined;
    draining.delete(g);
    if (!sink) return;
    const done = sink
      .close()
      .catch((e) => log.error({ err: errorMessage(e) }, 'closing an audit store failed'))
      .finally(() => closing.delete(done));
    closing.add(done);
  };
  const release = (g: Generation) => {
    if (g.retired && g.inflight === 0) closeSink(g);
  };
  return {
    hook(info, run) {
      const g = current;
      if (!g.hook) return run();
      g.inflight++;
      return g.hook(info, run).finally(() => {
        g.inflight--;
        release(g);
      });
    },
    update(proxy) {
      if (JSON.stringify(proxy.audit) === JSON.stringify(current.settings)) return;
      let next: Generation;
      try {
        next = build(o, proxy, current, label);
      } catch (e) {
        log.error({ err: errorMessage(e) }, 'proxy.audit could not be applied; still auditing as before');
        return;
      }
      const previous = current;
      current = next;
      // A store the new settings share is handed over, not closed.
      if (next.sink === previous.sink) previous.sink = undefined;
      previous.retired = true;
      if (previous.sink) draining.add(previous);
      announce(o, log, next, previous);
      release(previous);
    },
    async close() {
      for (const g of [current, ...draining]) closeSink(g);
      await Promise.all(closing);
    },
  };
}

/** The generation for `proxy.audit`; the previous one's store when it writes to the same place. */
function build(
  o: AuditSetup,
  proxy: ProxyConfig,
  previous: Generation | undefined,
  label: ReturnType<typeof identityLabel>,
): Generation {
  const settings = proxy.audit;
  const base = { settings, inflight: 0, retired: false };
  if (!settings && o.transport !== 'http') return { ...base, sinkKey: '' };
  const baseDir = o.configPath ? path.dirname(o.configPath) : o.ctx.cwd;
  const where = settings ? auditLocation(settings, { ...o.ctx, baseDir }) : undefined;
  const sinkKey = where ? JSON.stringify([where, settings?.rotate ?? {}]) : '';
  const reuse = previous?.sink && previous.sinkKey === sinkKey;
  const sink = reuse ? previous.sink : settings && where ? openAuditSink(settings, where, o.logger) : undefined;
  const redactor = o.ctx.redactor;
  const hook = createCallAuditor({
    sink,
    withArguments: settings?.arguments ?? false,
    redact: (t) => redactor.redact(t),
    metrics: o.metrics,
    label,
  });
  return { ...base, hook, sink, sinkKey, where };
}

function announce(o: AuditSetup, log: Logger, g: Generation, previous: Generation | undefined): void {
  const where = g.where;
  if (where && (!previous || previous.sinkKey !== g.sinkKey)) {
    const postgres = where.postgres ? o.ctx.redactor.redact(where.postgres.url) : undefined;
    log.info({ file: where.file, postgres }, 'audit log on');
  } else if (!where && previous?.sinkKey) {
    log.info('audit log off');
  } else if (previous) {
    log.info('audit settings changed');
  }
}
