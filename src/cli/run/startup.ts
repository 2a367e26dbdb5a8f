/**
 * Upstreams connect in the background while the frontend already serves. Until every server has had
 * its first attempt, the servers still pending are logged every few seconds, so a user sees what the
 * proxy is waiting for; the first listings wait for them at most the startup window (aggregator).
 *
 * With every catalog known (a warm cache) the first listing needs no server: the servers then start
 * (and those started early are connected to) once it has been answered, or after a short bound, so
 * booting processes and handshakes do not take the cores the proxy answers it with. A call meanwhile
 * starts its server at once; a shutdown meanwhile cancels the starts.
 */
import type { Aggregator } from '../../aggregator/server.js';
import type { Lifecycle } from '../../lifecycle.js';
import type { Logger } from '../../observability/logger.js';
import { startupMark } from '../../observability/startupTrace.js';
import type { UpstreamPool } from '../../upstream/pool.js';

export interface StartupOptions {
  /** How long the first listings wait for pending servers, ms. */
  windowMs: number;
  /** How often pending servers are logged, ms. */
  reportEveryMs?: number;
  /** How long starts may wait for the first listing, ms (when every catalog is known). */
  deferMs?: number;
}

/** A first listing is answered within milliseconds of serving; a client that lists later waits not for it. */
export const DEFER_STARTS_MS = 150;

export function startUpstreams(
  pool: UpstreamPool,
  agg: Aggregator,
  lifecycle: Lifecycle,
  logger: Logger,
  opts: StartupOptions,
): Promise<void> {
  const log = logger.child({ component: 'run' });
  const started = performance.now();
  const report = setInterval(() => {
    if (lifecycle.isShuttingDown || pool.firstRoundDone) return;
    const pending = pool.snapshot().filter((s) => s.state === 'connecting' || (s.state === 'retrying' && !s.latencyMs));
    if (!pending.length) return;
    const secs = Math.round((performance.now() - started) / 1000);
    log.info(
      { pending: pending.map((s) => s.name) },
      `still starting after ${secs}s: ${pending.map((s) => `${s.name} (${s.lastError ? `${s.state}: ${s.lastError}` : s.state})`).join(', ')}; serving the others`,
    );
  }, opts.reportEveryMs ?? 5000);
  report.unref();
  const deferUntil = afterFirstListing(agg, lifecycle, opts.deferMs ?? DEFER_STARTS_MS);
  // Half the window: with a server hanging, the others' prompts and resources are listed by the time the
  // first listings of those stop waiting for it.
  const toolsFirstWithin = Math.floor(opts.windowMs / 2);
  const firstRound = pool.start({ deferUntil, toolsFirstWithin }).then(() => {
    startupMark('run: every server had its first attempt');
    clearInterval(report);
    if (lifecycle.isShuttingDown) return;
    const statuses = pool.snapshot();
    const enabled = statuses.filter((s) => s.state !== 'disabled');
    const ready = enabled.filter((s) => s.state === 'ready').length;
    const idle = enabled.filter((s) => s.state === 'idle').length;
    log.info(
      {
        ready,
        idle,
        failed: enabled.filter((s) => s.state === 'failed' || s.state === 'retrying').length,
        needsLogin: enabled.filter((s) => s.state === 'needs-login').length,
        ms: Math.round(performance.now() - started),
      },
      `${ready}/${enabled.length} upstreams ready${idle ? ` (${idle} lazy, not started yet)` : ''}`,
    );
  });
  agg.waitForStartup(firstRound, opts.windowMs, pool.unknownFirstRound(), pool.wholeFirstRound());
  void agg.firstListing().then(() => startupMark('run: first listing answered'));
  return firstRound;
}

/** Resolves once the first listing has been answered or `ms` passed: true, or false when a shutdown began. */
function afterFirstListing(agg: Aggregator, lifecycle: Lifecycle, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no listing within ${ms} ms`), ms);
    timer.unref();
  });
  const listed = agg.firstListing().then(() => 'first listing answered');
  return Promise.race([listed, bound]).then((why) => {
    clearTimeout(timer);
    startupMark(`run: starts deferred for a known catalog may go (${why})`);
    return !lifecycle.isShuttingDown;
  });
}
