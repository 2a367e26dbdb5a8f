/**
 * The start-up window: while servers are still connecting, listings wait a little (so a client that
 * reads its tools once sees every quick server) and a name not known yet is waited for (a client
 * may call a tool it knows before its server is up). Neither waits past the first connect round.
 *
 * Servers list their tools first and their prompts and resources after (UpstreamPool.start): tools
 * wait for the first round, prompts and resources (`rest`) for the whole one.
 */
import type { EventEmitter } from 'node:events';

/** What a listing or a lookup is of: tools, or prompts and resources. */
export type GateKind = 'tools' | 'rest';

export class StartupGate {
  /** Set while servers are still starting: listings wait on them. */
  private readonly gates: { [K in GateKind]?: Promise<void> } = {};
  /** Until every server has had its first connect attempt (tools), and listed the rest too (see whenKnown). */
  private readonly rounds: { [K in GateKind]?: Promise<void> } = {};
  private listedOnce?: () => void;
  /** Settles once a first listing has been answered (see listing). */
  readonly firstListing = new Promise<void>((resolve) => {
    this.listedOnce = resolve;
  });

  /** `events` emits 'rebuilt' after each catalog rebuild; the gate emits it too when a round ends. */
  constructor(private readonly events: EventEmitter) {}

  /**
   * Until `firstRound` settles, listings wait for it, but not past `windowMs` from now: a client that
   * reads its tools once at start sees every server that is quick, and is never held up by a slow one
   * (servers ready later are announced with list_changed). `listed` settles once every server's tools can
   * be listed, `whole` once its prompts and resources can too.
   */
  wait(firstRound: Promise<unknown>, windowMs: number, listed: Promise<unknown> = firstRound, whole = listed): void {
    const settled = firstRound.then(noop, noop);
    this.round('tools', settled);
    this.round('rest', Promise.all([settled, whole.then(noop, noop)]).then(noop));
    let timer: NodeJS.Timeout | undefined;
    const window = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, windowMs);
      timer.unref();
    });
    const gates = ([['tools', listed] as const, ['rest', whole] as const] as const).map(([kind, until]) => {
      const gate = Promise.race([until.then(noop), window]).finally(() => {
        if (this.gates[kind] === gate) this.gates[kind] = undefined;
      });
      this.gates[kind] = gate;
      return gate;
    });
    void Promise.all(gates).finally(() => clearTimeout(timer));
  }

  private round(kind: GateKind, settled: Promise<void>): void {
    this.rounds[kind] = settled;
    void settled.then(() => {
      if (this.rounds[kind] === settled) this.rounds[kind] = undefined;
      this.events.emit('rebuilt');
    });
  }

  /** Resolves when a listing of `kind` may be answered (the answer is built and sent right after). */
  async listing(kind: GateKind = 'tools'): Promise<void> {
    const gate = this.gates[kind];
    if (gate) await gate;
    // A turn later the answer has gone out: what waits for the first listing may take the core then.
    if (this.listedOnce) setImmediate(this.listedOnce);
    this.listedOnce = undefined;
  }

  /**
   * Looks a name up; while servers are still starting, a name not known yet is waited for: until it
   * appears or every server has had its first attempt (and for `rest`, listed the rest), which each
   * connect timeout (and request timeout) bounds.
   */
  async whenKnown<T>(lookup: () => T | undefined, kind: GateKind = 'tools'): Promise<T | undefined> {
    let found = lookup();
    while (found === undefined && this.rounds[kind]) {
      await new Promise<void>((resolve) => this.events.once('rebuilt', resolve));
      found = lookup();
    }
    return found;
  }
}

function noop(): void {}
