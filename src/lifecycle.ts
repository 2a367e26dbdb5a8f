/**
 * Ordered shutdown. SIGINT, SIGTERM (and, in stdio mode, stdin closing) start it:
 *   1. stop accepting (the HTTP frontend drains: /ready turns 503 and new sessions and requests are
 *      refused, so a load balancer sends them elsewhere; the listener closes with the frontend in 3),
 *   2. wait for in-flight calls, at most the grace period,
 *   3. run the closers in order: frontends and their sessions, the upstream pool (whole process
 *      groups, containers), the file watcher.
 * A second signal forces the exit at once (exit code 130); the stdio transport's exit hook still
 * signals every upstream process group, so even a forced exit leaves no process behind. A watchdog
 * forces the exit if the closers hang. SIGHUP asks for a config reload.
 */
import type { Logger } from './observability/logger.js';
import { sleep } from './util/async.js';

/** What a client is answered for a request still running when the grace period ended. */
export const GRACE_OVER_MESSAGE =
  'mcp-proxy is shutting down: the request did not finish within the shutdown grace period (proxy.timeouts.shutdownGrace)';

export interface LifecycleOptions {
  logger: Logger;
  /** How long in-flight calls may take to finish once shutdown starts. */
  graceMs: number;
  /** How long the closers may take after the grace period before the exit is forced (default 10 s). */
  closeTimeoutMs?: number;
  /** Calls in flight now (shutdown waits for 0 within the grace period). */
  inflight?: () => number;
  /** Called on a second signal, or when the closers hang. */
  forceExit: (code: number) => void;
  onReload?: () => void;
  signals?: NodeJS.EventEmitter;
}

export class Lifecycle {
  private readonly stopAccepting: { name: string; stop: () => unknown }[] = [];
  private readonly steps: { name: string; close: () => Promise<unknown> }[] = [];
  private readonly counters: (() => number)[] = [];
  private shuttingDown?: Promise<void>;
  private resolveDone!: () => void;
  readonly done: Promise<void>;
  private readonly opts: LifecycleOptions;
  private readonly log: Logger;
  private readonly listeners: [string, (...a: any[]) => void][] = [];
  private watchdog?: NodeJS.Timeout;

  constructor(opts: LifecycleOptions) {
    this.opts = opts;
    if (opts.inflight) this.counters.push(opts.inflight);
    this.log = opts.logger.child({ component: 'lifecycle' });
    this.done = new Promise((r) => {
      this.resolveDone = r;
    });
  }

  /** Registers a closer; closers run in registration order, after in-flight calls are done. */
  add(name: string, close: () => Promise<unknown>): void {
    this.steps.push({ name, close });
  }

  /** Registers what stops new work from arriving (runs first, before the grace period). */
  addStopAccepting(name: string, stop: () => unknown): void {
    this.stopAccepting.push({ name, stop });
  }

  /** Adds a count of work in flight (shutdown waits until every count is 0, at most the grace period). */
  addInflight(count: () => number): void {
    this.counters.push(count);
  }

  installSignalHandlers(): void {
    const proc = this.opts.signals ?? process;
    const onSignal = (signal: string) => {
      if (this.shuttingDown) {
        this.log.warn(`${signal} again: forcing exit`);
        this.opts.forceExit(130);
        return;
      }
      this.log.info(`${signal}: shutting down (send it again to force)`);
      void this.shutdown(signal);
    };
    for (const sig of ['SIGINT', 'SIGTERM']) {
      const fn = () => onSignal(sig);
      proc.on(sig, fn);
      this.listeners.push([sig, fn]);
    }
    if (this.opts.onReload && process.platform !== 'win32') {
      const fn = () => {
        if (this.shuttingDown) return;
        this.log.info('SIGHUP: reloading the config');
        this.opts.onReload?.();
      };
      proc.on('SIGHUP', fn);
      this.listeners.push(['SIGHUP', fn]);
    }
  }

  shutdown(reason: string): Promise<void> {
    if (!this.shuttingDown) this.shuttingDown = this.run(reason);
    return this.shuttingDown;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown !== undefined;
  }

  private async run(reason: string): Promise<void> {
    this.log.debug({ reason }, 'shutdown started');
    const limit = this.opts.graceMs + (this.opts.closeTimeoutMs ?? 10_000);
    this.watchdog = setTimeout(() => {
      this.log.error({ afterMs: limit }, 'shutdown is taking too long: forcing exit');
      this.opts.forceExit(1);
    }, limit);
    this.watchdog.unref();
    for (const s of this.stopAccepting) {
      try {
        s.stop();
      } catch (e) {
        this.log.debug({ step: s.name, err: (e as Error).message }, 'error while stopping intake');
      }
    }
    // The counts are views of the same work (a call is an upstream call and its frontend's request):
    // the largest of them, not their sum, is how many are still running.
    const inflight = () => this.counters.reduce((n, c) => Math.max(n, c()), 0);
    if (inflight() > 0) {
      const deadline = Date.now() + this.opts.graceMs;
      this.log.info({ inflight: inflight(), graceMs: this.opts.graceMs }, 'waiting for in-flight calls');
      while (inflight() > 0 && Date.now() < deadline) await sleep(25);
      if (inflight() > 0)
        this.log.warn({ inflight: inflight() }, 'grace period over: cancelling the calls still in flight');
    }
    for (const step of this.steps) {
      try {
        await step.close();
      } catch (e) {
        this.log.warn({ step: step.name, err: (e as Error).message }, 'error while closing');
      }
    }
    const proc = this.opts.signals ?? process;
    for (const [sig, fn] of this.listeners) {
      // A late second signal must still force the exit rather than kill us without cleanup.
      if (sig !== 'SIGINT' && sig !== 'SIGTERM') proc.off(sig, fn);
    }
    clearTimeout(this.watchdog);
    this.log.debug('shutdown complete');
    this.resolveDone();
  }
}
