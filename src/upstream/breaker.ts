/**
 * The circuit breaker of one upstream (cockatiel): after `failureThreshold` consecutive failures
 * calls fail fast, until a probe after `halfOpenAfter` succeeds. Only failures that mean the upstream
 * is unhealthy count (see errors.ts); a call the caller marks as not counting passes through.
 */
import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
} from 'cockatiel';
import { AppError, errorMessage } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { isUpstreamFailure } from './errors.js';
import type { BreakerOptions } from './options.js';
import type { BreakerState } from './status.js';

export class UpstreamBreaker {
  private readonly policy: CircuitBreakerPolicy;
  /** The last failure that counted, for the message of an open breaker (already masked). */
  lastFailure?: string;

  constructor(
    private readonly name: string,
    private readonly opts: BreakerOptions,
    private readonly mask: (text: string) => string,
  ) {
    this.policy = circuitBreaker(handleWhen(isUpstreamFailure), {
      halfOpenAfter: opts.halfOpenAfter,
      breaker: new ConsecutiveBreaker(opts.failureThreshold),
    });
  }

  get state(): BreakerState {
    return breakerName(this.policy.state);
  }

  /** Every change goes to the metrics and the log, then to `changed` (unless `quiet()`: a retired connection). */
  reportTo(to: { metrics: Metrics; log: Logger; quiet(): boolean; changed(): void }): void {
    to.metrics.setBreakerState(this.name, 'closed');
    this.policy.onStateChange((s) => {
      if (to.quiet()) return;
      const state = breakerName(s);
      to.metrics.setBreakerState(this.name, state);
      if (state === 'open') {
        to.log.warn(
          { breaker: state, probeInMs: this.opts.halfOpenAfter },
          `circuit breaker open after ${this.opts.failureThreshold} consecutive failures: calls fail fast until a probe succeeds`,
        );
      } else {
        to.log.info({ breaker: state }, `circuit breaker ${state}`);
      }
      to.changed();
    });
  }

  /**
   * Runs fn behind the breaker. When `uncounted()` says so after fn failed (the call was on a session
   * already given up), the failure says nothing about the server's health and is not counted.
   */
  async execute<T>(fn: () => Promise<T>, uncounted?: () => boolean): Promise<T> {
    try {
      return await this.policy.execute(async () => {
        try {
          return await fn();
        } catch (e) {
          if (uncounted?.()) throw new NotCounted(e);
          throw e;
        }
      });
    } catch (e) {
      if (e instanceof NotCounted) throw e.inner;
      if (e instanceof BrokenCircuitError) throw this.brokenError();
      if (isUpstreamFailure(e)) this.lastFailure = this.mask(errorMessage(e));
      throw e;
    }
  }

  private brokenError(): AppError {
    const { failureThreshold, halfOpenAfter } = this.opts;
    return new AppError(
      'UPSTREAM_UNAVAILABLE',
      this.policy.state === CircuitState.HalfOpen
        ? `upstream "${this.name}" is being probed after repeated failures (circuit breaker half-open); try again shortly`
        : `upstream "${this.name}" is failing: circuit breaker open after ${failureThreshold} consecutive failures or timeouts (last: ${this.lastFailure ?? 'unknown'}); calls fail fast, the next probe is within ${Math.round(halfOpenAfter / 1000)}s`,
    );
  }
}

function breakerName(s: CircuitState): BreakerState {
  if (s === CircuitState.Open || s === CircuitState.Isolated) return 'open';
  if (s === CircuitState.HalfOpen) return 'half-open';
  return 'closed';
}

/** Carries an error past the breaker without counting it as a failure. */
class NotCounted extends Error {
  constructor(readonly inner: unknown) {
    super('not counted');
  }
}
