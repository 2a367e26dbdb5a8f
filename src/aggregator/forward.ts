/**
 * Forwarding one request to an upstream: the connection it goes to (shared, or the session's own
 * under isolation "session"), the call marked in flight for server-to-client routing, the result
 * cleaned of the upstream hop's protocol fields, failures mapped to JSON-RPC errors, metrics.
 */
import type { Client } from '@modelcontextprotocol/client';
import { AppError } from '../errors.js';
import type { Metrics, Outcome } from '../observability/metrics.js';
import type { UpstreamPool } from '../upstream/pool.js';
import { type CallContext, stripReserved } from './callContext.js';
import { classify, toProtocolError } from './protocolErrors.js';
import type { SessionRouter } from './sessions.js';

export interface ForwarderOptions {
  pool: UpstreamPool;
  router: SessionRouter;
  metrics: Metrics;
  /** Whether servers with isolation "session" get a connection per downstream session. */
  isolateSessions: boolean;
}

export class Forwarder {
  private inflightTotal = 0;

  constructor(private readonly opts: ForwarderOptions) {}

  /** Upstream requests in flight (shutdown waits for them). */
  get inflight(): number {
    return this.inflightTotal;
  }

  /** Runs a request on an upstream, mapping failures to precise JSON-RPC errors and recording metrics. */
  async run<T>(
    method: string,
    upstream: string,
    call: CallContext | undefined,
    fn: (client: Client) => Promise<T>,
  ): Promise<T> {
    const { pool, router, metrics } = this.opts;
    const origin = call?.origin;
    const owner = this.opts.isolateSessions && origin && !origin.session.transient ? origin.session.self : undefined;
    const started = performance.now();
    let outcome: Outcome = 'ok';
    this.inflightTotal++;
    const end = origin ? router.begin(upstream, origin) : undefined;
    const used = pool.beginUse(upstream);
    let conn: ReturnType<UpstreamPool['connectionFor']>;
    try {
      // A lazy server starts on its first request; one still starting is waited for (its first attempt).
      const waking = pool.wake(upstream);
      if (waking) await waking;
      conn = pool.connectionFor(upstream, owner);
      if (!conn) throw new AppError('UPSTREAM_UNAVAILABLE', `upstream "${upstream}" is not configured`);
      const result = await conn.call(fn, { origin });
      if ((result as { isError?: boolean })?.isError) outcome = 'tool_error';
      return (result && typeof result === 'object' ? cleanResult(result as Record<string, unknown>) : result) as T;
    } catch (e) {
      outcome = classify(e);
      throw toProtocolError(e, upstream, conn, (text) => pool.redact(text));
    } finally {
      used();
      end?.();
      this.inflightTotal--;
      metrics.observeRequest(method, upstream, outcome, (performance.now() - started) / 1000);
    }
  }

  /** The SDK request options of a forwarded call: its signal, the upstream's timeout, progress. */
  requestOptions(upstream: string, call: CallContext) {
    const conn = this.opts.pool.get(upstream);
    return {
      signal: call.signal,
      timeout: conn?.requestTimeout,
      // Progress from the upstream extends the timeout, as the downstream sees the call is alive.
      resetTimeoutOnProgress: call.onprogress !== undefined,
      onprogress: call.onprogress,
    };
  }
}

/** Removes the upstream hop's protocol-level fields; the downstream hop adds its own. */
function cleanResult(result: Record<string, unknown>): Record<string, unknown> {
  if (result.resultType === 'input_required') return result;
  const { ttlMs: _t, cacheScope: _c, resultType: _r, _meta, ...rest } = result;
  if (_meta && typeof _meta === 'object') {
    const meta = stripReserved(_meta as Record<string, unknown>);
    if (Object.keys(meta).length) return { ...rest, _meta: meta };
  }
  return rest;
}
