/**
 * `mcp-proxy run`: the composition root, where everything is wired together (loaded lazily by the
 * CLI). The frontend serves first; upstreams connect in the background; the config is followed live.
 */
import type { ClientCapabilities } from '@modelcontextprotocol/client';
import { Aggregator } from '../../aggregator/server.js';
import { DEFAULTS } from '../../config/schema.js';
import { Lifecycle } from '../../lifecycle.js';
import type { Logger } from '../../observability/logger.js';
import { type Metrics, noopMetrics } from '../../observability/metrics.js';
import { startupMark } from '../../observability/startupTrace.js';
import { declaredFor } from '../../upstream/handshake.js';
import type { OAuthRuntime } from '../../upstream/oauth/runtime.js';
import { registerConfigSecrets } from '../configSecrets.js';
import type { CliContext } from '../context.js';
import type { commandLogger } from '../createCli.js';
import type { configLoadOptions } from '../credentialOptions.js';
import { oauthRuntimeFor } from '../oauthRuntime.js';
import { setupAudit } from './audit.js';
import { type loadRunConfig, reportRunConfig } from './config.js';
import { type EarlyStart, startEarly } from './early.js';
import { startHttp, startStdio } from './frontend.js';
import { createAccess } from './gateway.js';
import { watchLogins } from './oauthWatch.js';
import type { RunOptions } from './options.js';
import { createPool } from './pool.js';
import { createReloader } from './reload.js';
import { startUpstreams } from './startup.js';
import { fileStamps, watchFiles } from './watch.js';

export type { RunOptions };

/** `started`: the config already loaded (and stdio servers started) by startEarly, before this module loaded. */
export async function runProxy(args: RunOptions, ctx: CliContext, started?: EarlyStart): Promise<number> {
  const early = started ?? (await startEarly(args, ctx, { prespawn: false }));
  const { logs, logger, chain, loadOpts, run } = early;
  const { loaded, config } = run;
  // What the watched files looked like when read: a change before the watcher is up is caught up on.
  const watchedFiles = loaded ? [loaded.path, chain.credentialsFile] : [];
  const readStamps = fileStamps(watchedFiles);
  // proxy.logLevel applies (also on reload) unless --log-level, -v, --debug or MCP_PROXY_LOG_LEVEL chose one.
  const levelFixed = Boolean(args.debug || args.verbose || args.logLevel || ctx.env.MCP_PROXY_LOG_LEVEL);
  if (config.proxy?.logLevel && !levelFixed) logger.level = config.proxy.logLevel;
  reportRunConfig(run, ctx, logger.child({ component: 'run' }));
  // Literal secrets in the config are masked like credentials from the chain.
  registerConfigSecrets(config.mcpServers, ctx.redactor);

  const proxy = config.proxy ?? {};
  const transport = args.transport ?? proxy.transport ?? 'stdio';
  const metrics = await metricsFor(transport);
  const oauth = oauthRuntimeFor(args, ctx, logger);
  const declared = declaredToServers(transport);
  const clientCapabilities = declared.promise;
  const pool = createPool(ctx, {
    configs: config.mcpServers,
    ...poolSetup(early, logger, metrics, oauth),
    clientCapabilities,
  });
  const toolsModeName = args.toolsMode ?? proxy.tools?.mode ?? 'all';
  const access = createAccess(proxy, args.profile);
  const audit = setupAudit({ proxy, configPath: loaded?.path, ctx, logger, metrics, transport });
  const agg = new Aggregator({
    pool,
    logger,
    metrics,
    name: proxy.name,
    separator: proxy.separator ?? DEFAULTS.separator,
    toolsMode: toolsModeName === 'dynamic' ? await loadDynamicMode() : undefined,
    isolateSessions: transport === 'http',
    access,
    onCall: audit.hook,
  });
  let reload: ((reason: string) => Promise<void>) | undefined;
  const lifecycle = new Lifecycle({
    logger,
    graceMs: proxy.timeouts?.shutdownGrace ?? DEFAULTS.shutdownGrace,
    inflight: () => agg.inflight,
    forceExit: (code) => ctx.exit?.(code),
    onReload: () => void reload?.('SIGHUP'),
  });
  lifecycle.installSignalHandlers();
  early.handOver(lifecycle);

  // Serve first: the listener is bound (or a port in use reported) before any upstream starts.
  const deps = {
    args,
    ctx,
    proxy,
    logger,
    metrics,
    agg,
    pool,
    lifecycle,
    access,
    lookup: (n: string) => chain.lookup(n),
    where: { configPath: loaded?.path, credentialsFile: chain.credentialsFile },
    logs,
    earlyStdio: early.stdio,
  };
  startupMark('run: aggregator built');
  const served = await (transport === 'http' ? startHttp(deps) : startStdio(deps));
  if (served.clientCapabilities) declared.learn(served.clientCapabilities);
  startupMark(`run: ${transport} frontend serving`);
  lifecycle.add('upstreams', () => pool.close());
  lifecycle.add('audit', () => audit.close());
  if (!lifecycle.isShuttingDown) {
    void startUpstreams(pool, agg, lifecycle, logger, {
      windowMs: proxy.timeouts?.startup ?? DEFAULTS.startupWindow,
    });
  }

  // Live reload: the config file (and the credentials file) are watched; SIGHUP reloads too. Over stdio the
  // watchers come after the first answer (a change meanwhile is caught up on from the stamps read above).
  if (served.firstMessage) await settledOrAfter(served.firstMessage, FIRST_MESSAGE_WAIT_MS);
  reload = await followConfig(
    { args, ctx, logger, pool, access, audit, oauth, lifecycle, loaded, loadOpts, levelFixed },
    { watchedFiles, readStamps, servers: config.mcpServers, watch: args.watch ?? proxy.watch ?? true },
  );

  await lifecycle.done;
  return 0;
}

