/**
 * The PostgreSQL audit store. The table is created on start; records are inserted in batches, each
 * batch one statement (a JSON array unpacked by jsonb_to_recordset), idempotent by record id. While
 * the database is down the proxy keeps serving: batches go to a spool file on disk, and are replayed,
 * in order and before anything newer, when a retry finds the database back.
 */
import type { Pool, PoolConfig } from 'pg';
import { errorMessage } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { AuditRecord } from './record.js';
import type { AuditFilter, AuditReader, AuditSink } from './sink.js';
import { Spool } from './spool.js';

export const AUDIT_TABLE = 'mcp_proxy_audit';
/** Rows per INSERT when replaying the spool. */
const REPLAY_CHUNK = 1000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS ${AUDIT_TABLE} (
  id text PRIMARY KEY,
  time timestamptz NOT NULL,
  identity text NOT NULL,
  kind text NOT NULL,
  session text,
  method text NOT NULL,
  server text NOT NULL,
  name text NOT NULL,
  outcome text NOT NULL,
  code integer,
  duration_ms double precision NOT NULL,
  arg_bytes integer NOT NULL,
  arguments jsonb
);
CREATE INDEX IF NOT EXISTS ${AUDIT_TABLE}_time ON ${AUDIT_TABLE} (time);
CREATE INDEX IF NOT EXISTS ${AUDIT_TABLE}_identity_time ON ${AUDIT_TABLE} (identity, time);
`;

const INSERT = `
INSERT INTO ${AUDIT_TABLE} (id, time, identity, kind, session, method, server, name, outcome, code, duration_ms, arg_bytes, arguments)
SELECT id, time, identity, kind, session, method, server, name, outcome, code, "durationMs", "argBytes", arguments
FROM jsonb_to_recordset($1::jsonb) AS r(id text, time timestamptz, identity text, kind text, session text, method text,
  server text, name text, outcome text, code integer, "durationMs" double precision, "argBytes" integer, arguments jsonb)
