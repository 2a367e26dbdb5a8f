/**
 * `mcp-proxy run`: the one place where everything is wired together. Loaded lazily by the CLI.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Aggregator } from './aggregator/server.js';
import { registerConfigSecrets } from './cli/configSecrets.js';
import type { CliContext } from './cli/context.js';
import { commandLogger } from './cli/createCli.js';
import { type CredentialArgs, configLoadOptions, credentialChainFor } from './cli/credentialOptions.js';
import type { GlobalArgs } from './cli/types.js';
import { findAndLoadConfig, type LoadedConfig, loadConfig } from './config/load.js';
import { displayFile, formatProblem } from './config/problems.js';
import { type Config, DEFAULTS, type UpstreamConfig } from './config/schema.js';
import { AppError, errorMessage } from './errors.js';
import { Lifecycle } from './lifecycle.js';
import type { Logger } from './observability/logger.js';
import { createMetrics } from './observability/metrics.js';
import type { DockerClientFactory } from './upstream/docker/client.js';
import { UpstreamPool } from './upstream/pool.js';

export interface RunOptions extends CredentialArgs, GlobalArgs {
  config?: string;
  transport?: 'stdio' | 'http';
  host?: string;
  port?: number;
  toolsMode?: 'all' | 'dynamic';
  allowUnauthenticated?: boolean;
  watch?: boolean;
}

/** The config `run` serves when none exists anywhere: the example server, run from our own executable. */
export function embeddedDefaultConfig(ctx: Pick<CliContext, 'execPath' | 'entry'>, isSea: boolean): Config {
  const args = isSea || !ctx.entry ? ['__example-server'] : [ctx.entry, '__example-server'];
  return {
    mcpServers: {
      example: {
        type: 'stdio',
        command: ctx.execPath,
        args,
        description: 'The built-in example server (no config file was found)',
      },
    },
  };
}

function isSeaRuntime(): boolean {
  try {
    const get = (process as unknown as { getBuiltinModule?: (id: string) => any }).getBuiltinModule;
    return Boolean(get?.('node:sea')?.isSea?.());
  } catch {
    return false;
  }
}

