import { describe, expect, it } from 'vitest';
import { LazyAbort } from '../../src/util/lazyAbort.js';

describe('LazyAbort', () => {
  it('a signal asked for before the abort is aborted with the same reason, once', () => {
    const abort = new LazyAbort();
    const signal = abort.signal;
    expect(abort.signal).toBe(signal);
    const seen: unknown[] = [];
    signal.addEventListener('abort', () => seen.push(signal.reason));
    const off = abort.onAbort(() => seen.push('listener'));
    abort.abort('cancelled');
    abort.abort('again');
    expect(seen).toEqual(['cancelled', 'listener']);
    expect(abort.aborted).toBe(true);
    expect(abort.reason).toBe('cancelled');
    off();
  });

  it('a signal asked for after the abort comes already aborted with its reason', () => {
    const abort = new LazyAbort();
    abort.abort(new Error('gone'));
    expect(abort.signal.aborted).toBe(true);
    expect((abort.signal.reason as Error).message).toBe('gone');
  });

  it('a removed listener is not called; a listener added after the abort never is', () => {
    const abort = new LazyAbort();
    const calls: string[] = [];
    const off = abort.onAbort(() => calls.push('removed'));
    abort.onAbort(() => calls.push('kept'));
    off();
    abort.abort();
    abort.onAbort(() => calls.push('late'));
    expect(calls).toEqual(['kept']);
    expect((abort.reason as DOMException).name).toBe('AbortError');
  });
});
