/**
 * The fast path for a 2026-07-28 (stateless) request's hot methods: tools/call, prompts/get,
 * resources/read and completion/complete are served without building an SDK `Server` per request.
 * They go to the same handlers a Server would call (hotHandler), so routing, access policy, the
 * audit hook, metrics, the breaker and input rounds hold unchanged; what this file owns is what the
 * SDK's per-request Server would add around them on this revision: the call's context (progress
 * under the caller's token, logs only at the level the request asked for, its multi-round-trip
 * input), the result's 2026 encoding (`resultType`, cache fields, the server's identity in `_meta`),
 * the input-required checks, and the JSON-RPC envelope of the answer.
 *
 * The frontend hands over only requests it has checked to be plain (eligible()): anything else is
 * served by the SDK, which answers it with its own precise error.
 */
import {
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  type ClientCapabilities,
  type JSONRPCMessage,
  LOG_LEVEL_META_KEY,
  type LoggingLevel,
  MissingRequiredClientCapabilityError,
  PROTOCOL_VERSION_META_KEY,
  ProtocolError,
  ProtocolErrorCode,
  type RequestId,
  type ServerCapabilities,
} from '@modelcontextprotocol/server';
import type { Caller } from '../audit/caller.js';
import type { AccessControl } from '../gateway/access.js';
import { type Identity, LOCAL } from '../gateway/identity.js';
import { ALLOW_ALL } from '../gateway/policy.js';
import type { Abortable } from '../util/lazyAbort.js';
import type { CallContext } from './callContext.js';
import { declaredCapabilities, RESERVED_META_PREFIX } from './callContext.js';
import { missingCapabilities, requiredFor } from './inputCapabilities.js';
import type { HotHandler } from './relay.js';
import { newSession, type Session } from './sessions.js';
import { ResultEncoder } from './statelessEncoding.js';

type Params = Record<string, any>;
type Result = Record<string, unknown>;

/** The methods served here, and the capability the proxy must offer for each. */
export const STATELESS_HOT: Record<string, 'tools' | 'prompts' | 'resources' | 'completions'> = {
  'tools/call': 'tools',
  'prompts/get': 'prompts',
  'resources/read': 'resources',
  'completion/complete': 'completions',
};

const ENVELOPE = new Set([
  PROTOCOL_VERSION_META_KEY,
  CLIENT_INFO_META_KEY,
  CLIENT_CAPABILITIES_META_KEY,
  LOG_LEVEL_META_KEY,
]);
const ENVELOPE_KEYS = (key: string) => ENVELOPE.has(key);
/** What of a request's `_meta` goes on upstream: not the protocol's reserved keys (each hop sets its own) nor the progress token. */
const NOT_FORWARDED = (key: string) => key === 'progressToken' || key.startsWith(RESERVED_META_PREFIX);
const SEVERITY: LoggingLevel[] = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];
const INPUT_REQUIRED_METHODS = new Set(['tools/call', 'prompts/get', 'resources/read']);

/** One request, as the frontend read it (envelope and headers checked). */
export interface StatelessRequest {
  id: RequestId;
  method: string;
  params: Params;
  identity?: Identity;
  profile?: string;
  caller?: Caller;
  /**
   * Aborted when the client goes away (on this revision, closing the response cancels the request);
   * an Abortable, whose AbortSignal is built only if something reads it.
   */
  abortable: Abortable;
  /** Aborts `abortable` from here (absent: only the frontend aborts it). */
  abort?: (reason: Error) => void;
  /** A message related to the request (progress, a log): the frontend streams it ahead of the answer. */
  notify(message: JSONRPCMessage): void;
}

/** The answer: the JSON-RPC response, serialized, and the HTTP status it goes with (200 unless the spec says other). */
export interface StatelessAnswer {
  text: string;
  status: number;
}

export interface StatelessHandler {
  /** Whether `method` is served here (a hot method whose capability the proxy offers now). */
  serves(method: string): boolean;
  handle(req: StatelessRequest): Promise<StatelessAnswer>;
}

