/**
 * When to try an upstream again and when to give up: exponential backoff with jitter, a restart
 * budget per window for process upstreams (a crash loop ends in `failed`), and a limit on connect
 * attempts that time out in a row (a process that never answers ends in `failed` too, although each
 * attempt lasts longer than the window). Pure: the caller passes the time; randomness is injected.
 */
import type { RetryPolicy } from './options.js';

export type RestartDecision = { giveUp: string } | { retryIn: number };

export interface ConnectFailure {
  /** The failure as reported (status, log). */
  message: string;
  /** Retrying cannot help (a command that does not exist, say). */
  permanent: boolean;
  /** The attempt ran out of time rather than being refused or crashing. */
  timedOut: boolean;
  /** The connect timeout the attempt had, ms (for the message). */
  timeoutMs: number;
}

export class RestartPolicy {
  /** Connect attempts since the last successful connect. */
  attempts = 0;
  /** Times the upstream went away after being ready. */
  restarts = 0;
  /** When the process of this upstream ended (or failed to come up), within restartWindow. */
  private exitTimes: number[] = [];
  private timeoutsInARow = 0;

  constructor(
    private readonly retry: RetryPolicy,
    /** Processes (stdio, Docker) have a restart budget; HTTP/SSE servers are only retried. */
    readonly isProcess: boolean,
    private readonly random: () => number = Math.random,
  ) {}

  attemptStarted(): void {
    this.attempts++;
  }

  connected(): void {
    this.attempts = 0;
    this.timeoutsInARow = 0;
  }

  /** After a failed attempt: give up (permanent error, attempts or restart limit) or retry with backoff. */
  connectFailed(now: number, f: ConnectFailure): RestartDecision {
    const max = this.retry.maxAttempts;
    if (f.permanent) return { giveUp: f.message };
    if (max > 0 && this.attempts >= max)
      return { giveUp: `${f.message} (gave up after ${this.attempts} attempt${this.attempts === 1 ? '' : 's'})` };
    if (this.isProcess) {
      if (this.countExit(now) > this.retry.maxRestarts) return { giveUp: this.crashLoopMessage(f.message) };
      this.timeoutsInARow = f.timedOut ? this.timeoutsInARow + 1 : 0;
      if (this.timeoutsInARow > this.retry.maxRestarts) return { giveUp: this.neverAnsweredMessage(f) };
    }
    return { retryIn: this.backoff(this.attempts) };
  }

  /**
   * The upstream went away while ready: restart it (processes, limited per window) or reconnect
   * (HTTP/SSE). The first restart is quick; a crash loop backs off.
   */
  lost(now: number, reason: string): RestartDecision {
    this.restarts++;
    if (this.isProcess && this.countExit(now) > this.retry.maxRestarts) {
      return { giveUp: this.crashLoopMessage(reason) };
    }
    const n = this.isProcess ? this.exitTimes.length : 1;
    this.attempts = 0;
    return { retryIn: n <= 1 ? Math.min(100, this.retry.initialDelay) : this.backoff(n - 1) };
  }

  /** Exponential backoff with jitter (between half and all of the capped exponential delay). */
  backoff(attempt: number): number {
    const { initialDelay, maxDelay } = this.retry;
    const ceiling = Math.min(maxDelay, initialDelay * 2 ** Math.max(0, attempt - 1));
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  /** Records an exit now; returns the exits within the window. */
  private countExit(now: number): number {
    this.exitTimes = this.exitTimes.filter((t) => now - t < this.retry.restartWindow);
    this.exitTimes.push(now);
    return this.exitTimes.length;
  }

  private crashLoopMessage(last: string): string {
    const n = this.exitTimes.length;
    const secs = Math.round(this.retry.restartWindow / 1000);
    return `stopped after ${n} failures within ${secs}s (proxy.retry.maxRestarts is ${this.retry.maxRestarts}); last: ${last}. Fix the server, then save the config (it is reloaded) or restart the proxy`;
  }

  private neverAnsweredMessage(f: ConnectFailure): string {
    return `the server never answered within connectTimeout (${f.timeoutMs} ms): stopped after ${this.timeoutsInARow} attempts in a row timed out (proxy.retry.maxRestarts is ${this.retry.maxRestarts}); last: ${f.message}. Fix the server or raise its connectTimeout, then save the config (it is reloaded) or restart the proxy`;
  }
}
