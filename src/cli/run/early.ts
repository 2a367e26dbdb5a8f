/**
 * The first part of `run`, loaded before the composition root: the logger, the credential chain and
 * the config. Serving over stdio, stdio servers' processes are started right here (those the launcher's
 * raw pre-read of the config started already are adopted: preread.ts), so they boot while the rest of
 * the proxy loads; their connections take them over (upstream/prespawn.ts). Over HTTP nothing starts
 * before the port is bound (a port in use is reported before any server runs).
 * Over stdio the client's first message is read here too, and an `initialize` answered at once
 * (earlyStdio.ts); the stdio frontend takes over what was read.
 *
 * Until the lifecycle takes over (handOver), SIGINT and SIGTERM are held rather than killing the proxy
 * under its early-started servers: the lifecycle then shuts down as for any signal (a second one
 * forces the exit; the exit hook stops every server's process group).
 */
import { initializeResult, offerBeforeStart } from '../../aggregator/initializeOffer.js';
import type { UpstreamConfig } from '../../config/schema.js';
import { LogRing } from '../../dashboard/logRing.js';
import { type EarlyStdio, type PlainInitialize, readStdioEarly } from '../../frontends/earlyStdio.js';
import type { Lifecycle } from '../../lifecycle.js';
import { type Logger, silentLogger } from '../../observability/logger.js';
import { startupMark } from '../../observability/startupTrace.js';
import { type CachedServer, CatalogCache } from '../../upstream/catalogCache.js';
import { serversEnv } from '../../upstream/childEnv.js';
import { PrespawnRegistry, prespawnServers } from '../../upstream/prespawn.js';
import { loopTurns } from '../../util/async.js';
import { defaultCacheDir, startOfferDir } from '../../util/cacheDir.js';
import type { CliContext } from '../context.js';
import { commandLogger } from '../createCli.js';
import { configLoadOptions, credentialChainFor } from '../credentialOptions.js';
import { loadRunConfig, type RunConfig } from './config.js';
import { takeLauncherStdio } from './launcherAnswer.js';
import type { RunOptions } from './options.js';
import { earlyLimit, holdSignals, takePreread } from './preread.js';
import { offerFromTextOnly, rememberOffer } from './rememberedOffer.js';

export interface EarlyStart {
  /** What the dashboard shows: our lines and the upstreams' stderr. */
  logs: LogRing;
  logger: Logger;
  chain: ReturnType<typeof credentialChainFor>;
  loadOpts: ReturnType<typeof configLoadOptions>;
  run: RunConfig;
  /** The servers started early, for the pool's connections to take. */
  prespawned: PrespawnRegistry;
  /** Over stdio: the reader of the client's first message, for the stdio frontend to take over. */
  stdio?: EarlyStdio;
  /** The lifecycle owns shutdown from now on (also of the servers started early); a held signal reaches it. */
  handOver(lifecycle: Lifecycle): void;
  /**
   * Over stdio: remembers the `initialize` answer the next start of this config gives before the core
   * loads, from the catalog cache as it is now (called when catalogs were written).
   */
  rememberOffer?: () => void;
}

