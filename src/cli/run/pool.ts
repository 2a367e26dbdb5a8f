/**
 * The one way the CLI builds an upstream pool (`run`, and the one-shot `status`/`tools`): the same
 * stderr relay, masking and Docker client for every command.
 */
import type { ClientCapabilities } from '@modelcontextprotocol/client';
import type { ProxyConfig, UpstreamConfig } from '../../config/schema.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import { CatalogCache } from '../../upstream/catalogCache.js';
import { serversEnv } from '../../upstream/childEnv.js';
import type { DockerClientFactory } from '../../upstream/docker/client.js';
import type { OAuthRuntime } from '../../upstream/oauth/runtime.js';
import { UpstreamPool } from '../../upstream/pool.js';
import type { PrespawnRegistry } from '../../upstream/prespawn.js';
import { defaultCacheDir } from '../../util/cacheDir.js';
import type { CliContext } from '../context.js';
import { oauthRuntimeFor } from '../oauthRuntime.js';

export interface PoolSetup {
  configs: Record<string, UpstreamConfig>;
  proxy?: ProxyConfig;
  logger: Logger;
  metrics?: Metrics;
  /** Upstream stderr lines reach our stderr (masked); false drops them. */
  relayStderr: boolean;
  /** OAuth logins of HTTP/SSE upstreams (default: the token files beside the default credentials file). */
  oauth?: OAuthRuntime;
  /** Keep catalogs between runs (`run`; the one-shot commands want the servers' live answers). */
  catalogCache?: boolean;
  /** Called after catalogs were written to that cache. */
  onCatalogsWritten?: () => void;
  /** Also given every upstream stderr line, masked (the dashboard's log view). */
  tapStderr?: (line: string) => void;
  /** Stdio servers started early (`run` over stdio): the first connects take their processes. */
  prespawned?: PrespawnRegistry;
  /** What the handshakes declare, once known (`run` over stdio: from the client's initialize). */
  clientCapabilities?: Promise<ClientCapabilities>;
}

export function createPool(ctx: CliContext, setup: PoolSetup): UpstreamPool {
  const oauth = setup.oauth ?? oauthRuntimeFor({}, ctx, setup.logger);
  const pool: UpstreamPool = new UpstreamPool({
    configs: setup.configs,
    proxy: setup.proxy,
    logger: setup.logger,
    metrics: setup.metrics,
    // Fixed at start, as the servers started early were: a reload that turns the cache off keeps it.
    env: serversEnv(ctx, setup.proxy),
    cwd: ctx.cwd,
    onStderrLine: (line) => {
      const masked = ctx.redactor.redact(line);
      setup.tapStderr?.(masked);
      if (setup.relayStderr) ctx.stderr.write(`${masked}\n`);
    },
    docker: dockerFactory(ctx, setup.logger, () => pool.runId),
    redact: (text) => ctx.redactor.redact(text),
    auth: (name, config) => oauth.authFor(name, config),
    prespawned: setup.prespawned,
    clientCapabilities: setup.clientCapabilities,
    cache: setup.catalogCache
      ? new CatalogCache(defaultCacheDir(ctx.env, ctx.platform, ctx.homedir), setup.logger, setup.onCatalogsWritten)
      : undefined,
  });
  return pool;
}

/** One Docker client per pool, made on first use; containers a crashed earlier run left are removed then. */
function dockerFactory(ctx: CliContext, logger: Logger, runId: () => string): DockerClientFactory {
  let client: ReturnType<DockerClientFactory> | undefined;
  return () => {
    client ??= (async () => {
      const mod = await import('../../upstream/docker/index.js');
      const docker = await mod.createDockerClient(ctx.env);
      await mod.removeStaleContainers(docker, logger, { runId: runId() }).catch(() => {});
      return docker;
    })();
    return client;
  };
}
