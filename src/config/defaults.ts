/**
 * Every default the proxy applies where the config (or a flag) is silent, in one table: the schema's
 * descriptions, the upstream pool, the HTTP frontend and the CLI read them from here.
 */
export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8765,
  separator: '__',
  /** Upstream connect and request timeouts, ms. */
  connectTimeout: 30_000,
  requestTimeout: 60_000,
  /** Grace for in-flight calls at shutdown, ms. */
  shutdownGrace: 5_000,
  /** How long start-up waits for upstreams before serving without them, ms. */
  startupWindow: 3_000,
  /** Ping an idle HTTP/SSE upstream this often, ms (0 = off). */
  healthCheckInterval: 30_000,
  retry: { initialDelay: 500, maxDelay: 30_000, maxAttempts: 0, maxRestarts: 5, restartWindow: 60_000 },
  breaker: { failureThreshold: 5, halfOpenAfter: 10_000 },
  http: {
    maxBodyBytes: 4 * 1024 * 1024,
    maxSessions: 1000,
    maxSessionsPerClient: 100,
    sessionIdleTimeoutMs: 30 * 60_000,
    rateLimit: { windowMs: 10_000, max: 50_000 },
    keepAliveMs: 15_000,
    /** What a client has to send a whole request / its headers in, ms (0 = none). */
    requestTimeoutMs: 30_000,
    headersTimeoutMs: 10_000,
    maxConnections: 2048,
  },
  /** The audit log: JSON Lines rotation, and how long records wait to be written together. */
  audit: { rotate: { maxBytes: 10 * 1024 * 1024, keep: 5 }, flushMs: 50, postgresFlushMs: 200 },
  /** Requests per identity per window, when proxy.limits.perIdentity is set without numbers. */
  perIdentityLimit: { windowMs: 60_000, max: 600 },
  /** How long `status` and `tools` wait for the upstreams, ms. */
  cliTimeout: 10_000,
} as const;
