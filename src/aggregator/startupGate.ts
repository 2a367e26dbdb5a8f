/**
 * The start-up window: while servers are still connecting, listings wait a little (so a client that
 * reads its tools once sees every quick server) and a name not known yet is waited for (a client
 * may call a tool it knows before its server is up). Neither waits past the first connect round.
 */
import type { EventEmitter } from 'node:events';

export class StartupGate {
  /** Set while servers are still starting: listings wait on it. */
  private gate?: Promise<void>;
  /** Until every server has had its first connect attempt (see whenKnown). */
  private firstRound?: Promise<void>;
  private listedOnce?: () => void;
  /** Settles once a first listing has been answered (see listing). */
  readonly firstListing = new Promise<void>((resolve) => {
    this.listedOnce = resolve;
  });

  /** `events` emits 'rebuilt' after each catalog rebuild; the gate emits it too when the round ends. */
  constructor(private readonly events: EventEmitter) {}

  /**
   * Until `firstRound` settles, listings wait for it, but not past `windowMs` from now: a client that
   * reads its tools once at start sees every server that is quick, and is never held up by a slow one
   * (servers ready later are announced with list_changed).
   */
  wait(firstRound: Promise<unknown>, windowMs: number, listed: Promise<unknown> = firstRound): void {
    const settled = firstRound.then(
      () => {},
      () => {},
    );
    this.firstRound = settled;
    void settled.then(() => {
      if (this.firstRound === settled) this.firstRound = undefined;
      this.events.emit('rebuilt');
    });
    let timer: NodeJS.Timeout | undefined;
    const window = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, windowMs);
      timer.unref();
    });
    const gate = Promise.race([listed.then(() => {}), window]).finally(() => {
      clearTimeout(timer);
      if (this.gate === gate) this.gate = undefined;
    });
    this.gate = gate;
  }

  /** Resolves when a listing may be answered (the answer is built and sent right after). */
  async listing(): Promise<void> {
    if (this.gate) await this.gate;
    // A turn later the answer has gone out: what waits for the first listing may take the core then.
    if (this.listedOnce) setImmediate(this.listedOnce);
    this.listedOnce = undefined;
  }

  /**
   * Looks a name up; while servers are still starting, a name not known yet is waited for: until it
   * appears or every server has had its first attempt, which each connect timeout bounds.
   */
  async whenKnown<T>(lookup: () => T | undefined): Promise<T | undefined> {
    let found = lookup();
    while (found === undefined && this.firstRound) {
      await new Promise<void>((resolve) => this.events.once('rebuilt', resolve));
      found = lookup();
    }
    return found;
  }
}