/** `prespawn`: the `run` command's early phase (servers started and the first message read early). */
export async function startEarly(args: RunOptions, ctx: CliContext, opts: { prespawn: boolean }): Promise<EarlyStart> {
  const logs = new LogRing();
  const logger = commandLogger(args, ctx, 'info', logs.pinoLine);
  const chain = credentialChainFor(args, ctx);
  const loadOpts = configLoadOptions(args.config, chain, ctx);
  const prespawned = new PrespawnRegistry();
  // Servers the launcher's pre-read started (preread.ts): ours from here on, signals held as for ours.
  const pre = takePreread();
  let held = pre ? holdSignals(exitOf(ctx), pre.release) : undefined;
  if (pre) prespawned.adopt(pre.children);
  let run: RunConfig;
  try {
    run = await loadRunConfig(loadOpts, ctx);
  } catch (e) {
    // An invalid config: what the pre-read started stops before the error is reported.
    held?.release();
    await prespawned.close();
    throw e;
  }
  startupMark('run: config loaded');
  const transport = args.transport ?? run.config.proxy?.transport ?? 'stdio';
  // The launcher may have answered `initialize` already (launcherAnswer.ts): its reader is ours now.
  const launcher = takeLauncherStdio();
  let stdio: EarlyStdio | undefined;
  let remember: (() => void) | undefined;
  if (transport !== 'stdio') {
    launcher?.adopt(() => undefined).stop();
    held?.release();
    held = undefined;
    await prespawned.close();
  } else if (opts.prespawn) {
    const cached = cachedCatalogs(run, ctx);
    // An unknown --profile is a usage error the composition root reports before anything is answered.
    const profiles = run.config.proxy?.access?.profiles ?? {};
    if (args.profile === undefined || Object.hasOwn(profiles, args.profile)) {
      const answer = (request: PlainInitialize) => answerInitialize(run, cached, request.params.protocolVersion);
      stdio = launcher ? launcher.adopt(answer) : readStdioEarly(ctx.stdin, ctx.stdout, answer);
      // A first message already in the pipe is answered first (the servers' start costs the proxy's core a
      // few milliseconds), and before loading the composition root holds the thread: a few turns of the
      // event loop, as reading stdin starts only after one.
      await Promise.race([stdio.decided, loopTurns(3)]);
    } else launcher?.adopt(() => undefined).stop();
    remember = () => rememberStartOffer(run, args, ctx);
    // A server without a cached catalog holds up the first complete listing until it is up: all of
    // those start now. Known ones only fill the idle cores (their catalog answers the listing).
    const unknown = (name: string, config: UpstreamConfig) => !cached(name, config);
    const env = serversEnv(ctx, run.config.proxy);
    const started = prespawnServers(prespawned, run.config.mcpServers, env, ctx.cwd, earlyLimit(), unknown);
    if (started) {
      held ??= holdSignals(exitOf(ctx));
      startupMark(`run: ${started} stdio servers started early`);
    }
    rememberStartOffer(run, args, ctx, cached);
  }
  return {
    logs,
    logger,
    chain,
    loadOpts,
    run,
    prespawned,
    stdio,
    rememberOffer: remember,
    handOver(lifecycle) {
      lifecycle.add('servers started early', () => prespawned.close());
      const signal = held?.release();
      if (signal && !lifecycle.isShuttingDown) {
        logger.child({ component: 'lifecycle' }).info(`${signal}: shutting down (send it again to force)`);
        void lifecycle.shutdown(signal);
      }
    },
  };
}

/**
 * The initialize result a session made now would give: every server still starting, each one's catalog
 * cache entry read as the pool reads it (its warnings are the pool's to give).
 */
function answerInitialize(run: RunConfig, cached: CachedReader, requested: string): object {
  const offer = offerBeforeStart(run.config.mcpServers, cached);
  return initializeResult(offer, run.config.proxy?.name, requested);
}

type CachedReader = (name: string, config: UpstreamConfig) => CachedServer | undefined;

/**
 * Remembers what answerInitialize gives now, for the launcher of the next start of this config
 * (rememberedOffer.ts); forgets it when that answer could come out differently next time.
 */
function rememberStartOffer(
  run: RunConfig,
  args: RunOptions,
  ctx: CliContext,
  cached = cachedCatalogs(run, ctx),
): void {
  const { loaded, config } = run;
  try {
    const dir = config.proxy?.cache === false ? undefined : startOfferDir(ctx.env, ctx.platform, ctx.homedir);
    if (!dir || loaded?.text === undefined) return;
    const source = { configPath: loaded.path, text: loaded.text, transport: args.transport };
    const fixed = loaded.format === 'json' && args.profile === undefined && offerFromTextOnly(loaded.text);
    const offer = fixed ? { name: config.proxy?.name, offer: offerBeforeStart(config.mcpServers, cached) } : undefined;
    rememberOffer(dir, source, offer);
  } catch {} // costs the next start only its early answer
}

/**
 * Each server's catalog cache entry, read as the pool reads it (its warnings are the pool's to give) and
 * once in this phase: the initialize answer and the choice of what starts early both ask.
 */
function cachedCatalogs(run: RunConfig, ctx: CliContext): CachedReader {
  const dir = run.config.proxy?.cache === false ? undefined : defaultCacheDir(ctx.env, ctx.platform, ctx.homedir);
  const cache = new CatalogCache(dir, silentLogger());
  const read = new Map<string, CachedServer | undefined>();
  return (name, config) => {
    if (!read.has(name)) read.set(name, cache.read(name, config));
    return read.get(name);
  };
}

/** A second signal while held forces the exit, as it does later. */
function exitOf(ctx: CliContext): (code: number) => void {
  return (code) => ctx.exit?.(code);
}
