/**
 * JSON-RPC message checks for the proxy's own transports (upstream stdio, downstream sessionful HTTP).
 *
 * The SDK's `parseJSONRPCMessage` / `deserializeMessage` parse with a union of the four message schemas,
 * tried in turn: a response fails the request and notification branches first, and building those
 * failures costs more than the parse that succeeds. The message's own keys say which schema applies,
 * so it is checked against that one only (the same strict schema, through the SDK's guard).
 */
import {
  isJSONRPCErrorResponse,
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type RequestId,
} from '@modelcontextprotocol/client';

export const INTERNAL_ERROR = -32603;

/** The error response to request `id` (null: a request that could not be read as one). */
export function errorResponse(id: RequestId | null, code: number, message: string): JSONRPCMessage {
  return { jsonrpc: '2.0', id, error: { code, message } } as JSONRPCMessage;
}

/** The message itself when it is a valid JSON-RPC 2.0 message; throws otherwise. */
export function toJsonRpcMessage(value: unknown): JSONRPCMessage {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    if (isPlainRequest(value as Record<string, unknown>)) return value as JSONRPCMessage;
    const ok =
      'method' in value
        ? 'id' in value
          ? isJSONRPCRequest(value)
          : isJSONRPCNotification(value)
        : 'result' in value
          ? isJSONRPCResultResponse(value)
          : isJSONRPCErrorResponse(value);
    if (ok) return value as JSONRPCMessage;
  }
  throw new Error('not a JSON-RPC 2.0 request, notification or response');
}

/**
 * A request the strict schema accepts, told by its keys and types alone: the common shape (no
 * `_meta` beyond a progress token). Anything else is left to the schema, which also words the error.
 */
function isPlainRequest(v: Record<string, unknown>): boolean {
  const { id, params } = v;
  if (v.jsonrpc !== '2.0' || typeof v.method !== 'string') return false;
  if (typeof id !== 'string' && !Number.isSafeInteger(id)) return false;
  let keys = 3;
  if (params !== undefined) {
    if (!isPlainObject(params)) return false;
    keys++;
    const meta = params._meta;
    if (meta !== undefined) {
      if (!isPlainObject(meta)) return false;
      for (const k in meta) if (k !== 'progressToken') return false;
      const token = meta.progressToken;
      if (token !== undefined && typeof token !== 'string' && !Number.isSafeInteger(token)) return false;
    }
  }
  let n = 0;
  for (const _ in v) n++;
  return n === keys;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Whether a message is an `initialize` request, without a schema parse for every other message. */
export function isInitialize(message: unknown): boolean {
  return (message as { method?: unknown } | null)?.method === 'initialize';
}

/**
 * A stack overflow from a deeply nested value: JSON.parse is iterative in V8, but JSON.stringify and
 * schema walks recurse, so a message that parsed fine can still overflow on its way onward.
 */
export function isNestingOverflow(e: unknown): boolean {
  return e instanceof RangeError && /call stack/i.test(e.message);
}

/** The string param each of these requests cannot do without (tools/call's the SDK already reports precisely). */
const REQUIRED_STRING_PARAM: Record<string, string> = { 'prompts/get': 'name', 'resources/read': 'uri' };

/**
 * For a prompts/get or resources/read request whose required field is missing or not a string, the
 * invalid-params message to answer with (the SDK would answer -32603 with its raw schema issues).
 */
export function badRequiredParam(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return undefined;
  const m = message as { id?: unknown; method?: unknown; params?: unknown };
  if (m.id === undefined || typeof m.method !== 'string') return undefined;
  const field = REQUIRED_STRING_PARAM[m.method];
  if (!field) return undefined;
  const p = m.params;
  const value =
    typeof p === 'object' && p !== null && !Array.isArray(p) ? (p as Record<string, unknown>)[field] : undefined;
  if (typeof value === 'string') return undefined;
  const got = value === undefined ? 'missing' : `a ${Array.isArray(value) ? 'list' : typeof value}`;
  return `Invalid ${m.method} params: "${field}" must be a string (got ${got})`;
}
