/**
 * The proxy's metrics port. The aggregator and pool call these; the HTTP frontend exposes them at
 * /metrics. The prom-client implementation lives in `createMetrics()` (one registry per instance).
 */
export type Outcome = 'ok' | 'error' | 'tool_error' | 'timeout' | 'unavailable' | 'cancelled';

export interface Metrics {
  /** One downstream request handled (method e.g. tools/call; upstream '' when none was involved). */
  observeRequest(method: string, upstream: string, outcome: Outcome, seconds: number): void;
  setUpstreamUp(upstream: string, up: boolean): void;
  setBreakerState(upstream: string, state: 'closed' | 'open' | 'half-open'): void;
  incUpstreamRestarts(upstream: string): void;
  setOpenSessions(transport: string, count: number): void;
}

export const noopMetrics: Metrics = {
  observeRequest() {},
  setUpstreamUp() {},
  setBreakerState() {},
  incUpstreamRestarts() {},
  setOpenSessions() {},
};
