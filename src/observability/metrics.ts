/**
 * The proxy's metrics port. The aggregator and pool call these; the HTTP frontend exposes them at
 * /metrics. The prom-client implementation is `createMetrics()` in prometheus.ts, loaded only by what
 * serves HTTP (stdio has nowhere to show metrics, so it neither loads prom-client nor collects any).
 */
import type { Registry } from 'prom-client';

export type Outcome = 'ok' | 'error' | 'tool_error' | 'timeout' | 'unavailable' | 'cancelled';
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface Metrics {
  /** One downstream request handled (method e.g. tools/call; upstream '' when none was involved). */
  observeRequest(method: string, upstream: string, outcome: Outcome, seconds: number): void;
  setUpstreamUp(upstream: string, up: boolean): void;
  /** An upstream (or a replica) that is gone: its gauges leave /metrics rather than keep their last value. */
  forgetUpstream(upstream: string): void;
  setBreakerState(upstream: string, state: BreakerState): void;
  incUpstreamRestarts(upstream: string): void;
  setOpenSessions(transport: string, count: number): void;
  /** One forwarded call by an identity (a bounded label: see audit/recorder.ts identityLabel). */
  observeIdentityCall(identity: string, ok: boolean): void;
  /** One request an identity sent over its rate limit. */
  incIdentityRateLimited(identity: string): void;
  /** One cacheable request: answered from the result cache (hit) or sent upstream (miss). */
  observeCache(upstream: string, hit: boolean): void;
}

export const noopMetrics: Metrics = {
  observeRequest() {},
  setUpstreamUp() {},
  forgetUpstream() {},
  setBreakerState() {},
  incUpstreamRestarts() {},
  setOpenSessions() {},
  observeIdentityCall() {},
  incIdentityRateLimited() {},
  observeCache() {},
};

/** Metrics that can also be rendered (what /metrics serves). */
export interface RenderableMetrics extends Metrics {
  registry: Registry;
  /** The Content-Type of `render()`'s output (Prometheus text exposition format). */
  contentType: string;
  render(): Promise<string>;
}

/** Latency buckets in seconds: sub-millisecond proxy hops up to 10 s tool calls. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Whether a Metrics value can render itself (i.e. came from `createMetrics` in prometheus.ts). */
export function isRenderable(m: Metrics): m is RenderableMetrics {
  return typeof (m as Partial<RenderableMetrics>).render === 'function';
}
