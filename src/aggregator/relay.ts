/**
 * The fast path for a 2025-11-25 session's hot requests: tools/call, prompts/get, resources/read and
 * completion/complete are taken off the session's transport before the SDK Server dispatches them
 * (which tries each message against three schemas, validates the request twice and the result once,
 * and builds a context per call) and handed to the same handlers the Server would call. Routing,
 * access policy, the audit hook, metrics, the breaker, input rounds and server-to-client routing are
 * all below that point, so they hold unchanged; what this file owns is the JSON-RPC envelope: the
 * response or error under the request's id, progress and logs related to the request, cancellation
 * and the close of the transport.
 *
 * A request whose params are not the plain shape this path expects goes to the SDK Server, which
 * answers it with its own precise error; so does every other message, and every message of a
 * 2026-07-28 session (era translation is the SDK's).
 */
import type { JSONRPCMessage, RequestId, Server, ServerCapabilities, Transport } from '@modelcontextprotocol/server';
import { EarlyCancellations } from '../protocol/earlyCancellations.js';
import { isObject, type Params, plainHotParams } from '../protocol/hotParams.js';
import { badRequiredParam, errorResponse, INTERNAL_ERROR } from '../protocol/jsonrpc.js';
import { materializeParams, READS_RAW, releaseMembers, WRITES_RAW } from '../protocol/rawJson.js';
import { LazyAbort } from '../util/lazyAbort.js';
import type { CallContext } from './callContext.js';
import { callContext } from './callContext.js';
import type { Session } from './sessions.js';

type Result = Record<string, unknown>;

/** The methods relayed, and the capability a session must have been offered for each. */
const HOT: Record<string, keyof ServerCapabilities> = {
  'tools/call': 'tools',
  'prompts/get': 'prompts',
  'resources/read': 'resources',
  'completion/complete': 'completions',
};

const OTHER_RESULT_KEYS = ['task', 'inputRequests', 'requestState'];

export type HotHandler = (method: string, params: Params, call: CallContext) => Promise<Result>;

export interface RelayDeps {
  session: Session;
  capabilities: ServerCapabilities;
  handle: HotHandler;
  /** Called on every request relayed (the session is registered on first use). */
  touch(): void;
  /** Whether a tool's large arguments go on as the client's bytes (then the stdio wire keeps them raw). */
  rawArguments?(tool: string): boolean;
}

/** Puts the relay in front of `server` on whatever transport it is connected to. */
export function attachRelay(server: Server, deps: RelayDeps): void {
  if (deps.session.era !== 'legacy' || deps.session.transient) return;
  const connect = server.connect.bind(server);
  server.connect = async (transport: Transport) => {
    await connect(transport);
    interpose(server, transport, deps);
  };
}

function interpose(server: Server, transport: Transport, deps: RelayDeps): void {
  const inner = transport.onmessage;
  const innerClose = transport.onclose;
  if (!inner) return;
  const inflight = new Map<RequestId, LazyAbort>();
  const early = new EarlyCancellations();
  const out = outlet(transport);
  takeRawArguments(transport, deps);
  /** A request relayable() accepted: answered here (false: it was cancelled before it came, and goes nowhere). */
  const relay = (message: JSONRPCMessage): boolean => {
    const { id, method, params = {} } = message as { id: RequestId; method: string; params?: Params };
    // As any cancelled request, it gets no answer.
    if (early.take(id)) return false;
    const controller = new LazyAbort();
    inflight.set(id, controller);
    deps.touch();
    void run(out, deps, { id, method, params }, controller)
      .catch((e) => server.onerror?.(new Error(`Failed to send response: ${e}`)))
      .finally(() => {
        if (inflight.get(id) === controller) inflight.delete(id);
      });
    return true;
  };
  skipChannelCheck(transport, deps.capabilities, server, relay);
  transport.onmessage = (message, extra) => {
    const bad = badRequiredField(message, deps.capabilities, server);
    if (bad) {
      // The SDK Server would answer these with -32603 and its schema's raw issue list: say what is wrong.
      void transport.send(bad).catch((e) => server.onerror?.(new Error(`Failed to send response: ${e}`)));
      return;
    }
    if (!relayable(message, deps.capabilities, server)) {
      const m = message as { method?: string; params?: { requestId?: RequestId; reason?: unknown } };
      if (m.method === 'notifications/cancelled' && m.params?.requestId !== undefined) {
        const controller = inflight.get(m.params.requestId);
        if (controller) {
          inflight.delete(m.params.requestId);
          controller.abort(m.params.reason ?? 'cancelled');
        } else early.note(m.params.requestId);
      }
      // The SDK Server reads the arguments themselves.
      inner.call(transport, materializeParams(message), extra);
      return;
    }
    relay(message);
  };
  transport.onclose = () => {
    // As the SDK Server does for its own handlers: the calls of a closed session are cancelled.
    for (const controller of inflight.values()) controller.abort('connection closed');
    inflight.clear();
    innerClose?.call(transport);
  };
}

