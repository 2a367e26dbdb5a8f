/**
 * Ordered shutdown: frontends, sessions, pool (process trees), containers. SIGINT/SIGTERM start it;
 * a second signal forces exit; SIGHUP asks for a reload. No orphan processes, ever.
 */
import type { Logger } from './observability/logger.js';

export interface LifecycleOptions {
  logger: Logger;
  /** How long in-flight calls may take to finish once shutdown starts. */
  graceMs: number;
  /** Calls in flight now (shutdown waits for 0 within the grace period). */
  inflight?: () => number;
  /** Called on a second signal. */
  forceExit: (code: number) => void;
  onReload?: () => void;
  signals?: NodeJS.EventEmitter;
}

export class Lifecycle {
  private readonly steps: { name: string; close: () => Promise<unknown> }[] = [];
  private shuttingDown?: Promise<void>;
  private resolveDone!: () => void;
  readonly done: Promise<void>;
  private readonly opts: LifecycleOptions;
  private readonly log: Logger;
  private readonly listeners: [string, (...a: any[]) => void][] = [];

  constructor(opts: LifecycleOptions) {
    this.opts = opts;
    this.log = opts.logger.child({ component: 'lifecycle' });
    this.done = new Promise((r) => {
      this.resolveDone = r;
    });
  }

  /** Registers a closer; closers run in registration order. */
  add(name: string, close: () => Promise<unknown>): void {
    this.steps.push({ name, close });
  }

  installSignalHandlers(): void {
    const proc = this.opts.signals ?? process;
    const onSignal = (signal: string) => {
      if (this.shuttingDown) {
        this.log.warn(`${signal} again: forcing exit`);
        this.opts.forceExit(130);
        return;
      }
      this.log.info(`${signal}: shutting down`);
      void this.shutdown(signal);
    };
    for (const sig of ['SIGINT', 'SIGTERM']) {
      const fn = () => onSignal(sig);
      proc.on(sig, fn);
      this.listeners.push([sig, fn]);
    }
    if (this.opts.onReload && process.platform !== 'win32') {
      const fn = () => this.opts.onReload?.();
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
    const inflight = this.opts.inflight;
    if (inflight && inflight() > 0) {
      const deadline = Date.now() + this.opts.graceMs;
      this.log.info({ inflight: inflight(), graceMs: this.opts.graceMs }, 'waiting for in-flight calls');
      while (inflight() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    }
    for (const step of this.steps) {
      try {
        await step.close();
      } catch (e) {
        this.log.warn({ step: step.name, err: (e as Error).message }, 'error while closing');
      }
    }
    const proc = this.opts.signals ?? process;
    for (const [sig, fn] of this.listeners) proc.off(sig, fn);
    this.log.debug('shutdown complete');
    this.resolveDone();
  }
}
