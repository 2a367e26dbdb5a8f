/**
 * A call paused for input runs upstream under one signal from its first round to its end: the first
 * caller's own when the frontend lets it be aborted from here (a stateless request), else one of its
 * own. Either way the upstream call is aborted when a waiting caller goes away and when a paused call's
 * caller never comes back, and a call that never pauses adds no listener to its caller's signal.
 * The upstream call here is a promise that ends when its signal aborts (what the SDK client does).
 */
import { describe, expect, test } from 'vitest';
import { type PausedCall, PausedCalls, type UpstreamSignal } from '../../src/aggregator/paused.js';

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

/** The caller's side: its signal, with the listeners added to it counted. */
function caller(): { controller: AbortController; listeners: () => number } {
  const controller = new AbortController();
  let added = 0;
  const add = controller.signal.addEventListener.bind(controller.signal);
  controller.signal.addEventListener = ((...args: Parameters<typeof add>) => {
    if (args[0] === 'abort') added++;
    return add(...args);
  }) as typeof add;
  return { controller, listeners: () => added };
}

function own(c: AbortController): UpstreamSignal {
  return { signal: c.signal, abort: (reason) => c.abort(reason) };
}

describe('a paused call under its first caller’s signal', () => {
  test('a call that never pauses: its result, and no listener on the caller’s signal', async () => {
    const first = caller();
    const call = new PausedCalls().start('t', async () => ({ done: true }), 60_000, own(first.controller));
    expect(await call.next({ signal: first.controller.signal })).toEqual({ done: true });
    expect(first.listeners()).toBe(0);
  });

  test('the first caller going away while it waits ends the call upstream', async () => {
    const first = caller();
    const seen: { signal?: AbortSignal } = {};
    const call = new PausedCalls().start('t', asksOnce(seen), 60_000, own(first.controller));
    const waiting = call.next({ signal: first.controller.signal });
    first.controller.abort(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
    expect(seen.signal).toBe(first.controller.signal);
  });

  test('a retry that goes away while it waits aborts the upstream call (the first caller’s signal)', async () => {
    const calls = new PausedCalls();
    const first = caller();
    const seen: { signal?: AbortSignal } = {};
    const call = calls.start('t', asksOnce(seen), 60_000, own(first.controller));
    const round = await call.next({ signal: first.controller.signal });
    expect(round.resultType).toBe('input_required');
    const retry = new AbortController();
    const resumed = calls.resume(call.token, 't');
    expect(resumed).toBe(call);
    // Resumed without the answer it asked for: the upstream call fails; here it is left waiting instead.
    const waiting = call.next({ signal: retry.signal });
    retry.abort();
    await expect(waiting).rejects.toThrow(/cancelled the call/);
    expect(seen.signal?.aborted).toBe(true);
    expect(String(seen.signal?.reason)).toMatch(/the caller cancelled the call/);
  });

  test('a paused call whose caller never comes back is aborted upstream when its time is up', async () => {
    const calls = new PausedCalls();
    const first = caller();
    const seen: { signal?: AbortSignal } = {};
    const call = calls.start('t', asksOnce(seen), 30, own(first.controller));
    expect((await call.next({ signal: first.controller.signal })).resultType).toBe('input_required');
    await new Promise((r) => setTimeout(r, 100));
    expect(String(seen.signal?.reason)).toMatch(/did not answer the input request in time/);
    expect(() => calls.resume(call.token, 't')).toThrow(/no longer held by the proxy/);
  });
});

test('without the caller’s signal, a paused call runs under its own, which a waiting caller going away aborts', async () => {
  const first = caller();
  const seen: { signal?: AbortSignal } = {};
  const call = new PausedCalls().start('t', asksOnce(seen), 60_000);
  expect(seen.signal).not.toBe(first.controller.signal);
  const waiting = call.next({ signal: first.controller.signal });
  expect(first.listeners()).toBe(1);
  first.controller.abort();
  await expect(waiting).rejects.toThrow(/cancelled the call/);
  expect(seen.signal?.aborted).toBe(true);
});
