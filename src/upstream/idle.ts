/**
 * Requests in flight per lazy server, and the timer that stops one after `idleTimeout` without any.
 * The pool decides what stopping means; this only counts and times.
 */
export class IdleTimers {
  private readonly inflight = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly onIdle: (name: string) => void) {}

  /** A request to `name` begins; the returned function ends it (and may arm the timer). */
  begin(name: string, idleMs: number | undefined): () => void {
    this.cancel(name);
    this.inflight.set(name, (this.inflight.get(name) ?? 0) + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const left = (this.inflight.get(name) ?? 1) - 1;
      if (left > 0) this.inflight.set(name, left);
      else this.inflight.delete(name);
      this.arm(name, idleMs);
    };
  }

  busy(name: string): boolean {
    return (this.inflight.get(name) ?? 0) > 0;
  }

  /** Starts (or restarts) the idle timer of `name`, unless requests are in flight or no timeout is set. */
  arm(name: string, idleMs: number | undefined): void {
    this.cancel(name);
    if (!idleMs || this.busy(name)) return;
    const timer = setTimeout(() => {
      this.timers.delete(name);
      if (!this.busy(name)) this.onIdle(name);
    }, idleMs);
    timer.unref();
    this.timers.set(name, timer);
  }

  cancel(name: string): void {
    const t = this.timers.get(name);
    if (t) clearTimeout(t);
    this.timers.delete(name);
  }

  clear(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
