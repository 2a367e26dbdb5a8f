/** The work behind `mcp-proxy audit` (loaded lazily): find the store, read, filter, print. */
import fs from 'node:fs';
import path from 'node:path';
import { type AuditLocation, auditLocation, openAuditReader } from '../../audit/index.js';
import type { AuditRecord } from '../../audit/record.js';
import type { AuditFilter } from '../../audit/sink.js';
import { AppError, errorMessage } from '../../errors.js';
import type { CliContext } from '../context.js';
import { configLoadOptions, credentialChainFor } from '../credentialOptions.js';
import type { AuditArgs } from './audit.js';

const TAIL_LINES = 20;

export async function runAudit(args: AuditArgs, ctx: CliContext): Promise<number> {
  const where = await locate(args, ctx);
  const filter: AuditFilter = {
    since: args.since !== undefined ? parseSince(args.since, Date.now()) : undefined,
    identity: args.identity,
    tool: args.tool,
    limit: args.lines ?? (args.action === 'tail' ? TAIL_LINES : undefined),
  };
  if (filter.limit !== undefined && (!Number.isInteger(filter.limit) || filter.limit < 0)) {
    throw new AppError('USAGE', `--lines ${args.lines} is not a whole number >= 0`);
  }
  const reader = openAuditReader(where);
  const print = (r: AuditRecord) => ctx.stdout.write(`${args.json ? JSON.stringify(r) : formatRecord(r)}\n`);
  try {
    const records = await reader.query(filter);
    for (const r of records) print(r);
    if (!records.length && where.file && !where.postgres && !fs.existsSync(where.file)) {
      // An empty answer would not say why: nothing was ever recorded there.
      ctx.stderr.write(
        `mcp-proxy: no audit records: ${where.file} does not exist yet (a proxy writes it once proxy.audit is set and a call is made)\n`,
      );
    }
    if (args.action === 'tail' && args.follow) {
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        await reader.follow({ ...filter, since: undefined, limit: undefined }, print, stop.signal);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    }
  } catch (e) {
    if (e instanceof AppError) throw e;
    const store = where.postgres ? 'the audit database' : where.file;
    throw new AppError('UPSTREAM_UNAVAILABLE', `cannot read ${store}: ${ctx.redactor.redact(errorMessage(e))}`, {
      hint: where.postgres ? 'is PostgreSQL running, and is proxy.audit.postgres.url right?' : undefined,
    });
  } finally {
    await reader.close();
  }
  return 0;
}

/** --file / --postgres, else the config's proxy.audit (the usual config search), else the default file. */
async function locate(args: AuditArgs, ctx: CliContext): Promise<AuditLocation> {
  const pathCtx = { ...ctx, baseDir: ctx.cwd };
  if (args.file) return { file: path.resolve(ctx.cwd, args.file) };
  if (args.postgres) return { postgres: { url: args.postgres, spool: '' } };
  const { findAndLoadConfig } = await import('../../config/load.js');
  const chain = credentialChainFor(args, ctx);
  const loaded = await findAndLoadConfig(configLoadOptions(args.config, chain, ctx));
  const settings = loaded?.config.proxy?.audit;
  if (!loaded || !settings) {
    const where = auditLocation({}, pathCtx);
    if (args.config || loaded) {
      ctx.stderr.write(`mcp-proxy: the config sets no proxy.audit; reading the default file ${where.file}\n`);
    }
    return where;
  }
  return auditLocation(settings, { ...pathCtx, baseDir: path.dirname(loaded.path) });
}

/** `2026-01-02T03:04:05Z`, `2026-01-02`, or an age: `90s`, `30m`, `12h`, `7d`. */
export function parseSince(raw: string, now: number): Date {
  const age = /^(\d+)\s*(s|m|h|d)$/i.exec(raw.trim());
  if (age) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[age[2]!.toLowerCase() as 's' | 'm' | 'h' | 'd'];
    return new Date(now - Number(age[1]) * unit);
  }
  const t = Date.parse(raw);
  if (Number.isNaN(t)) {
    throw new AppError('USAGE', `--since ${JSON.stringify(raw)} is neither a date/time nor an age`, {
      hint: 'e.g. --since 2026-01-31T09:00:00Z, --since 2026-01-31, or --since 30m / 12h / 7d',
    });
  }
  return new Date(t);
}

/** One line per record: time, identity, what, outcome, duration, argument size, session. */
export function formatRecord(r: AuditRecord): string {
  const outcome = r.outcome === 'error' ? `error ${r.code ?? ''}`.trim() : r.outcome;
  const parts = [
    r.time,
    `${r.identity} (${r.kind})`,
    r.method,
    `${r.server}: ${r.name}`,
    outcome,
    `${r.durationMs} ms`,
    `${r.argBytes} B`,
  ];
  if (r.session) parts.push(`session ${r.session}`);
  if (r.arguments !== undefined) parts.push(`args ${JSON.stringify(r.arguments)}`);
  return parts.join('  ');
}
