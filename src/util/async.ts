/** Timing helpers shared across layers. */

/** Resolves after `ms`. The timer holds the process up unless `unref` (a wait that must not delay exit). */
export function sleep(ms: number, opts: { unref?: boolean } = {}): Promise<void> {
  return new Promise((r) => {
    const timer = setTimeout(r, ms);
    if (opts.unref) timer.unref();
  });
}

/** Waits for `p` at most `ms`, then goes on either way (the timer is cleared as soon as `p` settles). */
export async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([p, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Rejects with `timed out: <message>` if `p` does not settle within `ms` (the timer never holds the process). */
export function withDeadline<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${message}`)), ms);
    timer.unref();
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

/** A promise settled from outside, once: `open()` resolves it and `opened` says whether it has been. */
export interface Latch {
  readonly promise: Promise<void>;
  readonly opened: boolean;
  open(): void;
}

export function latch(): Latch {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  let opened = false;
  return {
    promise,
    get opened() {
      return opened;
    },
    open() {
      opened = true;
      resolve();
    },
  };
}

/** Resolves after `n` turns of the event loop (what is already in a pipe has been read by then). */
export async function loopTurns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
