/**
 * The upstream fast lane: a forwarded request (tools/call, prompts/get, resources/read,
 * completion/complete) to a 2025-11-25 stdio upstream is written straight onto the transport, and
 * its response, progress and cancellation are handled here, beside the SDK client on the same
 * transport. The SDK client's request path (a promise chain per call, handler and timeout maps, a
 * result decode and an async schema step) is the bulk of a small call's cost on this hop.
 *
 * Everything else on the transport stays the SDK client's: initialize, listings, pings,
 * notifications, and the server-to-client requests (sampling, elicitation, roots) its handlers serve.
 * Ids come from the SDK client's own counter, so the two never collide and the upstream sees the
 * same sequence as before. What the caller sees is what the SDK path gives: the same timeout error
 * (reset by progress when asked), `notifications/cancelled` to the upstream on abort or timeout, the
 * upstream's JSON-RPC error as a ProtocolError, and "Connection closed" when the transport closes.
 *
 * A 2026-07-28 upstream keeps the SDK path: its results go through the SDK's era decoder
 * (`input_required`, the envelope), which this lane would have to duplicate.
 */
import {
  type Client,
  DEFAULT_REQUEST_TIMEOUT_MSEC,
  type JSONRPCMessage,
  ProtocolError,
  SdkError,
  SdkErrorCode,
} from '@modelcontextprotocol/client';

import { type Abortable, abortableOf } from '../util/lazyAbort.js';

type Result = Record<string, unknown>;
type Progress = { progress: number; total?: number; message?: string };

/** What the lane needs of the SDK request options a forwarded call carries. */
export interface LaneOptions {
  signal?: AbortSignal;
  /** The caller's abort, listened to in place of `signal` (which then is never built). */
  abortable?: Abortable;
  timeout?: number;
  resetTimeoutOnProgress?: boolean;
  onprogress?: (p: Progress) => void;
}

/** The transport under the lane: writes a message now, or throws why it cannot. */
export interface LaneWire {
  sendNow(message: JSONRPCMessage): void;
}

/** What the transport asks the lane about each message it reads, and tells it when it closes. */
export interface LaneTap {
  /** A well-formed response to one of this lane's requests (the transport need not check it further). */
  owns(value: unknown): boolean;
  /** Handles `message` if it is this lane's (a response or progress of its calls); false otherwise. */
  take(message: JSONRPCMessage): boolean;
  closed(): void;
}

class Call {
  timer?: NodeJS.Timeout;
  offAbort?: () => void;
  constructor(
    readonly id: number,
    readonly resolve: (r: Result) => void,
    readonly reject: (e: unknown) => void,
    readonly options: LaneOptions,
  ) {}
}

export class FastLane implements LaneTap {
  private readonly calls = new Map<number, Call>();

  constructor(
    private readonly client: Client,
    private readonly wire: LaneWire,
  ) {}

  request(method: string, params: Result, options: LaneOptions): Promise<Result> {
    const abort = options.abortable ?? (options.signal && abortableOf(options.signal));
    if (abort?.aborted) return Promise.reject(asSdkError(abort.reason));
    if (!this.client.transport) return Promise.reject(new Error('Not connected'));
    const counter = this.client as unknown as { _requestMessageId: number };
    const id = counter._requestMessageId++;
    const sent = options.onprogress ? { ...params, _meta: { ...(params._meta as Result), progressToken: id } } : params;
    return new Promise<Result>((resolve, reject) => {
      const call = new Call(id, resolve, reject, options);
      try {
        this.wire.sendNow({ jsonrpc: '2.0', id, method, params: sent } as JSONRPCMessage);
      } catch (e) {
        reject(e);
        return;
      }
      this.calls.set(id, call);
      const timeout = options.timeout ?? DEFAULT_REQUEST_TIMEOUT_MSEC;
      call.timer = setTimeout(() => this.cancel(call, timedOut(timeout)), timeout);
      if (abort) call.offAbort = abort.onAbort(() => this.cancel(call, abort.reason));
    });
  }

