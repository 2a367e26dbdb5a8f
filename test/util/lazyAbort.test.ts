import { describe, expect, it } from 'vitest';
import { abortableOf, LazyAbort } from '../../src/util/lazyAbort.js';

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

  it('every listener still registered is called once, whichever were removed and in what order', () => {
    const abort = new LazyAbort();
    const calls: string[] = [];
    const offA = abort.onAbort(() => calls.push('a'));
    const offB = abort.onAbort(() => calls.push('b'));
    abort.onAbort(() => calls.push('c'));
    offB();
    offA();
    const offD = abort.onAbort(() => calls.push('d'));
    abort.onAbort(() => calls.push('e'));
    offA();
    offD();
    abort.onAbort(() => calls.push('f'));
    abort.abort();
    abort.abort();
    expect(calls.sort()).toEqual(['c', 'e', 'f']);
  });
});

describe('abortableOf', () => {
  it('an AbortSignal seen as an Abortable: its state, its reason and its listeners', () => {
    const controller = new AbortController();
    const abortable = abortableOf(controller.signal);
    expect(abortable.signal).toBe(controller.signal);
    const calls: string[] = [];
    const off = abortable.onAbort(() => calls.push('removed'));
    abortable.onAbort(() => calls.push('kept'));
    off();
    expect(abortable.aborted).toBe(false);
    controller.abort('gone');
    expect([abortable.aborted, abortable.reason, calls]).toEqual([true, 'gone', ['kept']]);
    abortable.onAbort(() => calls.push('late'));
    expect(calls).toEqual(['kept']);
  });
});
