/** The restart policy is pure: time is passed in and randomness injected, so every path is exact. */
import { describe, expect, it } from 'vitest';
import type { RetryPolicy } from '../../src/upstream/options.js';
import { type ConnectFailure, RestartPolicy } from '../../src/upstream/restartPolicy.js';

const RETRY: RetryPolicy = {
  initialDelay: 500,
  maxDelay: 30_000,
  maxAttempts: 0,
  maxRestarts: 5,
  restartWindow: 60_000,
};
const failure = (over: Partial<ConnectFailure> = {}): ConnectFailure => ({
  message: 'the server exited with code 1',
  permanent: false,
  timedOut: false,
  timeoutMs: 30_000,
  ...over,
});

/** One failed attempt at `now`, as the connection reports it. */
function fail(p: RestartPolicy, now: number, over: Partial<ConnectFailure> = {}) {
  p.attemptStarted();
  return p.connectFailed(now, failure(over));
}

describe('backoff', () => {
  it('stays between half and all of the capped exponential delay, for any random draw', () => {
    for (const r of [0, 0.25, 0.5, 0.999, 1]) {
      const p = new RestartPolicy(RETRY, true, () => r);
      for (let attempt = 1; attempt <= 20; attempt++) {
        const ceiling = Math.min(RETRY.maxDelay, RETRY.initialDelay * 2 ** (attempt - 1));
        const d = p.backoff(attempt);
        expect(d).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
        expect(d).toBeLessThanOrEqual(ceiling);
      }
    }
  });

  it('doubles per attempt up to maxDelay', () => {
    const p = new RestartPolicy(RETRY, true, () => 1);
    expect([1, 2, 3, 4, 7, 8, 30].map((a) => p.backoff(a))).toEqual([500, 1000, 2000, 4000, 30_000, 30_000, 30_000]);
  });
});

describe('after a failed connect', () => {
  it('gives up at once on a permanent error, with its message as is', () => {
    const p = new RestartPolicy(RETRY, true);
    expect(fail(p, 0, { permanent: true, message: 'command not found: nope' })).toEqual({
      giveUp: 'command not found: nope',
    });
  });

  it('gives up after maxAttempts when that is set, for any kind of upstream', () => {
    for (const isProcess of [true, false]) {
      const p = new RestartPolicy({ ...RETRY, maxAttempts: 3, maxRestarts: 100 }, isProcess);
      expect('retryIn' in fail(p, 0)).toBe(true);
      expect('retryIn' in fail(p, 100_000)).toBe(true);
      expect(fail(p, 200_000)).toEqual({ giveUp: 'the server exited with code 1 (gave up after 3 attempts)' });
    }
    const once = new RestartPolicy({ ...RETRY, maxAttempts: 1, maxRestarts: 100 }, true);
    expect(fail(once, 0)).toEqual({ giveUp: 'the server exited with code 1 (gave up after 1 attempt)' });
  });

  it('retries an HTTP upstream forever by default, timeouts included', () => {
    const p = new RestartPolicy(RETRY, false);
    for (let i = 0; i < 1000; i++) expect('retryIn' in fail(p, i, { timedOut: i % 2 === 0 })).toBe(true);
  });

  it('a process that fails more than maxRestarts times within the window is given up on', () => {
    const p = new RestartPolicy(RETRY, true);
    for (let i = 0; i < 5; i++) expect('retryIn' in fail(p, i * 1000)).toBe(true);
    expect(fail(p, 5000)).toEqual({
      giveUp:
        'stopped after 6 failures within 60s (proxy.retry.maxRestarts is 5); last: the server exited with code 1. Fix the server, then save the config (it is reloaded) or restart the proxy',
    });
  });

  it('failures spread wider than the window are retried forever (the budget is per window)', () => {
    const p = new RestartPolicy(RETRY, true);
    for (let i = 0; i < 100; i++) expect('retryIn' in fail(p, i * 20_000)).toBe(true);
  });

  it('a process whose attempts time out in a row is given up on, however long each attempt took', () => {
    const p = new RestartPolicy(RETRY, true);
    const slow = { timedOut: true, message: 'timed out connecting (Request timed out)' };
    for (let i = 0; i < 5; i++) expect('retryIn' in fail(p, i * 61_000, slow)).toBe(true);
    const d = fail(p, 5 * 61_000, slow);
    expect(d).toEqual({
      giveUp: expect.stringContaining(
        'the server never answered within connectTimeout (30000 ms): stopped after 6 attempts in a row timed out (proxy.retry.maxRestarts is 5); last: timed out connecting',
      ),
    });
  });

  it('a timeout streak is broken by another kind of failure and by a successful connect', () => {
    const p = new RestartPolicy(RETRY, true);
    const slow = { timedOut: true };
    let now = 0;
    const next = () => (now += 61_000);
    for (let i = 0; i < 5; i++) fail(p, next(), slow);
    expect('retryIn' in fail(p, next())).toBe(true); // a crash: not a timeout
    for (let i = 0; i < 5; i++) expect('retryIn' in fail(p, next(), slow)).toBe(true);
    p.connected();
    for (let i = 0; i < 5; i++) expect('retryIn' in fail(p, next(), slow)).toBe(true);
    expect('giveUp' in fail(p, next(), slow)).toBe(true);
  });

  it('backs off by the attempts since the last success', () => {
    const p = new RestartPolicy({ ...RETRY, maxRestarts: 100 }, true, () => 1);
    const delays = [1, 2, 3, 4].map((i) => fail(p, i));
    expect(delays).toEqual([{ retryIn: 500 }, { retryIn: 1000 }, { retryIn: 2000 }, { retryIn: 4000 }]);
    p.connected();
    expect(fail(p, 5)).toEqual({ retryIn: 500 });
  });
});

describe('after losing a ready upstream', () => {
  it('restarts a process quickly the first time, then backs off, and counts every loss', () => {
    const p = new RestartPolicy(RETRY, true, () => 1);
    expect(p.lost(0, 'exited')).toEqual({ retryIn: 100 });
    expect(p.lost(1000, 'exited')).toEqual({ retryIn: 500 });
    expect(p.lost(2000, 'exited')).toEqual({ retryIn: 1000 });
    expect(p.restarts).toBe(3);
  });

  it('a process lost more than maxRestarts times within the window is given up on', () => {
    const p = new RestartPolicy(RETRY, true);
    for (let i = 0; i < 5; i++) expect('retryIn' in p.lost(i, 'killed by SIGKILL')).toBe(true);
    expect(p.lost(5, 'killed by SIGKILL')).toEqual({
      giveUp: expect.stringMatching(/^stopped after 6 failures within 60s/),
    });
  });

  it('failed starts and losses share one budget per window', () => {
    const p = new RestartPolicy(RETRY, true);
    for (let i = 0; i < 3; i++) p.lost(i, 'exited');
    for (let i = 3; i < 5; i++) expect('retryIn' in fail(p, i)).toBe(true);
    expect('giveUp' in fail(p, 5)).toBe(true);
  });

  it('an HTTP upstream is always reconnected soon, never given up on', () => {
    const p = new RestartPolicy(RETRY, false);
    for (let i = 0; i < 100; i++) expect(p.lost(i, 'ECONNREFUSED')).toEqual({ retryIn: 100 });
  });

  it('resets the attempt count, so the next failed connect backs off from the start', () => {
    const p = new RestartPolicy({ ...RETRY, maxRestarts: 100 }, true, () => 1);
    for (let i = 0; i < 4; i++) fail(p, i);
    p.lost(10, 'exited');
    expect(fail(p, 11)).toEqual({ retryIn: 500 });
  });
});
