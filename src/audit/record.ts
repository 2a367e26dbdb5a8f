/**
 * One audit record: who called what, through which session, with what outcome. The session is kept
 * only as a hash (a session id is bearer-like); arguments only when configured, masked.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Identity } from '../gateway/identity.js';

export type AuditMethod = 'tools/call' | 'prompts/get' | 'resources/read';
export type AuditOutcome = 'ok' | 'error' | 'tool_error' | 'input_required';

export interface AuditRecord {
  /** Unique per record: a store that is sent a batch twice (a lost acknowledgement) keeps one. */
  id: string;
  /** ISO 8601, when the call arrived. */
  time: string;
  identity: string;
  kind: Identity['kind'];
  /** A hash of the session id; absent for calls outside a session (stateless 2026-07-28 requests). */
  session?: string;
  method: AuditMethod;
  server: string;
  /** The tool or prompt name (the server's own), or the resource URI. */
  name: string;
  outcome: AuditOutcome;
  /** The JSON-RPC error code when outcome is "error". */
  code?: number;
  durationMs: number;
  /** Size of the arguments as JSON, in bytes (0 when there are none). */
  argBytes: number;
  /** Only with `proxy.audit.arguments: true`, secrets masked. */
  arguments?: unknown;
}

/** The hash a record names a session by: not reversible, stable for the session's life. */
export function sessionHash(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('hex').slice(0, 16);
}

/** Record ids: one random prefix per process and a counter (cheaper than a UUID per call). */
export function recordIds(): () => string {
  const prefix = randomUUID();
  let n = 0;
  return () => `${prefix}-${(n++).toString(36)}`;
}

/** Whether a parsed JSON line is a record (the readers skip anything else, e.g. a torn last line). */
export function isRecord(v: unknown): v is AuditRecord {
  const r = v as Partial<AuditRecord> | null;
  return !!r && typeof r === 'object' && typeof r.id === 'string' && typeof r.time === 'string';
}