/** Where a relayed request's response and related notifications are sent. */
interface Outlet {
  raw: boolean;
  send(message: JSONRPCMessage, related?: { relatedRequestId: RequestId }): Promise<void>;
  respond(id: RequestId, message: JSONRPCMessage): Promise<void>;
}

/**
 * The session's transport, or, on serveStdio's per-session channel of a 2025-11-25 session (no
 * outbound intercept), the wire under it: the channel checks each message against the response
 * schemas only to learn the id it answers, which is known here.
 */
function outlet(transport: Transport): Outlet {
  const raw = writesRaw(transport);
  const ch = channelOf(transport);
  if (ch && ch._outboundIntercept === undefined) {
    const send = (m: JSONRPCMessage, related?: { relatedRequestId: RequestId }) =>
      ch._closed ? Promise.resolve() : ch._wire.send(m, related);
    return {
      raw,
      send,
      respond: (id, m) => {
        ch._settle(id);
        return send(m);
      },
    };
  }
  return { raw, send: (m, related) => transport.send(m, related), respond: (_id, m) => transport.send(m) };
}

/** serveStdio's per-session channel, the internals of it the relay uses. */
interface Channel extends Transport {
  _wire: Transport;
  _closed: boolean;
  _settle(id: RequestId): void;
  _pendingRequests: Set<RequestId>;
  _outboundIntercept?: unknown;
  deliver(message: JSONRPCMessage, extra?: unknown): void;
}

/** `transport` as serveStdio's per-session channel, when it is one (else the relay uses only its Transport face). */
function channelOf(transport: Transport): Channel | undefined {
  const ch = transport as Partial<Channel>;
  const isChannel =
    ch._wire !== undefined &&
    '_closed' in ch &&
    typeof ch._settle === 'function' &&
    typeof ch.deliver === 'function' &&
    ch._pendingRequests instanceof Set;
  return isChannel ? (transport as Channel) : undefined;
}

/** One relayed request, answered under its id (nothing once it was cancelled, as the spec says). */
async function run(
  transport: Outlet,
  deps: RelayDeps,
  req: { id: RequestId; method: string; params: Params },
  abort: LazyAbort,
): Promise<void> {
  const { id, method, params } = req;
  const related = { relatedRequestId: id };
  const ctx = {
    mcpReq: {
      id,
      get signal() {
        return abort.signal;
      },
      abortable: abort,
      _meta: params._meta,
      notify: (n: { method: string; params?: Params }) => transport.send({ jsonrpc: '2.0', ...n }, related),
      log: (level: string, data: unknown, logger?: string) => {
        if (!deps.capabilities.logging) return Promise.resolve();
        const p = logger === undefined ? { level, data } : { level, data, logger };
        return transport.send({ jsonrpc: '2.0', method: 'notifications/message', params: p }, related);
      },
    },
  };
  let response: JSONRPCMessage;
  try {
    const call = callContext(ctx, params, deps.session);
    // A wire that writes them out as they are takes large result members as the upstream's bytes.
    call.raw = transport.raw;
    let result = await deps.handle(method, params, call);
    // As the SDK Server does: a tool result without content gets an empty one (results of other
    // kinds, a task or an input round, are left alone).
    if (method === 'tools/call' && result.content === undefined && !OTHER_RESULT_KEYS.some((k) => k in result)) {
      result = { ...result, content: [] };
    }
    response = { jsonrpc: '2.0', id, result } as JSONRPCMessage;
  } catch (e) {
    const err = e as { code?: unknown; message?: string; data?: unknown };
    const code = Number.isSafeInteger(err?.code) ? (err.code as number) : INTERNAL_ERROR;
    const error = {
      code: code === -32002 ? -32602 : code,
      message: err?.message ?? 'Internal error',
      ...(err?.data !== undefined ? { data: err.data } : {}),
    };
    response = { jsonrpc: '2.0', id, error } as JSONRPCMessage;
  }
  if (abort.aborted) return;
  await transport.respond(id, response);
  // The call is over and its answer written: the raw bytes it held (the client's arguments, the
  // upstream's result members) are let go now, not at the next full collection (RawJson.release).
  if (transport.raw) {
    releaseMembers(params);
    if ('result' in response) releaseMembers(response.result);
  }
}

