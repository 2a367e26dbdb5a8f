/**
 * A call paused for input runs upstream under one abort from its first round to its end: the first
 * caller's own when the frontend lets it be aborted from here (a stateless request), else one of its
 * own. Either way the upstream call is aborted when a waiting caller goes away and when a paused call's
 * caller never comes back, and a call that never pauses adds no listener to its caller's abort and
 * builds no AbortSignal for it.
 * The upstream call here is a promise that ends when its signal aborts (what the SDK client does).
 */
import { describe, expect, test } from 'vitest';
import { type PausedCall, PausedCalls, type UpstreamAbort } from '../../src/aggregator/paused.js';
import { abortableOf, LazyAbort } from '../../src/util/lazyAbort.js';

/** An upstream call that asks once, then waits for the answer and ends with it (or ends when aborted). */
function asksOnce(seen: { signal?: AbortSignal }) {
  return (p: PausedCall) => {
    seen.signal = p.signal;
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      p.signal.addEventListener('abort', () => reject(p.signal.reason), { once: true });
      // Mid-call, once its caller waits.
      setTimeout(
        () => p.ask('sampling/createMessage', { prompt: 'x' }).then((answer) => resolve({ answer }), reject),
        5,
      );
    });
  };
}

/** The caller's side (a LazyAbort, as the HTTP frontend's), with the listeners added and signals built counted. */
class Caller extends LazyAbort {
  added = 0;
  signals = 0;

  override get signal(): AbortSignal {
    this.signals++;
    return super.signal;
  }

  override onAbort(listener: () => void): () => void {
    this.added++;
    return super.onAbort(listener);
  }
}

function own(c: Caller): UpstreamAbort {
  return { abortable: c, abort: (reason) => c.abort(reason) };
}

describe('a paused call under its first caller’s abort', () => {
  test('a call that never pauses: its result, no listener on the caller’s abort and no AbortSignal built', async () => {
    const first = new Caller();
    const call = new PausedCalls().start('t', async () => ({ done: true }), 60_000, own(first));
    expect(await call.next({ abortable: first })).toEqual({ done: true });
    expect(first.added).toBe(0);
    expect(first.signals).toBe(0);
  });

  test('the first caller going away while it waits ends the call upstream', async () => {
    const first = new Caller();
    const seen: { signal?: AbortSignal } = {};
    const call = new PausedCalls().start('t', asksOnce(seen), 60_000, own(first));
    const waiting = call.next({ abortable: first });
    first.abort(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
    expect(seen.signal).toBe(first.signal);
  });

  test('a retry that goes away while it waits aborts the upstream call (the first caller’s signal)', async () => {
    const calls = new PausedCalls();
    const first = new Caller();
    const seen: { signal?: AbortSignal } = {};
    const call = calls.start('t', asksOnce(seen), 60_000, own(first));
    const round = await call.next({ abortable: first });
    expect(round.resultType).toBe('input_required');
    const retry = new AbortController();
    const resumed = calls.resume(call.token, 't');
    expect(resumed).toBe(call);
    // Resumed without the answer it asked for: the upstream call fails; here it is left waiting instead.
    const waiting = call.next({ abortable: abortableOf(retry.signal) });
    retry.abort();
    await expect(waiting).rejects.toThrow(/cancelled the call/);
    expect(seen.signal?.aborted).toBe(true);
    expect(String(seen.signal?.reason)).toMatch(/the caller cancelled the call/);
  });

  test('a paused call whose caller never comes back is aborted upstream when its time is up', async () => {
    const calls = new PausedCalls();
    const first = new Caller();
    const seen: { signal?: AbortSignal } = {};
    const call = calls.start('t', asksOnce(seen), 30, own(first));
    expect((await call.next({ abortable: first })).resultType).toBe('input_required');
    await new Promise((r) => setTimeout(r, 100));
    expect(String(seen.signal?.reason)).toMatch(/did not answer the input request in time/);
    expect(() => calls.resume(call.token, 't')).toThrow(/no longer held by the proxy/);
  });
});

test('without the caller’s signal, a paused call runs under its own, which a waiting caller going away aborts', async () => {
  const first = new Caller();
  const seen: { signal?: AbortSignal } = {};
  const call = new PausedCalls().start('t', asksOnce(seen), 60_000);
  expect(seen.signal).not.toBe(first.signal);
  const waiting = call.next({ abortable: first });
  expect(first.added).toBe(1);
  first.abort();
  await expect(waiting).rejects.toThrow(/cancelled the call/);
  expect(seen.signal?.aborted).toBe(true);
});

test('a call adopted while running (at its first ask) pauses under its caller’s abort, and its retry gets the result', async () => {
  const calls = new PausedCalls();
  const first = new Caller();
  let ask: ((p: PausedCall) => Promise<unknown>) | undefined;
  const running = new Promise<Record<string, unknown>>((resolve, reject) => {
    ask = (p) => p.ask('elicitation/create', { message: 'name?' }).then((answer) => resolve({ answer }), reject);
  });
  const call = calls.adopt('t', running, 60_000, own(first));
  const round = call.next({ abortable: first });
  void ask?.(call);
  const asked = await round;
  expect(asked.resultType).toBe('input_required');
  const [key] = Object.keys(asked.inputRequests as object);
  expect(calls.resume(asked.requestState as string, 't')).toBe(call);
  call.answer({ [key]: { action: 'accept' } });
  expect(await call.next({ abortable: new Caller() })).toEqual({ answer: { action: 'accept' } });
  expect([first.added, first.signals, first.aborted]).toEqual([0, 0, false]);
  expect(() => calls.resume(asked.requestState as string, 't')).toThrow(/no longer held/);
});