  owns(value: unknown): boolean {
    const m = value as { jsonrpc?: unknown; id?: unknown; method?: unknown; result?: unknown; error?: any };
    if (!isObject(m) || m.method !== undefined || m.jsonrpc !== '2.0' || !this.calls.has(idOf(m.id))) return false;
    if ('result' in m) return isObject(m.result);
    const e = m.error;
    return isObject(e) && Number.isInteger(e.code) && typeof e.message === 'string';
  }

  take(message: JSONRPCMessage): boolean {
    const m = message as { id?: unknown; method?: string; params?: any; result?: Result; error?: any };
    if (m.method === 'notifications/progress') return this.progress(m.params);
    if (m.id === undefined || m.method !== undefined) return false;
    const call = this.calls.get(idOf(m.id));
    if (!call) return false;
    this.settle(call);
    if (m.error !== undefined) {
      call.reject(ProtocolError.fromError(m.error.code, m.error.message, m.error.data));
    } else {
      // As the SDK's 2025-11-25 decoder does: the era's own discriminator is not part of the result.
      const result = m.result as Result;
      if ('resultType' in result) {
        const { resultType: _r, ...rest } = result;
        call.resolve(rest);
      } else call.resolve(result);
    }
    return true;
  }

  /** The transport closed: every call in flight fails as the SDK fails its own. */
  closed(): void {
    const calls = [...this.calls.values()];
    this.calls.clear();
    const error = new SdkError(SdkErrorCode.ConnectionClosed, 'Connection closed');
    for (const call of calls) {
      this.release(call);
      call.reject(error);
    }
  }

  private progress(params: { progressToken?: unknown } | undefined): boolean {
    const call = this.calls.get(idOf(params?.progressToken));
    const onprogress = call?.options.onprogress;
    if (!onprogress) return false;
    const { progressToken: _t, ...rest } = params as Result;
    // A microtask later, as the SDK client dispatches notifications: in order with the others it handles.
    queueMicrotask(() => {
      if (this.calls.get(call.id) !== call) return;
      if (call.options.resetTimeoutOnProgress) call.timer?.refresh();
      onprogress(rest as Progress);
    });
    return true;
  }

  /** A call given up (its caller cancelled, or it timed out): the upstream is told, the caller rejected. */
  private cancel(call: Call, reason: unknown): void {
    if (this.calls.get(call.id) !== call) return;
    this.settle(call);
    const note = {
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: call.id, reason: String(reason) },
    };
    try {
      this.wire.sendNow(note as JSONRPCMessage);
    } catch {
      // The transport is gone: the upstream has no call left to cancel.
    }
    call.reject(asSdkError(reason));
  }

  private settle(call: Call): void {
    this.calls.delete(call.id);
    this.release(call);
  }

  private release(call: Call): void {
    clearTimeout(call.timer);
    call.offAbort?.();
  }
}

/** Where a client keeps its lane (a property, so it is also found through a Proxy of the client). */
const LANE = Symbol('mcp-proxy.fastLane');

/** The lane of `client`, if its requests may take one. */
export function laneOf(client: Client): FastLane | undefined {
  return (client as unknown as Record<symbol, FastLane | undefined>)[LANE];
}

/**
 * Opens a lane for `client` on `transport` when both allow it: a 2025-11-25 hop, a transport that
 * lets the lane see what it reads first, and an SDK client whose id counter the lane can share.
 */
export function openLane(client: Client, transport: unknown): void {
  const t = transport as Partial<LaneWire> & { lane?: LaneTap };
  const counter = (client as unknown as { _requestMessageId?: unknown })._requestMessageId;
  if (client.getProtocolEra() === 'modern' || typeof t.sendNow !== 'function' || !('lane' in t)) return;
  if (typeof counter !== 'number') return;
  const lane = new FastLane(client, t as LaneWire);
  t.lane = lane;
  (client as unknown as Record<symbol, FastLane>)[LANE] = lane;
}

function timedOut(timeout: number): SdkError {
  return new SdkError(SdkErrorCode.RequestTimeout, 'Request timed out', { timeout });
}

function asSdkError(reason: unknown): SdkError {
  return reason instanceof SdkError ? reason : new SdkError(SdkErrorCode.RequestTimeout, String(reason));
}

/** A call's id as the SDK client reads it back (it answers to "7" as to 7). */
function idOf(v: unknown): number {
  return typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : Number.NaN;
}

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