export async function runProxy(args: RunOptions, ctx: CliContext): Promise<number> {
  const logger = commandLogger(args, ctx);
  const log = logger.child({ component: 'run' });
  const chain = credentialChainFor(args, ctx);
  const loadOpts = configLoadOptions(args.config, chain, ctx);
  let loaded: LoadedConfig | undefined = await findAndLoadConfig(loadOpts);
  // What the watched files looked like when read: a change before the watcher is up is caught up on.
  const watchedFiles = loaded ? [loaded.path, chain.credentialsFile] : [];
  const readStamps = fileStamps(watchedFiles);
  let config: Config;
  // proxy.logLevel applies (also on reload) unless --log-level, -v, --debug or MCP_PROXY_LOG_LEVEL chose one.
  const levelFixed = Boolean(args.debug || args.verbose || args.logLevel || ctx.env.MCP_PROXY_LOG_LEVEL);
  if (loaded?.config.proxy?.logLevel && !levelFixed) logger.level = loaded.config.proxy.logLevel;
  if (loaded) {
    config = loaded.config;
    for (const w of loaded.warnings) log.warn(formatProblem(w, displayFile(loaded.path, ctx.cwd)).join(' '));
    log.info({ config: loaded.path, servers: Object.keys(config.mcpServers).length }, 'config loaded');
  } else {
    config = embeddedDefaultConfig(ctx, isSeaRuntime());
    log.warn(
      'no config file found: serving the built-in example server. Put your servers in ./mcp-proxy.json or ~/.config/mcp-proxy/config.json (or pass --config FILE); see `mcp-proxy --help`.',
    );
  }

  // Literal secrets in the config are masked like credentials from the chain.
  registerConfigSecrets(config.mcpServers, ctx.redactor);
  const proxy = config.proxy ?? {};
  const transport = args.transport ?? proxy.transport ?? 'stdio';
  const metrics = createMetrics();
  const pool = new UpstreamPool({
    configs: config.mcpServers,
    proxy,
    logger,
    metrics,
    env: ctx.env,
    cwd: ctx.cwd,
    onStderrLine: (line) => ctx.stderr.write(`${ctx.redactor.redact(line)}\n`),
    docker: dockerFactory(ctx, logger, () => pool.runId),
    redact: (text) => ctx.redactor.redact(text),
  });
  const toolsModeName = args.toolsMode ?? proxy.tools?.mode ?? 'all';
  const agg = new Aggregator({
    pool,
    logger,
    metrics,
    name: proxy.name,
    separator: proxy.separator ?? DEFAULTS.separator,
    toolsMode: toolsModeName === 'dynamic' ? await loadDynamicMode() : undefined,
    isolateSessions: transport === 'http',
  });

  const lifecycle = new Lifecycle({
    logger,
    graceMs: proxy.timeouts?.shutdownGrace ?? DEFAULTS.shutdownGrace,
    inflight: () => agg.inflight,
    forceExit: (code) => process.exit(code),
    onReload: () => void reload('SIGHUP'),
  });
  lifecycle.installSignalHandlers();

  const started = performance.now();
  await pool.start();
  const statuses = pool.snapshot();
  const ready = statuses.filter((s) => s.state === 'ready').length;
  log.info(
    {
      ready,
      failed: statuses.filter((s) => s.state === 'failed' || s.state === 'retrying').length,
      ms: Math.round(performance.now() - started),
    },
    `${ready}/${statuses.filter((s) => s.state !== 'disabled').length} upstreams ready`,
  );
  const collisions = agg.collisions();
  if (collisions.length) {
    await pool.close();
    throw new AppError('NAME_COLLISION', 'public names collide between upstream servers', {
      details: collisions,
      hint: 'give one of the servers a "prefix" in the config (or remove "prefix": false)',
    });
  }

  // Frontends. If one cannot start (a port in use), the upstreams are stopped before the error is shown.
  try {
    if (transport === 'http') {
      const { startHttpFrontend } = await import('./frontends/http/start.js');
      const { HTTP_DEFAULTS } = await import('./frontends/http/app.js');
      const tokens = httpTokens(chain, ctx);
      for (const t of tokens) ctx.redactor.add(t);
      const http = proxy.http ?? {};
      const frontend = await startHttpFrontend({
        host: args.host ?? proxy.host,
        port: args.port ?? proxy.port,
        allowUnauthenticated: args.allowUnauthenticated ?? http.allowUnauthenticated,
        allowedHosts: http.allowedHosts,
        allowedOrigins: http.allowedOrigins,
        maxBodyBytes: http.maxBodyBytes,
        maxSessions: http.maxSessions,
        maxSessionsPerClient: http.maxSessionsPerClient,
        sessionIdleTimeoutMs: http.sessionIdleTimeout,
        requestTimeoutMs: http.requestTimeout,
        headersTimeoutMs: http.headersTimeout,
        maxConnections: http.maxConnections,
        rateLimit: http.rateLimit ? { ...HTTP_DEFAULTS.rateLimit, ...stripUndefined(http.rateLimit) } : undefined,
        auth: { tokens },
        logger,
        metrics,
        serverFactory: (c) => agg.createServer({ era: c.era, transient: c.era === 'modern' }),
        status: () => ({ ready: pool.firstRoundDone, upstreams: pool.snapshot() }),
      });
      // 2026-07-28 clients hear of list changes on their subscriptions/listen streams.
      agg.on('list_changed', (k) => frontend.app.notifyListChanged(k));
      lifecycle.addStopAccepting('http', () => {
        frontend.server.close();
        frontend.server.closeIdleConnections?.();
      });
      lifecycle.add('http', () => frontend.close());
      log.info({ url: frontend.url, auth: tokens.length > 0 }, `serving Streamable HTTP at ${frontend.url}`);
      ctx.stderr.write(`mcp-proxy: listening on ${frontend.url}${tokens.length ? ' (bearer token required)' : ''}\n`);
    } else {
      const { startStdioFrontend } = await import('./frontends/stdio.js');
      const stdio = startStdioFrontend(agg, logger, ctx.stdin);
      lifecycle.add('stdio', () => stdio.close());
      void stdio.closed.then(() => {
        log.info('stdin closed: shutting down');
        void lifecycle.shutdown('stdin closed');
      });
    }
  } catch (e) {
    await pool.close();
    throw e;
  }
  lifecycle.add('upstreams', () => pool.close());

  // Live reload: the config file (and the credentials file) are watched; SIGHUP reloads too.
  // Reloads never overlap; a change that arrives during one is applied right after it.
  let reloading: Promise<void> | undefined;
  let reloadAgain: string | undefined;
  async function reload(reason: string): Promise<void> {
    if (!loaded || lifecycle.isShuttingDown) return;
    if (reloading) {
      reloadAgain = reason;
      return reloading;
    }
    reloading = (async () => {
      try {
        const next = await loadConfig({ ...loadOpts, path: loaded!.path });
        registerConfigSecrets(next.config.mcpServers, ctx.redactor);
        for (const w of next.warnings) log.warn(`${w.path ? `${w.path}: ` : ''}${w.message}`);
        for (const key of restartOnlySettings(loaded!.config.proxy, next.config.proxy)) {
          log.warn(`proxy.${key} changed: restart the proxy to apply it (the rest of the config is applied now)`);
        }
        const level = next.config.proxy?.logLevel ?? 'info';
        if (!levelFixed && level !== logger.level) {
          logger.level = level;
          log.info({ logLevel: level }, 'log level changed (proxy.logLevel)');
        }
        const result = await pool.apply(next.config.mcpServers as Record<string, UpstreamConfig>, next.config.proxy);
        loaded = next;
        log.info({ reason, ...result }, 'config reloaded');
      } catch (e) {
        const msg = e instanceof AppError ? e.format() : errorMessage(e);
        log.error({ reason }, `config reload failed; still serving the previous config:\n${msg}`);
      } finally {
        reloading = undefined;
      }
      if (reloadAgain && !lifecycle.isShuttingDown) {
        const again = reloadAgain;
        reloadAgain = undefined;
        await reload(again);
      }
    })();
    return reloading;
  }
  if (loaded && (args.watch ?? proxy.watch ?? true)) {
    const watcher = await watchFiles(watchedFiles, () => void reload('file changed'), logger);
    lifecycle.add('watcher', () => watcher.close());
    if (fileStamps(watchedFiles) !== readStamps) void reload('file changed during start-up');
  }

  await lifecycle.done;
  return 0;
}

