/**
 * What the pool is built from, and the options each of its connections gets (timeouts, retry and
 * breaker settings from `proxy`, the transport's dependencies, the bridge to downstream sessions).
 */
import type { ClientCapabilities } from '@modelcontextprotocol/client';
import type { ProxyConfig, UpstreamConfig } from '../config/schema.js';
import { DEFAULTS } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import { type Metrics, noopMetrics } from '../observability/metrics.js';
import type { RedactFn } from '../observability/redact.js';
import { stripUndefined } from '../util/objects.js';
import type { CatalogCache } from './catalogCache.js';
import { type ConnectionOptions, DEFAULT_RETRY, type DownstreamBridge } from './connection.js';
import type { OpenTransport } from './options.js';
import type { PrespawnRegistry } from './prespawn.js';
import type { TransportDeps } from './transports.js';

export interface PoolOptions {
  configs: Record<string, UpstreamConfig>;
  proxy?: ProxyConfig;
  logger: Logger;
  metrics?: Metrics;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Where upstream stderr lines go (already prefixed with the server name). Default: our stderr. */
  onStderrLine?: (line: string) => void;
  docker?: TransportDeps['docker'];
  /** OAuth logins of HTTP/SSE upstreams. */
  auth?: TransportDeps['auth'];
  /** Masks registered secrets in what the upstreams report (last errors, exit descriptions, call errors). */
  redact?: RedactFn;
  /** Opens upstream transports (tests put in-process servers here); createTransport by default. */
  openTransport?: OpenTransport;
  /** Where catalogs are kept between runs (`run` only; `proxy.cache: false` turns it off). */
  cache?: CatalogCache;
  /** Stdio processes started before the pool (`run`): taken by the first connects, the rest stopped after. */
  prespawned?: PrespawnRegistry;
  /**
   * What every handshake declares, once known: over stdio, what the one client declared (declaredFor);
   * the handshakes wait for it (the processes start meanwhile). Everything the proxy relays by default.
   */
  clientCapabilities?: Promise<ClientCapabilities>;
}

/** The options of one connection of the pool (a shared one, or one a session owns). */
export function connectionOptionsFor(
  opts: PoolOptions,
  name: string,
  config: UpstreamConfig,
  /** The configured server a replica `name` speaks for: its server-to-client traffic and login are the server's. */
  server: string,
  pool: { runId: string; bridge(): DownstreamBridge | undefined; redact(text: string): string },
): ConnectionOptions {
  const proxy = opts.proxy ?? {};
  const stderr = opts.onStderrLine ?? ((line: string) => process.stderr.write(`${line}\n`));
  const transportDeps: TransportDeps = {
    logger: opts.logger,
    env: opts.env,
    cwd: opts.cwd,
    onStderrLine: stderr,
    runId: pool.runId,
    docker: opts.docker,
    auth: opts.auth && server !== name ? (_n, c) => opts.auth?.(server, c) : opts.auth,
    prespawned: opts.prespawned,
  };
  return {
    name,
    config,
    transportDeps,
    logger: opts.logger,
    metrics: opts.metrics ?? noopMetrics,
    bridge: {
      request: (u, m, p, s, o) => {
        const bridge = pool.bridge();
        if (!bridge) return Promise.reject(new Error(`no downstream client to handle ${m}`));
        return bridge.request(u === name ? server : u, m, p, s, o);
      },
      notify: (u, m, p, o) => pool.bridge()?.notify(u === name ? server : u, m, p, o),
    },
    connectTimeout: proxy.timeouts?.connect ?? DEFAULTS.connectTimeout,
    requestTimeout: proxy.timeouts?.request ?? DEFAULTS.requestTimeout,
    retry: { ...DEFAULT_RETRY, ...stripUndefined(proxy.retry ?? {}) },
    breaker: {
      failureThreshold: proxy.breaker?.failureThreshold ?? 5,
      halfOpenAfter: proxy.breaker?.halfOpenAfter ?? 10_000,
    },
    healthCheckInterval: proxy.healthCheckInterval ?? 30_000,
    redact: (text) => pool.redact(text),
    openTransport: opts.openTransport,
    declare: opts.clientCapabilities,
  };
}

/** The proxy settings a connection is built with (a change restarts the connections). */
export function connectionSettings(proxy: ProxyConfig | undefined): unknown {
  return {
    connect: proxy?.timeouts?.connect,
    request: proxy?.timeouts?.request,
    retry: proxy?.retry ?? {},
    breaker: proxy?.breaker ?? {},
    healthCheckInterval: proxy?.healthCheckInterval,
  };
}
