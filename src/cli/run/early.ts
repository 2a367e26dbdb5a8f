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
import { type EarlyStdio, readStdioEarly } from '../../frontends/earlyStdio.js';
import type { Lifecycle } from '../../lifecycle.js';
import { type Logger, silentLogger } from '../../observability/logger.js';
import { startupMark } from '../../observability/startupTrace.js';
import { CatalogCache, defaultCacheDir } from '../../upstream/catalogCache.js';
import { PrespawnRegistry, prespawnServers } from '../../upstream/prespawn.js';
import type { CliContext } from '../context.js';
import { commandLogger } from '../createCli.js';
import { configLoadOptions, credentialChainFor } from '../credentialOptions.js';
import { loadRunConfig, type RunConfig } from './config.js';
import type { RunOptions } from './options.js';
import { earlyLimit, takePreread } from './preread.js';

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
  let held = pre ? holdSignals(ctx, pre.release) : undefined;
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
  let stdio: EarlyStdio | undefined;
  if (transport !== 'stdio') {
    held?.release();
    held = undefined;
    await prespawned.close();
  } else if (opts.prespawn) {
    // An unknown --profile is a usage error the composition root reports before anything is answered.
    const profiles = run.config.proxy?.access?.profiles ?? {};
    if (args.profile === undefined || Object.hasOwn(profiles, args.profile)) {
      stdio = readStdioEarly(ctx.stdin, ctx.stdout, (request) =>
        answerInitialize(run, ctx, request.params.protocolVersion),
      );
      // A first message already in the pipe is answered first (the servers' start costs the proxy's core a
      // few milliseconds), and before loading the composition root holds the thread: a few turns of the
      // event loop, as reading stdin starts only after one.
      await Promise.race([stdio.decided, loopTurns(3)]);
    }
    // A server without a cached catalog holds up the first complete listing until it is up: all of
    // those start now. Known ones only fill the idle cores (their catalog answers the listing).
    const cache = catalogCacheOf(run, ctx);
    const unknown = (name: string, config: UpstreamConfig) => !cache.read(name, config);
    const started = prespawnServers(prespawned, run.config.mcpServers, ctx.env, ctx.cwd, earlyLimit(), unknown);
    if (started) {
      held ??= holdSignals(ctx);
      startupMark(`run: ${started} stdio servers started early`);
    }
  }
  return {
    logs,
    logger,
    chain,
    loadOpts,
    run,
    prespawned,
    stdio,
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
function answerInitialize(run: RunConfig, ctx: CliContext, requested: string): object {
  const proxy = run.config.proxy;
  const cache = catalogCacheOf(run, ctx);
  const offer = offerBeforeStart(run.config.mcpServers, (name, config) => cache.read(name, config));
  return initializeResult(offer, proxy?.name, requested);
}

/** The catalog cache as the pool reads it (its warnings are the pool's to give). */
function catalogCacheOf(run: RunConfig, ctx: CliContext): CatalogCache {
  const dir = run.config.proxy?.cache === false ? undefined : defaultCacheDir(ctx.env, ctx.platform, ctx.homedir);
  return new CatalogCache(dir, silentLogger());
}

async function loopTurns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

interface HeldSignals {
  /** Stops holding; returns the signal that arrived meanwhile, if one did. */
  release(): string | undefined;
}

/**
 * `takeOver`: releases an earlier holder and returns what it held. Called once these listeners are in
 * place: while a signal has none, Node stops watching it and one already caught but not yet delivered is lost.
 */
function holdSignals(
  ctx: CliContext,
  takeOver?: () => string | undefined,
  proc: NodeJS.EventEmitter = process,
): HeldSignals {
  let pending: string | undefined;
  const listeners = (['SIGINT', 'SIGTERM'] as const).map((sig) => {
    const fn = () => {
      // A second signal forces the exit, as it does later; the exit hook stops the servers' groups.
      if (pending) ctx.exit?.(130);
      pending = sig;
    };
    proc.on(sig, fn);
    return [sig, fn] as const;
  });
  pending = takeOver?.() ?? pending;
  return {
    release() {
      for (const [sig, fn] of listeners) proc.off(sig, fn);
      return pending;
    },
  };
}
