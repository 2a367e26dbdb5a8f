/**
 * The prom-client implementation of the metrics port (metrics.ts): one registry per instance, never
 * prom-client's global default registry, so tests and several proxies in one process never collide.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { type BreakerState, LATENCY_BUCKETS, type RenderableMetrics } from './metrics.js';

const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

export interface CreateMetricsOptions {
  /** Collect Node process metrics (CPU, memory, event loop lag) on this registry. Default true. */
  processMetrics?: boolean;
  /** Metric name prefix. Default `mcp_proxy_`. */
  prefix?: string;
}

/** A prom-client backed `Metrics` with its own Registry. */
export function createMetrics(options: CreateMetricsOptions = {}): RenderableMetrics {
  const prefix = options.prefix ?? 'mcp_proxy_';
  const registry = new Registry();
  const requests = new Counter({
    name: `${prefix}requests_total`,
    help: 'Downstream MCP requests handled, by method, upstream and outcome.',
    labelNames: ['method', 'upstream', 'outcome'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: `${prefix}request_duration_seconds`,
    help: 'Downstream MCP request latency in seconds, by method and upstream.',
    labelNames: ['method', 'upstream'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const up = new Gauge({
    name: `${prefix}upstream_up`,
    help: '1 when the upstream is connected and ready, 0 otherwise.',
    labelNames: ['upstream'] as const,
    registers: [registry],
  });
  const breaker = new Gauge({
    name: `${prefix}upstream_breaker_state`,
    help: 'Circuit breaker state per upstream: 0 closed, 1 half-open, 2 open.',
    labelNames: ['upstream'] as const,
    registers: [registry],
  });
  const restarts = new Counter({
    name: `${prefix}upstream_restarts_total`,
    help: 'Upstream restarts (reconnects after a failure).',
    labelNames: ['upstream'] as const,
    registers: [registry],
  });
  const sessions = new Gauge({
    name: `${prefix}open_sessions`,
    help: 'Open downstream sessions, by transport.',
    labelNames: ['transport'] as const,
    registers: [registry],
  });
  const identityCalls = new Counter({
    name: `${prefix}identity_calls_total`,
    help: 'Forwarded calls (tools/call, prompts/get, resources/read) per identity.',
    labelNames: ['identity'] as const,
    registers: [registry],
  });
  const identityErrors = new Counter({
    name: `${prefix}identity_errors_total`,
    help: 'Forwarded calls per identity that failed (a JSON-RPC error or a tool error result).',
    labelNames: ['identity'] as const,
    registers: [registry],
  });
  const identityLimited = new Counter({
    name: `${prefix}identity_rate_limited_total`,
    help: 'HTTP requests refused with 429 by the per-identity rate limit.',
    labelNames: ['identity'] as const,
    registers: [registry],
  });
  const cache = new Counter({
    name: `${prefix}cache_requests_total`,
    help: 'Cacheable requests (opt-in result cache), by upstream and result: hit or miss.',
    labelNames: ['upstream', 'result'] as const,
    registers: [registry],
  });
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix });

  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    observeRequest(method, upstream, outcome, seconds) {
      requests.inc({ method, upstream, outcome });
      latency.observe({ method, upstream }, seconds);
    },
    setUpstreamUp(upstream, isUp) {
      up.set({ upstream }, isUp ? 1 : 0);
    },
    forgetUpstream(upstream) {
      up.remove({ upstream });
      breaker.remove({ upstream });
    },
    setBreakerState(upstream, state) {
      breaker.set({ upstream }, BREAKER_VALUE[state]);
    },
    incUpstreamRestarts(upstream) {
      restarts.inc({ upstream });
    },
    setOpenSessions(transport, count) {
      sessions.set({ transport }, count);
    },
    observeIdentityCall(identity, ok) {
      identityCalls.inc({ identity });
      if (!ok) identityErrors.inc({ identity });
    },
    incIdentityRateLimited(identity) {
      identityLimited.inc({ identity });
    },
    observeCache(upstream, hit) {
      cache.inc({ upstream, result: hit ? 'hit' : 'miss' });
    },
  };
}
