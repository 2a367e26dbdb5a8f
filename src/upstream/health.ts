/**
 * The health of a connected upstream as its calls show it: failures in a row (no answer from the
 * server) or session expiries in a row make it `degraded`, one answer makes it healthy again. And the
 * pinger: HTTP and SSE upstreams give no sign when they go away between calls, so an idle one is
 * pinged and a dead server is noticed (and reconnected) before the next real call finds out.
 */
import { errorMessage } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { briefly, countsAgainstHealth, httpStatus, isUpstreamFailure } from './errors.js';

/** Consecutive failed calls after which a connected upstream is reported degraded. */
export const DEGRADED_AFTER = 3;

/** A reason to report the upstream degraded: the status message and the last error, for the log. */
export interface Degradation {
  message: string;
  last: string;
}

export class CallHealth {
  degraded = false;
  /** Calls in a row that failed at the transport level (no answer from the server). */
  private consecutiveFailures = 0;
  /** Session expiries without a call answered in between (they span re-initializes). */
  private expiriesInARow = 0;

  /** A new connection (or a new session) starts with a clean record. */
  reset(): void {
    this.degraded = false;
    this.consecutiveFailures = 0;
  }

  /** A call got an answer (a result or an error the server chose to give). True if it was degraded. */
  answered(): boolean {
    this.consecutiveFailures = 0;
    this.expiriesInARow = 0;
    const was = this.degraded;
    this.degraded = false;
    return was;
  }

  /** A call failed; after DEGRADED_AFTER in a row without an answer (while ready) it is a degradation. */
  failed(e: unknown, ready: boolean): Degradation | undefined {
    if (!countsAgainstHealth(e)) return undefined;
    this.consecutiveFailures++;
    if (this.consecutiveFailures < DEGRADED_AFTER || !ready) return undefined;
    const status = httpStatus(e);
    const last = `${status ? `HTTP ${status}: ` : ''}${briefly(errorMessage(e))}`;
    return { message: `${this.consecutiveFailures} calls in a row failed; last: ${last}`, last };
  }

  /** The session expired and was re-initialized: a server that forgets every new session is not healthy. */
  expired(why: string): Degradation | undefined {
    if (++this.expiriesInARow < DEGRADED_AFTER) return undefined;
    return {
      message: `the session expired ${this.expiriesInARow} times in a row without a call answered in between; last: ${why}`,
      last: why,
    };
  }
}

export interface PingerOptions {
  /** Ping this often, ms (0 = never). */
  every: number;
  /** The upstream is ready and has had no call in flight or finished for `every` ms. */
  idle(every: number): boolean;
  /** One ping through the connection's call path (so a dead server is handled like on a call). */
  ping(timeout: number): Promise<unknown>;
  requestTimeout: number;
  log: Logger;
}

export class HealthPinger {
  private timer?: NodeJS.Timeout;

  constructor(private readonly opts: PingerOptions) {}

  start(): void {
    const { every, log } = this.opts;
    if (this.timer || every <= 0) return;
    this.timer = setInterval(() => {
      if (!this.opts.idle(every)) return;
      this.opts.ping(Math.min(this.opts.requestTimeout, 10_000)).then(
        () => log.trace('health check ok'),
        (e) => {
          // "Method not found" is an answer: the server is there.
          if (!isUpstreamFailure(e)) return;
          log.warn({ err: errorMessage(e) }, 'health check failed');
        },
      );
    }, every);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
