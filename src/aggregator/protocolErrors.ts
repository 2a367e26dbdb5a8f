/**
 * The errors a downstream client sees: upstream failures mapped to JSON-RPC errors that say which
 * upstream and why (secrets masked), and unknown names with what is available instead.
 */
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import { errorMessage, isAppError } from '../errors.js';
import type { Outcome } from '../observability/metrics.js';
import { type RedactFn, redactDeep } from '../observability/redact.js';
import { isUpstreamFailure } from '../upstream/connection.js';
import { describeHttpError } from '../upstream/errors.js';
import type { Upstream } from '../upstream/upstream.js';

/** The metrics outcome of a failed upstream request. */
export function classify(e: unknown): Outcome {
  if (isAppError(e) && e.code === 'UPSTREAM_UNAVAILABLE') return 'unavailable';
  const msg = errorMessage(e).toLowerCase();
  if (msg.includes('abort') || msg.includes('cancel')) return 'cancelled';
  if (msg.includes('timed out') || msg.includes('timeout')) return 'timeout';
  return 'error';
}

/**
 * Upstream failures become JSON-RPC errors that say which upstream and why. Registered secrets are
 * masked in the message and data of every one, the upstream's own errors included: an upstream that
 * puts its API key in an error message must not hand it to every client.
 */
export function toProtocolError(e: unknown, upstream: string, conn: Upstream | undefined, redact: RedactFn): unknown {
  if (e instanceof ProtocolError) {
    const message = redact(e.message);
    const data = redactDeep(e.data, redact);
    if (message === e.message && data === e.data) return e;
    // fromError keeps the subclass the code and data call for (URL elicitation, resource not found...).
    return ProtocolError.fromError(e.code, message, data);
  }
  if (isAppError(e)) return new ProtocolError(ProtocolErrorCode.InternalError, redact(e.message), { upstream });
  const code = (e as { code?: unknown })?.code;
  if (typeof code === 'number' && !isUpstreamFailure(e)) {
    // An error the upstream answered with: passed through, masked.
    const data = redactDeep((e as { data?: unknown }).data, redact);
    return new ProtocolError(code as ProtocolErrorCode, redact(errorMessage(e)), data);
  }
  const timeout = conn?.requestTimeout;
  const msg = redact(describeHttpError(e, upstream) ?? errorMessage(e));
  const text = /timed? ?out/i.test(msg)
    ? `upstream "${upstream}" did not answer within ${timeout} ms`
    : `upstream "${upstream}" failed: ${msg}`;
  return new ProtocolError(ProtocolErrorCode.InternalError, text, { upstream });
}

export function unknownName(kind: string, name: string, known: string[], down = ''): ProtocolError {
  const list = known.length
    ? known.slice(0, 50).join(', ') + (known.length > 50 ? `, ... (${known.length} in all)` : '')
    : '(none)';
  return new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown ${kind}: "${name}". Available: ${list}${down}`);
}

/** Servers whose names are missing from the lists now, and why (appended to unknown-name errors). */
export function notServing(connections: Upstream[]): string {
  const down = connections
    .filter((c) => c.state !== 'ready' && c.state !== 'disabled' && c.state !== 'restarting')
    .map((c) => `"${c.name}" (${c.state}${c.lastError ? `: ${c.lastError}` : ''})`);
  return down.length ? `. Not serving now: ${down.join(', ')}` : '';
}