/**
 * What the servers' handshakes declare. Over stdio the one client is known from its initialize, and the
 * servers are told what it declared (handshake.ts, declaredFor); the handshakes wait for that (the
 * processes start meanwhile). Over HTTP the sessions share the connections, which declare everything.
 */
function declaredToServers(transport: string): {
  promise?: Promise<ClientCapabilities>;
  learn(client: Promise<Record<string, unknown> | undefined>): void;
} {
  if (transport !== 'stdio') return { learn: () => {} };
  let known!: (c: ClientCapabilities) => void;
  const promise = new Promise<ClientCapabilities>((resolve) => {
    known = resolve;
  });
  return {
    promise,
    learn(client) {
      void client.then((c) => known(declaredFor(c)));
      // Clients send initialize at once; servers are not kept waiting on one that says nothing.
      setTimeout(() => known(declaredFor(undefined)), CLIENT_WAIT_MS).unref();
    },
  };
}

/** How long, over stdio, the servers' handshakes wait for the client's first message (then declare everything). */
const CLIENT_WAIT_MS = 1000;

/** How long the watchers wait for a stdio client's first message before they are set up anyway. */
const FIRST_MESSAGE_WAIT_MS = 100;

/** Resolves once `p` has settled and its answer had a turn to go out, or after `ms`, whichever is first. */
function settledOrAfter(p: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void p.then(() =>
      setImmediate(() => {
        clearTimeout(timer);
        resolve();
      }),
    );
  });
}

/** Prometheus metrics where /metrics can serve them (HTTP); over stdio nothing could read them. */
async function metricsFor(transport: string): Promise<Metrics> {
  if (transport !== 'http') return noopMetrics;
  const { createMetrics } = await import('../../observability/prometheus.js');
  return createMetrics();
}

async function loadDynamicMode() {
  const { createDynamicToolsMode } = await import('../../aggregator/dynamicTools.js');
  return createDynamicToolsMode();
}

interface FollowDeps {
  args: RunOptions;
  ctx: CliContext;
  logger: ReturnType<typeof commandLogger>;
  pool: ReturnType<typeof createPool>;
  access: ReturnType<typeof createAccess>;
  audit: ReturnType<typeof setupAudit>;
  oauth: ReturnType<typeof oauthRuntimeFor>;
  lifecycle: Lifecycle;
  loaded: Awaited<ReturnType<typeof loadRunConfig>>['loaded'];
  loadOpts: ReturnType<typeof configLoadOptions>;
  levelFixed: boolean;
}

/** The reloader (config, credentials, SIGHUP) and the watchers that trigger it; none without a config file. */
async function followConfig(
  d: FollowDeps,
  w: { watchedFiles: string[]; readStamps: string; servers: Parameters<typeof watchLogins>[1]; watch: boolean },
): Promise<((reason: string) => Promise<void>) | undefined> {
  const { ctx, logger, pool, loaded, lifecycle } = d;
  if (!loaded) return undefined;
  const reload = createReloader({
    ctx,
    logger,
    pool,
    loaded,
    loadOpts: d.loadOpts,
    levelFixed: d.levelFixed,
    isShuttingDown: () => lifecycle.isShuttingDown,
    onConfig: (next) => {
      d.access.update(next.proxy?.access);
      d.audit.update(next.proxy ?? {});
    },
  });
  if (w.watch && !lifecycle.isShuttingDown) {
    const watcher = await watchFiles(w.watchedFiles, () => void reload('file changed'), logger);
    lifecycle.add('watcher', () => watcher.close());
    if (fileStamps(w.watchedFiles) !== w.readStamps) void reload('file changed during start-up');
    const logins = await watchLogins(d.oauth.store, w.servers, pool, reload, logger);
    lifecycle.add('oauth watcher', () => logins.close());
  }
  return reload;
}

/** The pool's setup in `run`: catalogs kept (and the first answer remembered from them), stderr relayed and tapped. */
function poolSetup(early: EarlyStart, logger: Logger, metrics: Metrics, oauth: OAuthRuntime) {
  const { proxy = {} } = early.run.config;
  const { logs, prespawned, rememberOffer: onCatalogsWritten } = early;
  return {
    proxy,
    logger,
    metrics,
    relayStderr: true,
    oauth,
    tapStderr: logs.stderrLine,
    catalogCache: true,
    prespawned,
    onCatalogsWritten,
  };
}