/** A hot request in the plain shape this path handles, on an initialized session offered the capability. */
function relayable(message: JSONRPCMessage, caps: ServerCapabilities, server: Server): boolean {
  const m = message as { id?: unknown; method?: unknown; params?: unknown };
  if (m.id === undefined || typeof m.method !== 'string') return false;
  const capability = HOT[m.method];
  if (!capability || !caps[capability] || !server.getClientCapabilities()) return false;
  const p = m.params as Params | undefined;
  if (!isObject(p)) return false;
  if (p._meta !== undefined) {
    if (!isObject(p._meta)) return false;
    const token = p._meta.progressToken;
    if (token !== undefined && typeof token !== 'string' && !Number.isSafeInteger(token)) return false;
  }
  return plainHotParams(m.method, p);
}

/** An invalid-params error for a hot request whose required field is missing or not a string. */
function badRequiredField(
  message: JSONRPCMessage,
  caps: ServerCapabilities,
  server: Server,
): JSONRPCMessage | undefined {
  const m = message as { id?: RequestId; method?: unknown };
  const capability = typeof m.method === 'string' ? HOT[m.method] : undefined;
  if (!capability || !caps[capability] || !server.getClientCapabilities()) return undefined;
  const bad = badRequiredParam(message);
  if (!bad) return undefined;
  return errorResponse(m.id as RequestId, -32602, bad);
}

/**
 * On serveStdio's per-session channel, a relayable request goes straight to the relay: the channel's
 * own delivery checks each message against the SDK's request schema only to note the id as pending,
 * and the stdio wire under it has already checked the message's shape (protocol/jsonrpc.ts).
 */
function skipChannelCheck(
  transport: Transport,
  caps: ServerCapabilities,
  server: Server,
  relay: (message: JSONRPCMessage) => boolean,
): void {
  const ch = channelOf(transport);
  if (!ch) return;
  const deliver = ch.deliver;
  ch.deliver = (message, extra) => {
    if (ch._closed || !relayable(message, caps, server)) return deliver.call(ch, message, extra);
    const id = (message as { id: RequestId }).id;
    ch._pendingRequests.add(id);
    // Checked just now (a relayable request has its required fields): straight to the relay.
    if (!relay(message)) ch._settle(id);
  };
}

/**
 * Tells the stdio wire under `transport`, if there is one, that its tools/call arguments may come as
 * RawJson: everything it reads now reaches this relay, which hands the SDK only parsed values.
 */
function takeRawArguments(transport: Transport, deps: RelayDeps): void {
  const t = transport as unknown as Record<symbol, unknown> & { _wire?: Record<symbol, unknown> };
  const wire = READS_RAW in t ? t : t._wire;
  const accept = deps.rawArguments;
  if (wire && READS_RAW in wire) {
    wire[READS_RAW] = accept ? (tool: unknown) => typeof tool === 'string' && accept(tool) : () => true;
  }
}

/** Whether messages sent on `transport` end on a wire that writes raw members (serveStdio's own transport sends on its wire). */
function writesRaw(transport: Transport): boolean {
  const t = transport as unknown as Record<symbol, unknown> & { _wire?: Record<symbol, unknown> };
  return t[WRITES_RAW] === true || t._wire?.[WRITES_RAW] === true;
}
