/**
 * Calls that need input from the caller mid-way, across protocol eras. A 2026-07-28 upstream asks
 * with `input_required` results: a 2026 caller gets them passed through (it retries with the opaque
 * state), and for a 2025 caller the proxy asks it with server-to-client requests on its own session,
 * then retries the call. A 2025 upstream asks push-style: for a 2026 caller the call pauses and the
 * requests reach it as input_required rounds (paused.ts).
 */
import type { Client, Tool } from '@modelcontextprotocol/client';
import { inputRequired, ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import type { CallHook } from '../audit/recorder.js';
import type { UpstreamPool } from '../upstream/pool.js';
import { callToolUnchecked } from '../upstream/unchecked.js';
import { type Abortable, abortableOf } from '../util/lazyAbort.js';
import { type CallContext, logMeta, resumesInput } from './callContext.js';
import type { Forwarder } from './forward.js';
import { mapUris } from './naming.js';
import { type PausedCall, PausedCalls, type UpstreamAbort, type Waiter } from './paused.js';
import type { ResourceRoutes } from './resourceRoutes.js';
import type { CallOrigin, SessionRouter } from './sessions.js';

/** Input rounds (2026 input_required) the proxy fulfils for a 2025 caller within one call. */
const MAX_INPUT_ROUNDS = 8;
/** Without a known upstream timeout, how long a paused call waits for its caller's retry. */
const DEFAULT_PAUSE_TTL_MS = 60_000;
const toolIndex = new WeakMap<object, Map<string, Tool>>();

export interface InputRoundsOptions {
  pool: UpstreamPool;
  forwarder: Forwarder;
  router: SessionRouter;
  routes: ResourceRoutes;
  /** Wraps every forwarded tools/call, prompts/get and resources/read (the audit log). */
  onCall?: CallHook;
}

export class InputRounds {
  private readonly paused = new PausedCalls();

  constructor(private readonly opts: InputRoundsOptions) {}

  /**
   * Runs a request (tools/call, prompts/get, resources/read) for its caller. A 2026-07-28 caller
   * cannot be sent requests during its call: requests the upstream pushes (a 2025 hop) pause the call
   * and reach the caller as input_required rounds (paused.ts). `target` names what is called: a
   * retry must call the same.
   */
  pausable(
    target: string,
    upstream: string,
    call: CallContext,
    run: (call: CallContext) => Promise<Record<string, unknown>>,
    args?: unknown,
  ): Promise<Record<string, unknown>> {
    const onCall = this.opts.onCall;
    if (!onCall) return this.pausableRun(target, upstream, call, run);
    const [method = '', , name = ''] = target.split('\0');
    const info = { method, upstream, name, caller: call.origin?.session.caller, args };
    return onCall(info, () => this.pausableRun(target, upstream, call, run));
  }

  private pausableRun(
    target: string,
    upstream: string,
    call: CallContext,
    run: (call: CallContext) => Promise<Record<string, unknown>>,
  ): Promise<Record<string, unknown>> {
    const origin = call.origin;
    if (origin?.session.era !== 'modern') return run(call);
    const resumed = this.paused.resume(call.mrtr?.requestState, target);
    if (resumed) resumed.answer(call.mrtr?.inputResponses);
    const abortable = call.abortable ?? abortableOf(call.signal);
    const waiter = { abortable, onprogress: call.onprogress, log: origin.log };
    const ttl = this.opts.pool.get(upstream)?.requestTimeout ?? DEFAULT_PAUSE_TTL_MS;
    if (resumed) return resumed.next(waiter);
    if (call.abort) return this.firstRound(target, call, waiter, { abortable, abort: call.abort }, ttl, run);
    return this.paused
      .start(target, (p) => run(new PausableContext(call, origin, p.abortable, () => p)), ttl)
      .next(waiter);
  }

  /**
   * A first call whose caller's abort runs it upstream (a stateless request): it runs as a plain call
   * until the upstream asks something, and only then becomes a paused call, whose first answer to the
   * caller is the input_required round. Most calls never ask, and pay for no paused call.
   */
  private firstRound(
    target: string,
    call: CallContext,
    waiter: Waiter,
    upstream: UpstreamAbort,
    ttl: number,
    run: (call: CallContext) => Promise<Record<string, unknown>>,
  ): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      let paused: PausedCall | undefined;
      const pause = () => {
        if (!paused) {
          paused = this.paused.adopt(target, running, ttl, upstream);
          paused.next(waiter).then(resolve, reject);
        }
        return paused;
      };
      const running = run(new PausableContext(call, call.origin as CallOrigin, upstream.abortable, pause));
      running.then(
        (result) => {
          if (!paused) resolve(result);
        },
        (error) => {
          if (!paused) reject(error);
        },
      );
    });
  }

  /** Calls a tool on a given upstream by its upstream name, through as many input rounds as it takes. */
  callTool(
    upstream: string,
    tool: string,
    args: Record<string, unknown> | undefined,
    call: CallContext,
  ): Promise<Record<string, unknown>> {
    return this.pausable(
      `tools/call\0${upstream}\0${tool}`,
      upstream,
      call,
      (c) => this.callToolRounds(upstream, tool, args, c),
      args,
    );
  }

  private async callToolRounds(
    upstream: string,
    tool: string,
    args: Record<string, unknown> | undefined,
    call: CallContext,
  ): Promise<Record<string, unknown>> {
    const origin = call.origin;
    const definition = this.upstreamTool(upstream, tool);
    let mrtr = call.mrtr;
    for (let round = 0; ; round++) {
      const result = await this.callToolOnce({ upstream, tool, definition }, args, call, mrtr);
      if (result.resultType !== 'input_required' || call.mrtr || !origin || origin.session.era === 'modern') {
        return mapUris(passInputRequired(result), this.opts.routes.toPublic(upstream));
      }
      if (round >= MAX_INPUT_ROUNDS) {
        throw new ProtocolError(
          ProtocolErrorCode.InternalError,
          `upstream "${upstream}" asked for input ${MAX_INPUT_ROUNDS} times in one call; giving up`,
        );
      }
      const requests = (result.inputRequests ?? {}) as Record<string, { method: string; params?: unknown }>;
      const inputResponses: Record<string, unknown> = {};
      for (const [key, req] of Object.entries(requests)) {
        inputResponses[key] = await this.opts.router.request(upstream, req.method, req.params, call.signal, origin);
      }
      mrtr = { inputResponses, requestState: result.requestState as string | undefined };
    }
  }

  private async callToolOnce(
    target: { upstream: string; tool: string; definition?: Tool },
    args: Record<string, unknown> | undefined,
    call: CallContext,
    mrtr: CallContext['mrtr'],
  ): Promise<Record<string, unknown>> {
    const { upstream, tool, definition } = target;
    const { forwarder } = this.opts;
    return (await forwarder.run(
      'tools/call',
      upstream,
      call,
      (client: Client) =>
        callToolUnchecked(
          client,
          {
            name: tool,
            arguments: args ?? {},
            ...logMeta(client, call, call.meta),
            ...(mrtr?.inputResponses ? { inputResponses: mrtr.inputResponses } : {}),
            ...(mrtr?.requestState !== undefined ? { requestState: mrtr.requestState } : {}),
          },
          // The definition we already hold: the client then skips its tools/list cache lookup.
          forwarder.requestOptions(upstream, call, {
            ...(definition ? { toolDefinition: definition } : {}),
            allowInputRequired: true,
          }),
        ),
      { name: tool, args, definition, continued: resumesInput(mrtr) },
    )) as Record<string, unknown>;
  }

  /** The upstream's own definition of a tool, from its current catalog (indexed once per catalog). */
  private upstreamTool(upstream: string, tool: string): Tool | undefined {
    const tools = this.opts.pool.get(upstream)?.catalog.tools;
    if (!tools) return undefined;
    let index = toolIndex.get(tools);
    if (!index) {
      index = new Map(tools.map((t) => [t.name, t]));
      toolIndex.set(tools, index);
    }
    return index.get(tool);
  }
}