export interface StatelessDeps {
  handle: HotHandler;
  /** Whether the proxy offers a capability now (what a Server made now would announce). */
  offers: (capability: keyof ServerCapabilities) => boolean;
  access?: AccessControl;
  serverInfo: { name: string; version: string };
  nextSessionId: () => number;
}

export function statelessHandler(deps: StatelessDeps): StatelessHandler {
  const encoder = new ResultEncoder(deps.serverInfo);
  return {
    serves: (method) => {
      const capability = STATELESS_HOT[method];
      return capability !== undefined && deps.offers(capability);
    },
    handle: (req) => serve(deps, req, encoder),
  };
}

async function serve(deps: StatelessDeps, req: StatelessRequest, encoder: ResultEncoder): Promise<StatelessAnswer> {
  const { id, method, params } = req;
  const session = statelessSession(deps, req);
  const envelope = (params._meta ?? {}) as Params;
  let result: Result;
  try {
    const raw = await deps.handle(method, hotParams(params), callOf(deps, req, session, envelope));
    result = checkInputRequired(method, raw, envelope[CLIENT_CAPABILITIES_META_KEY]);
  } catch (e) {
    const err = e as { code?: unknown; message?: string; data?: unknown };
    const thrown = Number.isSafeInteger(err?.code) ? (err.code as number) : ProtocolErrorCode.InternalError;
    const code = thrown === -32002 ? ProtocolErrorCode.InvalidParams : thrown;
    const error = {
      code,
      message: err?.message ?? 'Internal error',
      ...(err?.data !== undefined ? { data: err.data } : {}),
    };
    // The one handler error whose HTTP status the spec fixes.
    const status = code === ProtocolErrorCode.MissingRequiredClientCapability ? 400 : 200;
    return { text: JSON.stringify({ jsonrpc: '2.0', id, error }), status };
  }
  try {
    return {
      text: `{"result":${encoder.encode(method, result)},"jsonrpc":"2.0","id":${JSON.stringify(id)}}`,
      status: 200,
    };
  } catch {
    // As the SDK answers a result it cannot encode.
    const error = { code: ProtocolErrorCode.InternalError, message: 'Internal error' };
    return { text: JSON.stringify({ jsonrpc: '2.0', id, error }), status: 200 };
  }
}

/**
 * A session for one request: never registered and never sent anything later, so it has no Server
 * (nothing reads a stateless session's server: server-to-client requests to it are refused or become
 * input rounds before that).
 */
function statelessSession(deps: StatelessDeps, req: StatelessRequest): Session {
  const session = newSession(deps.nextSessionId(), undefined as never, 'modern', true);
  session.identity = req.identity ?? LOCAL;
  session.access = deps.access?.sharedView(req.identity, req.profile) ?? ALLOW_ALL;
  session.caller = req.caller ?? { identity: session.identity };
  return session;
}

/**
 * The params a handler sees: without the envelope and the retry fields (what the SDK lifts off a
 * request). Built by copying what stays (no `delete`: it would leave the objects slow to read).
 */
function hotParams(params: Params): Params {
  const out: Params = {};
  for (const key in params) {
    if (key === 'inputResponses' || key === 'requestState' || !Object.hasOwn(params, key)) continue;
    if (key !== '_meta') {
      out[key] = params[key];
      continue;
    }
    const meta = withoutKeys(params._meta, ENVELOPE_KEYS);
    if (meta) out._meta = meta;
  }
  return out;
}

/** `meta` without `drop`, or undefined when nothing else is left. */
function withoutKeys(meta: Params, drop: (key: string) => boolean): Params | undefined {
  let out: Params | undefined;
  for (const key in meta) {
    if (!Object.hasOwn(meta, key) || drop(key)) continue;
    out ??= {};
    out[key] = meta[key];
  }
  return out;
}

