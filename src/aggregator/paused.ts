/**
 * Calls paused for input. A 2026-07-28 client cannot be sent requests during a call: it is asked
 * with an `input_required` result, fulfils it and calls again with the responses and the opaque
 * `requestState`. An upstream on a 2025-11-25 hop asks push-style (sampling/createMessage... sent
 * while the call runs). The proxy bridges the two: the upstream call keeps running, its requests
 * become the `inputRequests` of an `input_required` answer to the caller, and the caller's retry
 * (recognised by the state this proxy issued) answers them and waits for what comes next: the
 * result, or more requests. A paused call the caller does not come back to within the upstream's
 * request timeout is cancelled upstream.
 */
import { randomUUID } from 'node:crypto';
import { inputRequired, ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import { type Abortable, LazyAbort } from '../util/lazyAbort.js';

export const PAUSED_STATE_PREFIX = 'mcp-proxy:paused:';

type Outcome = { result: Record<string, unknown> } | { error: unknown } | { asks: Ask[] };

interface Ask {
  key: string;
  method: string;
  params: unknown;
  resolve(value: unknown): void;
  reject(reason: unknown): void;
}

/** What the waiting caller's request provides while it waits (its abort, its own progress and log streams). */
export interface Waiter {
  abortable: Abortable;
  onprogress?: (p: { progress: number; total?: number; message?: string }) => void;
  log?: (params: { level: any; logger?: string; data: unknown }) => Promise<void>;
}

/**
 * The abort the upstream call runs under and how to trigger it: the first caller's own, when the
 * caller's frontend lets it be aborted from here (a stateless request's, which nothing else aborts
 * once its answer is written), else one of the call's own. An Abortable: a call that never pauses
 * builds no AbortSignal for it.
 */
export interface UpstreamAbort {
  abortable: Abortable;
  abort(reason: Error): void;
}

/** Where a call is held while paused (from its first input_required answer until the retry). */
interface Registry {
  hold(call: PausedCall): void;
  release(call: PausedCall): void;
}

export class PausedCall {
  /** The requestState its caller holds; made when it first pauses (most calls never do). */
  token?: string;
  /** The upstream call's abort: when the caller went away or never came back. */
  readonly abortable: Abortable;
  private readonly abortUpstream: (reason: Error) => void;
  waiter?: Waiter;
  private asked: Ask[] = [];
  private unanswered: Ask[] = [];
  private settled?: Outcome;
  private wake?: (o: Outcome) => void;
  private nextKey = 0;
  private expiry?: NodeJS.Timeout;

  constructor(
    /** What was called (upstream and tool): a retry must call the same. */
    readonly target: string,
    /** The upstream call: started here, or already running (adopted when it first asks). */
    run: ((call: PausedCall) => Promise<Record<string, unknown>>) | Promise<Record<string, unknown>>,
    private readonly ttlMs: number,
    private readonly registry: Registry,
    upstream?: UpstreamAbort,
  ) {
    if (upstream) {
      this.abortable = upstream.abortable;
      this.abortUpstream = upstream.abort;
    } else {
      const own = new LazyAbort();
      this.abortable = own;
      this.abortUpstream = (reason) => own.abort(reason);
    }
    (typeof run === 'function' ? run(this) : run).then(
      (result) => this.settle({ result }),
      (error) => this.settle({ error }),
    );
  }

  /** An AbortSignal for the upstream call's abort (built on first read). */
  get signal(): AbortSignal {
    return this.abortable.signal;
  }

  /** A request of the upstream during the call: held until the caller's retry answers it. */
  ask(method: string, params: unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.asked.push({ key: `proxy-${this.nextKey++}`, method, params, resolve, reject });
      // Requests sent together go to the caller together.
      setImmediate(() => {
        if (this.asked.length && this.wake) this.deliver({ asks: this.asked.splice(0) });
      });
    });
  }

  /** The caller's retry: answers the requests it was given. */
  answer(responses: Record<string, unknown> | undefined): void {
    if (this.expiry) clearTimeout(this.expiry);
    for (const a of this.unanswered.splice(0)) {
      const r = responses?.[a.key];
      if (r === undefined) {
        a.reject(new ProtocolError(ProtocolErrorCode.InvalidParams, `no input response for "${a.key}" (${a.method})`));
      } else a.resolve(r);
    }
  }

  /** Waits for the call's next step for `waiter`: its result, or an input_required to answer it with. */
  async next(waiter: Waiter): Promise<Record<string, unknown>> {
    this.waiter = waiter;
    // A waiter whose abort is the upstream call's own cancels it by aborting: the call then ends.
    const stopListening =
      waiter.abortable === this.abortable
        ? undefined
        : waiter.abortable.onAbort(() => this.cancel(new Error('the caller cancelled the call')));
    try {
      const outcome = await new Promise<Outcome>((resolve) => {
        this.wake = resolve;
        if (this.settled) {
          this.registry.release(this);
          this.deliver(this.settled);
        } else if (this.asked.length) this.deliver({ asks: this.asked.splice(0) });
      });
      if ('result' in outcome) return outcome.result;
      if ('error' in outcome) throw outcome.error;
      this.unanswered.push(...outcome.asks);
      this.expiry = setTimeout(
        () => this.cancel(new Error('the caller did not answer the input request in time')),
        this.ttlMs,
      );
      this.expiry.unref();
      if (!this.token) {
        this.token = `${PAUSED_STATE_PREFIX}${randomUUID()}`;
        this.registry.hold(this);
      }
      const inputRequests = Object.fromEntries(
        outcome.asks.map((a) => [a.key, { method: a.method, ...(a.params !== undefined ? { params: a.params } : {}) }]),
      );
      return inputRequired({ inputRequests, requestState: this.token } as any) as unknown as Record<string, unknown>;
    } finally {
      this.waiter = undefined;
      stopListening?.();
    }
  }

  private deliver(o: Outcome): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.(o);
  }

  private settle(o: Outcome): void {
    this.settled = o;
    for (const a of [...this.asked.splice(0), ...this.unanswered.splice(0)]) a.reject(new Error('the call ended'));
    // With nobody waiting, the outcome is held for the caller's retry (until the expiry drops it).
    if (!this.wake) return;
    if (this.expiry) clearTimeout(this.expiry);
    this.registry.release(this);
    this.deliver(o);
  }

  private cancel(reason: Error): void {
    for (const a of [...this.asked.splice(0), ...this.unanswered.splice(0)]) a.reject(reason);
    this.abortUpstream(reason);
    this.registry.release(this);
  }
}

