/**
 * An abort whose AbortSignal is built only when something asks for it. Building an AbortSignal (an
 * EventTarget) costs more than the rest of a relayed call's bookkeeping, and on the upstream fast lane
 * nothing needs one: the lane listens here instead (onAbort). Whoever reads `signal` gets a real one,
 * already aborted with the same reason when the abort came first.
 */
export interface Abortable {
  readonly aborted: boolean;
  readonly reason: unknown;
  /** An AbortSignal for this abort, built on first use. */
  readonly signal: AbortSignal;
  /** Calls `listener` once, on abort; returns what removes it. */
  onAbort(listener: () => void): () => void;
}

export class LazyAbort implements Abortable {
  aborted = false;
  reason: unknown;
  private controller?: AbortController;
  /** The usual single listener in a field of its own; a Set only for more. */
  private first?: () => void;
  private more?: Set<() => void>;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: unknown = new DOMException('This operation was aborted', 'AbortError')): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const { first, more } = this;
    this.first = undefined;
    this.more = undefined;
    this.controller?.abort(reason);
    first?.();
    if (more) for (const listener of more) listener();
  }

  onAbort(listener: () => void): () => void {
    if (this.aborted) return () => {};
    if (this.first === undefined) {
      this.first = listener;
      return () => {
        if (this.first === listener) this.first = undefined;
      };
    }
    this.more ??= new Set();
    const more = this.more;
    more.add(listener);
    return () => {
      more.delete(listener);
    };
  }
}

/** An AbortSignal seen as an Abortable (a caller whose frontend built its signal already). */
export function abortableOf(signal: AbortSignal): Abortable {
  return {
    get aborted() {
      return signal.aborted;
    },
    get reason() {
      return signal.reason;
    },
    signal,
    onAbort(listener) {
      if (signal.aborted) return () => {};
      signal.addEventListener('abort', listener, { once: true });
      return () => signal.removeEventListener('abort', listener);
    },
  };
}