/**
 * The context a pausable call runs under upstream: the paused call's abort; its first caller's
 * progress and log streams until it pauses, then its current waiter's. A class with every member of
 * CallContext (no spread of `call`: that would read its `signal`, building an AbortSignal nothing
 * needs on the fast lane; and a getter on a prototype is not defined again per call, as one in an
 * object literal is).
 */
class PausableContext implements CallContext {
  readonly abort?: (reason: Error) => void;
  readonly origin: CallOrigin;
  readonly mrtr?: CallContext['mrtr'];
  readonly onprogress?: CallContext['onprogress'];
  readonly meta?: Record<string, unknown>;
  readonly logLevel?: CallContext['logLevel'];
  readonly raw?: boolean;
  /** Set once the call is paused (the upstream asked something). */
  private paused?: PausedCall;

  constructor(
    call: CallContext,
    origin: CallOrigin,
    readonly abortable: Abortable,
    pause: () => PausedCall,
  ) {
    this.abort = call.abort;
    const log = origin.log;
    this.origin = {
      ...origin,
      log: async (m) => (this.paused ? this.paused.waiter?.log?.(m) : log?.(m)),
      ask: (method, params) => {
        this.paused = pause();
        return this.paused.ask(method, params);
      },
    };
    this.mrtr = call.mrtr;
    const progress = call.onprogress;
    this.onprogress = progress && ((x) => (this.paused ? this.paused.waiter?.onprogress?.(x) : progress(x)));
    this.meta = call.meta;
    this.logLevel = call.logLevel;
    this.raw = call.raw;
  }

  get signal(): AbortSignal {
    return this.abortable.signal;
  }
}

/**
 * An upstream's `input_required` answer for a modern (2026-07-28) caller goes back as it came: the
 * caller fulfils the requests and retries with the same opaque state, which the proxy forwards.
 */
function passInputRequired(result: Record<string, unknown>): Record<string, unknown> {
  if ((result as { resultType?: string }).resultType !== 'input_required') return result;
  const { inputRequests, requestState } = result as { inputRequests?: any; requestState?: string };
  return inputRequired({
    ...(inputRequests ? { inputRequests } : {}),
    ...(requestState !== undefined ? { requestState } : {}),
  }) as unknown as Record<string, unknown>;
}