/** The paused calls of one aggregator, by the state token their caller holds. */
export class PausedCalls {
  private readonly calls = new Map<string, PausedCall>();
  private readonly registry: Registry = {
    hold: (c) => this.calls.set(c.token!, c),
    release: (c) => {
      if (c.token) this.calls.delete(c.token);
    },
  };

  start(
    target: string,
    run: (call: PausedCall) => Promise<Record<string, unknown>>,
    ttlMs: number,
    upstream?: UpstreamAbort,
  ): PausedCall {
    return new PausedCall(target, run, ttlMs, this.registry, upstream);
  }

  /**
   * A call already running upstream under its caller's abort (`upstream`), paused from now on: its
   * first request to the caller is on its way (ask it next).
   */
  adopt(target: string, running: Promise<Record<string, unknown>>, ttlMs: number, upstream: UpstreamAbort): PausedCall {
    return new PausedCall(target, running, ttlMs, this.registry, upstream);
  }

  /** The call a retry resumes; an error when the state is this proxy's but the call is gone. */
  resume(state: string | undefined, target: string): PausedCall | undefined {
    if (state === undefined || !state.startsWith(PAUSED_STATE_PREFIX)) return undefined;
    const call = this.calls.get(state);
    if (call && call.target !== target) {
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'this requestState belongs to a call of another tool');
    }
    if (!call) {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        'this call was paused for input and is no longer held by the proxy (it timed out, ended, or was paused by another proxy instance): call the tool again',
      );
    }
    return call;
  }
}
