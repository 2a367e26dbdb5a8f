/**
 * The audit log's narrow ports: a sink the proxy writes records to (JSON Lines file, PostgreSQL) and a
 * reader the `audit` command queries. Writing never throws and never waits: a call is never held up
 * or failed by its audit record.
 */
import type { AuditRecord } from './record.js';

export interface AuditSink {
  /** Queues one record; it is written in the background, batched. */
  write(record: AuditRecord): void;
  /** Resolves once everything queued so far is stored (or, for a store that is down, buffered on disk). */
  flush(): Promise<void>;
  /** Flushes, then releases files and connections. */
  close(): Promise<void>;
}

export interface AuditFilter {
  /** Records at or after this time. */
  since?: Date;
  /** Identity id. */
  identity?: string;
  /** Tool, prompt or resource name (the server's own name, or `server__name` as clients see it). */
  tool?: string;
  /** At most this many, the newest (default all). */
  limit?: number;
}

export interface AuditReader {
  /** Matching records, oldest first. */
  query(filter: AuditFilter): Promise<AuditRecord[]>;
  /** Calls `onRecord` for each matching record stored from now on, until `signal` aborts. */
  follow(filter: AuditFilter, onRecord: (r: AuditRecord) => void, signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** Whether a record passes a filter (the file reader filters in memory; PostgreSQL in SQL). */
export function matches(r: AuditRecord, f: AuditFilter): boolean {
  if (f.since && Date.parse(r.time) < f.since.getTime()) return false;
  if (f.identity !== undefined && r.identity !== f.identity) return false;
  if (f.tool !== undefined && r.name !== f.tool && `${r.server}__${r.name}` !== f.tool) return false;
  return true;
}

/** Sends every record to each sink (a file and PostgreSQL may both be configured). */
export function fanOut(sinks: AuditSink[]): AuditSink {
  if (sinks.length === 1) return sinks[0]!;
  return {
    write: (r) => {
      for (const s of sinks) s.write(r);
    },
    flush: async () => {
      await Promise.all(sinks.map((s) => s.flush()));
    },
    close: async () => {
      await Promise.all(sinks.map((s) => s.close()));
    },
  };
}
