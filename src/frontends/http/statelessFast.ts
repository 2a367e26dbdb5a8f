/**
 * The node-native side of a 2026-07-28 request's hot methods (tools/call, prompts/get, resources/read,
 * completion/complete): the body parsed once by the endpoint goes to the aggregator's stateless
 * handler (aggregator/stateless.ts) and the answer is written on the node response directly, as one
 * JSON body, or as an SSE stream once something related to the request (progress, a log) comes first.
 * No web `Request`/`Response` and no SDK `Server` per request.
 *
 * Only a plain request is taken: one JSON-RPC request whose `_meta` envelope and standard headers
 * (MCP-Protocol-Version, Mcp-Method, Mcp-Name) agree and are well-formed, with params of the shape the
 * handlers expect. Everything else goes on to the SDK handler, whose validation answers it with the
 * precise error (and HTTP status) the spec names.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  type JSONRPCMessage,
  LOG_LEVEL_META_KEY,
  PROTOCOL_VERSION_META_KEY,
} from '@modelcontextprotocol/server';
import { isObject, type Params, plainHotParams } from '../../protocol/hotParams.js';
import { LazyAbort } from '../../util/lazyAbort.js';
import { sseEvent, sseFrame } from './responses.js';
import type { Caller, StatelessHot } from './types.js';

/** The revision this path serves (the SDK's own list of modern revisions has this one). */
const REVISION = '2026-07-28';
const LEVELS = new Set(['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency']);
/** Which param the Mcp-Name header mirrors, per method (none: the header must be absent). */
const NAME_PARAM: Record<string, string | undefined> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
  'completion/complete': undefined,
};

/** The request when this path serves it (plain and eligible), else undefined. */
export function takeable(
  req: IncomingMessage,
  parsed: unknown,
  hot: StatelessHot,
): { id: string | number; method: string; params: Params } | undefined {
  if (!isObject(parsed) || parsed.jsonrpc !== '2.0') return undefined;
  const { id, method, params } = parsed;
  if ((typeof id !== 'string' && !Number.isSafeInteger(id)) || typeof method !== 'string') return undefined;
  if (!(method in NAME_PARAM) || !isObject(params) || !plainEnvelope(params._meta)) return undefined;
  if (!plainRetry(params) || !plainHotParams(method, params) || !headersAgree(req, method, params)) return undefined;
  if (!hot.serves(method)) return undefined;
  return { id, method, params };
}

/** Serves a request `takeable` returned; the answer (or the stream) is written on `res`. */
export async function serveStateless(
  res: ServerResponse,
  request: { id: string | number; method: string; params: Params },
  caller: Caller | undefined,
  hot: StatelessHot,
  keepAliveMs: number,
): Promise<void> {
  const abort = new LazyAbort();
  const stream = new Stream(res, keepAliveMs);
  // 'close' comes once per response: a plain listener, no once wrapper, on this per-request path.
  res.on('close', () => {
    if (!stream.ended) abort.abort('the client closed the response');
  });
  const answer = await hot.handle({
    id: request.id,
    method: request.method,
    params: request.params,
    identity: caller?.identity,
    profile: caller?.profile,
    abortable: abort,
    abort: (reason) => abort.abort(reason),
    notify: (m) => stream.message(m),
  });
  // A cancelled request is answered with nothing: its response is gone.
  if (abort.aborted || res.destroyed) stream.end();
  else stream.finish(answer.text, answer.status);
}

/** The response: JSON unless a related message came first, then SSE frames until the answer. */
class Stream {
  ended = false;
  private sse = false;
  private keepAlive?: NodeJS.Timeout;

  constructor(
    private readonly res: ServerResponse,
    private readonly keepAliveMs: number,
  ) {}

  message(m: JSONRPCMessage): void {
    if (this.ended || this.res.destroyed || this.res.writableEnded) return;
    if (!this.sse) this.open();
    this.res.write(sseEvent(m));
  }

  /** Ends with the answer (a JSON-RPC message's text). */
  finish(text: string, status: number): void {
    // Ended here, or answered by shutdown (Drain.giveUp).
    if (this.ended || this.res.writableEnded) return;
    if (this.sse) {
      this.res.write(sseFrame(text));
      this.end();
      return;
    }
    this.ended = true;
    // A flat list: node writes it out as it is.
    this.res.writeHead(status, ['content-type', 'application/json', 'content-length', String(Buffer.byteLength(text))]);
    this.res.end(text);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.keepAlive) clearInterval(this.keepAlive);
    if (this.res.writableEnded) return;
    if (!this.res.headersSent && !this.res.destroyed) this.res.writeHead(499);
    this.res.end();
  }

  private open(): void {
    this.sse = true;
    this.res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    this.res.flushHeaders();
    if (this.keepAliveMs >= 1) {
      this.keepAlive = setInterval(() => {
        if (!this.res.destroyed) this.res.write(': keepalive\n\n');
      }, this.keepAliveMs);
      this.keepAlive.unref();
    }
  }
}

/** The per-request envelope, well-formed: this revision, capabilities, and optional client info and log level. */
function plainEnvelope(meta: unknown): boolean {
  if (!isObject(meta) || meta[PROTOCOL_VERSION_META_KEY] !== REVISION) return false;
  if (!isObject(meta[CLIENT_CAPABILITIES_META_KEY])) return false;
  const info = meta[CLIENT_INFO_META_KEY];
  if (info !== undefined && !(isObject(info) && typeof info.name === 'string' && typeof info.version === 'string')) {
    return false;
  }
  const level = meta[LOG_LEVEL_META_KEY];
  if (level !== undefined && !LEVELS.has(level as string)) return false;
  const token = meta.progressToken;
  return token === undefined || typeof token === 'string' || Number.isSafeInteger(token);
}

/** Retry fields of an input round in the shape the spec defines (others are the SDK's to judge). */
function plainRetry(params: Params): boolean {
  const { requestState, inputResponses } = params;
  if (requestState !== undefined && typeof requestState !== 'string') return false;
  if (inputResponses === undefined) return true;
  if (!isObject(inputResponses)) return false;
  return Object.values(inputResponses).every((r) => isObject(r) && !('method' in r) && !('result' in r));
}

/**
 * The standard headers say what the body says, verbatim. A Base64-encoded value (`=?base64?...?=`) or
 * any disagreement goes to the SDK, which decodes, compares and refuses with HeaderMismatch.
 */
function headersAgree(req: IncomingMessage, method: string, params: Params): boolean {
  const h = req.headers;
  if (h['mcp-protocol-version'] !== REVISION || h['mcp-method'] !== method) return false;
  const field = NAME_PARAM[method];
  const name = h['mcp-name'];
  if (field === undefined) return name === undefined;
  const value = params[field] as string;
  return name === value && !value.startsWith('=?');
}
