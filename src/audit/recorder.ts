/**
 * The hook at the aggregator's forwarding point: times each call (tools/call, prompts/get,
 * resources/read), writes its audit record and counts it per identity in the metrics.
 */

import type { Identity } from '../gateway/identity.js';
import { isSecretName, looksLikeSecretValue } from '../generate/secrets.js';
import type { Metrics } from '../observability/metrics.js';
import { mask, type RedactFn, redactDeep } from '../observability/redact.js';
import { RawJson, rawValue } from '../protocol/rawJson.js';
import { type Caller, LOCAL_IDENTITY } from './caller.js';
import { type AuditMethod, type AuditOutcome, type AuditRecord, recordIds } from './record.js';
import type { AuditSink } from './sink.js';

/** One call as the aggregator sees it at the forwarding point. */
export interface CallInfo {
  method: string;
  upstream: string;
  /** The upstream's own tool or prompt name, or the upstream resource URI. */
  name: string;
  caller?: Caller;
  args?: unknown;
}

/** Wraps one forwarded call. */
export type CallHook = <T>(info: CallInfo, run: () => Promise<T>) => Promise<T>;

export interface CallAuditorOptions {
  /** Absent: calls are only counted per identity, not recorded. */
  sink?: AuditSink;
  /** Record the arguments themselves (masked), not only their size. */
  withArguments?: boolean;
  /** Masks registered secrets (the redactor every output passes). */
  redact: RedactFn;
  metrics?: Metrics;
  /** The metrics label for an identity (bounded: see identityLabel). */
  label?: (identity: Identity) => string;
}

export function createCallAuditor(opts: CallAuditorOptions): CallHook {
  const nextId = recordIds();
  const label = opts.label ?? identityLabel();
  return async (info, run) => {
    const time = Date.now();
    const started = performance.now();
    let outcome: AuditOutcome = 'ok';
    let code: number | undefined;
    try {
      const result = await run();
      const r = result as { isError?: boolean; resultType?: string } | undefined;
      if (r?.isError) outcome = 'tool_error';
      else if (r?.resultType === 'input_required') outcome = 'input_required';
      return result;
    } catch (e) {
      outcome = 'error';
      const c = (e as { code?: unknown })?.code;
      code = typeof c === 'number' ? c : -32603;
      throw e;
    } finally {
      const identity = info.caller?.identity ?? LOCAL_IDENTITY;
      opts.metrics?.observeIdentityCall(label(identity), outcome === 'ok' || outcome === 'input_required');
      if (opts.sink) {
        // Arguments relayed as the client's bytes are counted as those bytes.
        const args = info.args;
        const argBytes =
          args === undefined ? 0 : args instanceof RawJson ? args.length : Buffer.byteLength(JSON.stringify(args));
        const record: AuditRecord = {
          id: nextId(),
          time: new Date(time).toISOString(),
          identity: identity.id,
          kind: identity.kind,
          method: info.method as AuditMethod,
          server: info.upstream,
          name: opts.redact(info.name),
          outcome,
          durationMs: Math.round((performance.now() - started) * 1000) / 1000,
          argBytes,
        };
        if (info.caller?.session) record.session = info.caller.session;
        if (code !== undefined) record.code = code;
        if (opts.withArguments && info.args !== undefined)
          record.arguments = maskArguments(rawValue(info.args), opts.redact);
        opts.sink.write(record);
      }
    }
  };
}

/**
 * Arguments as recorded: registered secrets masked wherever they appear (the redactor), and values
 * that are plainly secrets (under a key named like one, or shaped like a token) masked too.
 */
export function maskArguments(args: unknown, redact: RedactFn): unknown {
  return redactDeep(maskByShape(args, 0), redact);
}

function maskByShape(v: unknown, depth: number, key?: string): unknown {
  if (typeof v === 'string') return (key && isSecretName(key)) || looksLikeSecretValue(v) ? mask(v) : v;
  if (!v || typeof v !== 'object' || depth > 32) return v;
  if (Array.isArray(v)) return v.map((x) => maskByShape(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = maskByShape(x, depth + 1, k);
  return out;
}

/**
 * Metrics labels per identity, bounded: named identities (keys, shared tokens, local, anonymous) are
 * as many as the configuration names; OIDC subjects are not, so they share one series unless listed.
 */
export function identityLabel(listed: ReadonlySet<string> = new Set()): (identity: Identity) => string {
  return (identity) => (identity.kind === 'oidc' && !listed.has(identity.id) ? 'oidc' : identity.id);
}