ON CONFLICT (id) DO NOTHING`;

export interface PostgresSinkOptions {
  url: string;
  spoolFile: string;
  logger?: Logger;
  flushMs?: number;
  /** First retry delay after a failure, ms; doubles up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
}

/** A pg Pool that never crashes the process when the server goes away between queries. */
export async function createPgPool(url: string, extra: PoolConfig = {}): Promise<Pool> {
  const pg = await import('pg');
  const PoolCtor = (pg.default?.Pool ?? (pg as unknown as { Pool: typeof Pool }).Pool) as typeof Pool;
  const pool = new PoolCtor({
    connectionString: url,
    max: 2,
    connectionTimeoutMillis: 5_000,
    query_timeout: 15_000,
    ...extra,
  });
  pool.on('error', () => {});
  return pool;
}

export class PostgresSink implements AuditSink {
  private pending: AuditRecord[] = [];
  private timer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private chain: Promise<void> = Promise.resolve();
  private pool?: Pool;
  /** Set while the database is down: new batches go straight to the spool. */
  private down = false;
  private schemaReady = false;
  private retryDelay: number;
  private closed = false;
  private readonly spool: Spool;

  constructor(private readonly opts: PostgresSinkOptions) {
    this.spool = new Spool(opts.spoolFile);
    this.retryDelay = opts.retryMs ?? 500;
    // A spool left by an earlier run (the database was down when it stopped) is replayed first.
    this.chain = this.chain.then(() => this.replay());
  }

  write(record: AuditRecord): void {
    this.pending.push(record);
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.opts.flushMs ?? 200);
      this.timer.unref();
    }
  }

  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length) {
      const batch = this.pending;
      this.pending = [];
      this.chain = this.chain.then(() => this.store(batch));
    }
    return this.chain;
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.pool?.end().catch(() => {});
  }

  private async store(batch: AuditRecord[]): Promise<void> {
    if (this.down) return this.toSpool(batch);
    try {
      await this.insert(batch);
    } catch (e) {
      this.wentDown(e);
      await this.toSpool(batch);
    }
  }

  private async insert(batch: AuditRecord[]): Promise<void> {
    this.pool ??= await createPgPool(this.opts.url);
    if (!this.schemaReady) {
      await this.pool.query(SCHEMA);
      this.schemaReady = true;
    }
    await this.pool.query(INSERT, [JSON.stringify(batch)]);
  }

  private async toSpool(batch: AuditRecord[]): Promise<void> {
    try {
      await this.spool.append(batch);
    } catch (e) {
      this.opts.logger?.error({ err: errorMessage(e), file: this.spool.file }, 'audit spool write failed');
    }
  }

  private wentDown(e: unknown): void {
    if (!this.down) {
      this.opts.logger?.warn(
        { err: errorMessage(e), spool: this.spool.file },
        'audit database unavailable: buffering records on disk until it is back',
      );
    }
    this.down = true;
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.chain = this.chain.then(() => this.replay());
    }, this.retryDelay);
    this.retryTimer.unref();
    this.retryDelay = Math.min(this.retryDelay * 2, this.opts.maxRetryMs ?? 30_000);
  }

  /** Moves the spool into the database; runs on the chain, so nothing is appended meanwhile. */
  private async replay(): Promise<void> {
    try {
      const buffered = await this.spool.read();
      for (let i = 0; i < buffered.length; i += REPLAY_CHUNK) await this.insert(buffered.slice(i, i + REPLAY_CHUNK));
      await this.spool.clear();
      if (this.down)
        this.opts.logger?.info({ replayed: buffered.length }, 'audit database back: buffered records stored');
      this.down = false;
      this.retryDelay = this.opts.retryMs ?? 500;
    } catch (e) {
      this.wentDown(e);
    }
  }
}

/** Reads the PostgreSQL store (`mcp-proxy audit query|tail`). */
export class PostgresReader implements AuditReader {
  private pool?: Pool;

  constructor(
    private readonly url: string,
    private readonly pollMs = 1000,
  ) {}

  async query(filter: AuditFilter): Promise<AuditRecord[]> {
    return this.select(filter, filter.since);
  }

  async follow(filter: AuditFilter, onRecord: (r: AuditRecord) => void, signal: AbortSignal): Promise<void> {
    let since = new Date();
    const seen = new Set<string>();
    while (!signal.aborted) {
      await new Promise((r) => setTimeout(r, this.pollMs));
      for (const r of await this.select({ ...filter, limit: undefined }, since)) {
        if (seen.has(r.id)) continue;
        seen.add(r.id);
        onRecord(r);
        since = new Date(r.time);
      }
    }
  }

  async close(): Promise<void> {
    await this.pool?.end().catch(() => {});
  }

  private async select(filter: AuditFilter, since: Date | undefined): Promise<AuditRecord[]> {
    this.pool ??= await createPgPool(this.url, { max: 1 });
    const where: string[] = [];
    const args: unknown[] = [];
    if (since) where.push(`time >= $${args.push(since)}`);
    if (filter.identity !== undefined) where.push(`identity = $${args.push(filter.identity)}`);
    if (filter.tool !== undefined) {
      const n = args.push(filter.tool);
      where.push(`(name = $${n} OR server || '__' || name = $${n})`);
    }
    const cond = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const limit = filter.limit !== undefined ? `LIMIT ${Math.max(0, Math.floor(filter.limit))}` : '';
    const sql = `SELECT * FROM (SELECT * FROM ${AUDIT_TABLE} ${cond} ORDER BY time DESC, id DESC ${limit}) t ORDER BY time, id`;
    const { rows } = await this.pool.query(sql, args);
    return rows.map(fromRow);
  }
}

function fromRow(row: Record<string, any>): AuditRecord {
  const r: AuditRecord = {
    id: row.id,
    time: new Date(row.time).toISOString(),
    identity: row.identity,
    kind: row.kind,
    method: row.method,
    server: row.server,
    name: row.name,
    outcome: row.outcome,
    durationMs: Number(row.duration_ms),
    argBytes: Number(row.arg_bytes),
  };
  if (row.session != null) r.session = row.session;
  if (row.code != null) r.code = Number(row.code);
  if (row.arguments != null) r.arguments = row.arguments;
  return r;
}
