/**
 * Start-up lists tools first (listings.ts, ListingPart): a server without a known catalog lists its tools
 * in its first attempt, and its prompts and resources once this gate opens: when every such server has
 * had its first attempt, or after a bound, whichever comes first. On two cores a few dozen servers booting
 * at once are bound by the CPU, and the listings the first tools/list does not need would compete with
 * the servers it waits for.
 */
import { type Latch, latch, within } from '../util/async.js';
import type { Upstream } from './upstream.js';

/** How long a close waits for the prompts and resources of servers that listed their tools first. */
const REST_AT_CLOSE_MS = 300;

export class ToolsFirst {
  private readonly gate = latch();

  /** `withinMs`: the bound on how long the rest waits for the first round. */
  constructor(private readonly withinMs: number) {}

  /** What a connection made now lists its rest after, while the gate is shut (then it lists tools first). */
  get pending(): Latch | undefined {
    return this.gate.opened ? undefined : this.gate;
  }

  /**
   * Opens once `round` settles, a turn later (the first tools listings waiting for the same round are
   * answered first), or after `withinMs`.
   */
  arm(round: Promise<unknown>): void {
    const timer = setTimeout(this.gate.open, this.withinMs);
    timer.unref();
    void round.then(() =>
      setImmediate(() => {
        clearTimeout(timer);
        this.gate.open();
      }),
    );
  }

  /**
   * Opens the gate, and gives the rest listings of `conns` a moment: a run that ends right after start-up
   * (a client that only looked at the tools) still leaves whole catalogs for the next start.
   */
  async close(conns: Upstream[]): Promise<void> {
    this.gate.open();
    const rests = conns.flatMap((c) => c.restListing ?? []);
    if (rests.length) await within(Promise.all(rests), REST_AT_CLOSE_MS);
  }
}