function callOf(deps: StatelessDeps, req: StatelessRequest, session: Session, envelope: Params): CallContext {
  const { id, params } = req;
  const level = envelope[LOG_LEVEL_META_KEY] as LoggingLevel | undefined;
  const origin = {
    session,
    requestId: id,
    clientCapabilities: declaredCapabilities(envelope),
    log: async (p: { level: LoggingLevel; logger?: string; data: unknown }) => {
      // A 2026 server logs only when the request asked, at its level or above.
      if (level === undefined || !deps.offers('logging')) return;
      if (SEVERITY.indexOf(p.level) < SEVERITY.indexOf(level)) return;
      req.notify({
        jsonrpc: '2.0',
        method: 'notifications/message',
        params: { level: p.level, data: p.data, logger: p.logger },
      } as JSONRPCMessage);
    },
  };
  const mrtr = { inputResponses: params.inputResponses, requestState: params.requestState };
  return new StatelessCall(req, origin, withoutKeys(envelope, NOT_FORWARDED), level, mrtr, envelope.progressToken);
}

/**
 * A stateless request's CallContext. A class: its `signal` is read only when something needs an
 * AbortSignal (the upstream fast lane listens on `abortable`), and a getter on a prototype costs
 * nothing per request where one in an object literal is defined again for each.
 */
class StatelessCall implements CallContext {
  readonly abortable: Abortable;
  readonly abort?: (reason: Error) => void;
  readonly onprogress?: CallContext['onprogress'];

  constructor(
    req: StatelessRequest,
    readonly origin: NonNullable<CallContext['origin']>,
    readonly meta: Params | undefined,
    readonly logLevel: LoggingLevel | undefined,
    readonly mrtr: NonNullable<CallContext['mrtr']>,
    token: unknown,
  ) {
    const abortable = req.abortable;
    this.abortable = abortable;
    this.abort = req.abort;
    if (token !== undefined) {
      this.onprogress = (p) => {
        if (abortable.aborted) return;
        req.notify({
          jsonrpc: '2.0',
          method: 'notifications/progress',
          params: { ...p, progressToken: token },
        } as JSONRPCMessage);
      };
    }
  }

  get signal(): AbortSignal {
    return this.abortable.signal;
  }
}

/**
 * An input_required result toward a 2026 caller must ask for something (requests or state) and only
 * for what the request's declared capabilities cover, as the SDK's Server checks it.
 */
function checkInputRequired(method: string, result: Result, declared: ClientCapabilities | undefined): Result {
  if (result.resultType !== 'input_required') return result;
  if (!INPUT_REQUIRED_METHODS.has(method)) {
    throw new ProtocolError(
      ProtocolErrorCode.InternalError,
      `Handler for ${method} returned an input-required result, but only tools/call, prompts/get and resources/read support input_required (protocol revision 2026-07-28)`,
    );
  }
  const requests = result.inputRequests as Record<string, { method?: unknown; params?: Params }> | undefined;
  const hasRequests = requests != null && Object.keys(requests).length > 0;
  if (!hasRequests && typeof result.requestState !== 'string') {
    throw new ProtocolError(
      ProtocolErrorCode.InternalError,
      `Handler for ${method} returned an input-required result with neither inputRequests nor requestState (every InputRequiredResult must include at least one of the two)`,
    );
  }
  for (const [key, entry] of Object.entries(requests ?? {})) {
    const required = requiredFor(entry);
    if (!required) {
      throw new ProtocolError(
        ProtocolErrorCode.InternalError,
        `Handler for ${method} returned an invalid input request '${key}': each inputRequests entry must be an embedded elicitation/create, sampling/createMessage, or roots/list request`,
      );
    }
    const missing = missingCapabilities(required, declared as Params | undefined);
    if (missing) {
      throw new MissingRequiredClientCapabilityError(
        { requiredCapabilities: missing },
        `Cannot request input '${key}' (${entry.method}): the request's client capabilities do not declare the required capability`,
      );
    }
  }
  return result;
}
