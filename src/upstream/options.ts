/** How one upstream connection is configured, and the port its server-to-client traffic leaves by. */
import type { ClientCapabilities } from '@modelcontextprotocol/client';
import type { UpstreamConfig } from '../config/schema.js';
import { DEFAULTS } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { RedactFn } from '../observability/redact.js';
import type { Latch } from '../util/async.js';
import type { UpstreamCatalog } from './status.js';
import type { TransportDeps, UpstreamTransport } from './transports.js';

/**
 * Where server-to-client traffic of an upstream goes: the aggregator routes it to a session.
 * `origin` is the call it arrived for, when that is known (see origin.ts), or the session that owns a
 * per-session connection; undefined when the protocol does not say.
 */
export interface DownstreamBridge {
  /** sampling/createMessage, elicitation/create, roots/list from an upstream. */
  request(
    upstream: string,
    method: string,
    params: unknown,
    signal: AbortSignal,
    origin?: object,
  ): Promise<Record<string, unknown>>;
  /** notifications/message and notifications/resources/updated from an upstream. */
  notify(upstream: string, method: string, params: unknown, origin?: object): void;
  /** What the client of the downstream session `owner` declared (a connection it owns is told that). */
  capabilities?(owner: object): ClientCapabilities | undefined;
}

export interface RetryPolicy {
  initialDelay: number;
  maxDelay: number;
  /** Connect attempts before giving up; 0 = keep trying. */
  maxAttempts: number;
  maxRestarts: number;
  restartWindow: number;
}

export const DEFAULT_RETRY: RetryPolicy = { ...DEFAULTS.retry };

export interface BreakerOptions {
  failureThreshold: number;
  halfOpenAfter: number;
}

export interface ConnectionOptions {
  name: string;
  config: UpstreamConfig;
  transportDeps: TransportDeps;
  logger: Logger;
  metrics: Metrics;
  bridge?: DownstreamBridge;
  connectTimeout: number;
  requestTimeout: number;
  retry: RetryPolicy;
  breaker: BreakerOptions;
  /** Ping an idle HTTP/SSE upstream this often, ms (0 = never). */
  healthCheckInterval?: number;
  /** The downstream session that owns this connection (isolation "session"): all its traffic is that session's. */
  owner?: object;
  /**
   * Masks registered secrets. Applied to every upstream-derived text this connection keeps or builds
   * an error from (last error, last call error, exit descriptions with stderr tails), so /ready,
   * status and errors to clients never carry a secret the upstream printed.
   */
  redact?: RedactFn;
  /**
   * The catalog of the connection this one replaces (a changed config): its public names stay listed
   * while it connects, and calls wait for it instead of finding an unknown tool.
   */
  replacing?: UpstreamCatalog;
  /** Opens the transport for a connect attempt; createTransport unless a test puts its own in. */
  openTransport?: OpenTransport;
  /** What the handshakes declare, once known (PoolOptions.clientCapabilities). */
  declare?: Promise<ClientCapabilities>;
  /**
   * Start-up lists tools first (toolsFirst.ts): while this is shut, a connect lists the tools alone and
   * the rest once it opens. Unset: every connect lists everything at once.
   */
  restAfter?: Latch;
}

export type OpenTransport = (name: string, config: UpstreamConfig, deps: TransportDeps) => Promise<UpstreamTransport>;

export interface CallOptions {
  /** The MCP method this call sends (decides whether it may be retried after a re-initialize). */
  method?: string;
  /** The downstream call this request is made for (see origin.ts). */
  origin?: object;
  /**
   * Safe to send again on another replica when the first one failed before answering (a read, or a
   * tool annotated readOnlyHint or idempotentHint).
   */
  retryable?: boolean;
  /** The downstream session's key: balance "session" keeps one key on one replica. */
  affinity?: string;
}