/** Proxy settings a reload cannot apply to a running proxy (the listener, the public names). */
function restartOnlySettings(before: Config['proxy'], after: Config['proxy']): string[] {
  const keys = ['transport', 'host', 'port', 'name', 'separator', 'tools', 'http'] as const;
  return keys.filter((k) => JSON.stringify(before?.[k]) !== JSON.stringify(after?.[k]));
}

function httpTokens(chain: { lookup(n: string): string | undefined }, ctx: CliContext): string[] {
  const raw = chain.lookup('MCP_PROXY_TOKEN') ?? ctx.env.MCP_PROXY_TOKEN ?? '';
  return raw
    .split(/[\s,]+/)
    .map((t) => t.trim())
    .filter(Boolean);
}

function dockerFactory(ctx: CliContext, logger: Logger, runId: () => string): DockerClientFactory {
  let client: ReturnType<DockerClientFactory> | undefined;
  return () => {
    client ??= (async () => {
      const mod = await import('./upstream/docker/index.js');
      const docker = await mod.createDockerClient(ctx.env);
      await mod.removeStaleContainers(docker, logger, { runId: runId() }).catch(() => {});
      return docker;
    })();
    return client;
  };
}

async function loadDynamicMode() {
  const { createDynamicToolsMode } = await import('./aggregator/dynamicTools.js');
  return createDynamicToolsMode();
}

/**
 * Watches the directories of `files`, filtered to those files: a watch on the file itself ends when
 * the file is deleted or renamed over (editors and config tools save that way), a directory watch
 * sees the new file. A directory that does not exist yet (the credentials file's, typically) is
 * watched from its nearest existing ancestor, so creating it is seen too.
 */
async function watchFiles(files: string[], onChange: () => void, logger: Logger): Promise<{ close(): Promise<void> }> {
  const { watch } = await import('chokidar');
  let timer: NodeJS.Timeout | undefined;
  const wanted = new Set(files.map((f) => path.resolve(f)));
  // The paths an event may come from: the files, and the directories from each watched root down to them.
  const allowed = new Set<string>(wanted);
  const targets = new Set<string>();
  let depth = 0;
  for (const file of wanted) {
    let dir = path.dirname(file);
    const below: string[] = [];
    while (!fs.existsSync(dir) && path.dirname(dir) !== dir) {
      below.push(dir);
      dir = path.dirname(dir);
    }
    targets.add(dir);
    allowed.add(dir);
    for (const d of below) allowed.add(d);
    depth = Math.max(depth, below.length);
  }
  // Only existing paths: chokidar reports "ready" before it watches anything when given a missing one.
  const watcher = watch([...targets], {
    ignoreInitial: true,
    depth,
    awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 25 },
    ignored: (p: string) => !allowed.has(path.resolve(p)),
  });
  watcher.on('all', (_event: string, p: string) => {
    if (!wanted.has(path.resolve(p))) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(onChange, 150);
  });
  watcher.on('error', (e) => logger.debug({ err: errorMessage(e) }, 'watch error'));
  // Changes are seen once the first scan is done.
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  logger.debug({ files: [...wanted], watching: [...targets] }, 'watching the config for changes');
  return {
    close: async () => {
      if (timer) clearTimeout(timer);
      await watcher.close();
    },
  };
}

/** Identity and version of files (inode, size, mtime), to tell whether any changed since. */
function fileStamps(files: string[]): string {
  return files
    .map((f) => {
      try {
        const s = fs.statSync(f);
        return `${s.ino}:${s.size}:${s.mtimeMs}`;
      } catch {
        return '-';
      }
    })
    .join('|');
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
