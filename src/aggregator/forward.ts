/**
 * Forwarding one request to an upstream: the connection it goes to (shared, or the session's own
 * under isolation "session"), the call marked in flight for server-to-client routing, the result
 * cleaned of the upstream hop's protocol fields, failures mapped to JSON-RPC errors, metrics.
 */
import type { Client, Tool } from '@modelcontextprotocol/client';
import { AppError } from '../errors.js';
import type { Metrics, Outcome } from '../observability/metrics.js';
import { materialize } from '../protocol/rawJson.js';
import type { UpstreamPool } from '../upstream/pool.js';
import { type CallContext, stripReserved } from './callContext.js';
import { classify, toProtocolError } from './protocolErrors.js';
import type { ResultCache } from './resultCache.js';
import type { CallOrigin, SessionRouter } from './sessions.js';

export interface ForwarderOptions {
  pool: UpstreamPool;
  router: SessionRouter;
  metrics: Metrics;
  /** Whether servers with isolation "session" get a connection per downstream session. */
  isolateSessions: boolean;
  /** The opt-in result cache (servers with "cache" settings). */
  cache?: ResultCache;
}

/** What a forwarded request asks for: the cache key and whether it is safe to send again. */
export interface ForwardedRequest {
  /** The upstream tool or prompt name, or the upstream resource URI. */
  name: string;
  args?: unknown;
  /** The upstream's definition of the tool called (its annotations). */
  definition?: Tool;
  /** A call resumed with input the upstream asked for: it belongs where it started, and is never cached. */
  continued?: boolean;
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
    request?: ForwardedRequest,
  ): Promise<T> {
    const { pool, router, metrics, cache } = this.opts;
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
      const plan =
        cache && request && !request.continued
          ? cache.plan({ method, upstream, config: conn.config, origin, ...request })
          : undefined;
      const cached = plan && cache?.get(plan, upstream);
      if (cached) return cached as T;
      const retryable = request !== undefined && !request.continued && safeToRepeat(method, request.definition);
      const result = await conn.call(fn, { method, origin, retryable, affinity: affinityOf(origin) });
      if ((result as { isError?: boolean })?.isError) outcome = 'tool_error';
      let clean = (result && typeof result === 'object' ? cleanResult(result as Record<string, unknown>) : result) as T;
      // Members kept as the upstream's bytes go on only to a caller that writes them out as they are.
      if (!call?.raw) clean = materialize(clean);
      if (plan && conn.config.cache && outcome === 'ok' && !(clean as { resultType?: string }).resultType) {
        cache?.set(plan, conn.config.cache, materialize(clean) as object);
      }
      return clean;
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

  /**
   * The SDK request options of a forwarded call: its signal, the upstream's timeout, progress, and
   * `extra` options.
   */
  requestOptions<E extends object = object>(upstream: string, call: CallContext, extra?: E) {
    const conn = this.opts.pool.get(upstream);
    return {
      ...(extra as E),
      // With an abortable, no AbortSignal is built on the fast lane; the SDK's path builds it (unchecked.ts).
      signal: call.abortable ? undefined : call.signal,
      abortable: call.abortable,
      timeout: conn?.requestTimeout,
      // Progress from the upstream extends the timeout, as the downstream sees the call is alive.
      resetTimeoutOnProgress: call.onprogress !== undefined,
      onprogress: call.onprogress,
    };
  }
}

/** Reads, and tools that say they change nothing or the same thing each time, may be sent to another replica. */
function safeToRepeat(method: string, tool: Tool | undefined): boolean {
  if (method === 'resources/read' || method === 'prompts/get') return true;
  const a = tool?.annotations;
  return method === 'tools/call' && (a?.readOnlyHint === true || a?.idempotentHint === true);
}

/** A session's key for balance "session"; a stateless (2026-07-28) request has only its caller's identity. */
function affinityOf(origin: CallOrigin | undefined): string | undefined {
  if (!origin) return undefined;
  const { session } = origin;
  return session.transient ? `identity:${session.identity?.id}` : `session:${session.id}`;
}

/** Removes the upstream hop's protocol-level fields; the downstream hop adds its own. */
function cleanResult(result: Record<string, unknown>): Record<string, unknown> {
  if (result.resultType === 'input_required') return result;
  const { ttlMs: _t, cacheScope: _c, resultType: _r, _meta, ...rest } = result;
  // A member that is null (Go's encoding of a nil slice or pointer) is one the result does not have:
  // the client's SDK would refuse `"content": null` and with it a call that worked.
  for (const k in rest) if (rest[k] === null) delete rest[k];
  if (_meta && typeof _meta === 'object') {
    const meta = stripReserved(_meta as Record<string, unknown>);
    if (Object.keys(meta).length) return { ...rest, _meta: meta };
  }
  return rest;
}
