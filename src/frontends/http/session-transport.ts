/**
 * A sessionful 2025-era Streamable HTTP server transport working on node:http objects directly (no web
 * Request/Response conversion, no web streams): the proxy's hot path for 2025 clients.
 *
 * Per the 2025-11-25 transport: a POST carrying requests is answered with a single JSON body when the
 * server's first message for it is the response, and upgrades to an SSE stream as soon as the server sends
 * anything else first (progress, logging, a sampling request...); a POST of only notifications/responses
 * gets 202; GET opens the one standalone server-to-client stream; DELETE ends the session.
 * Resumability (event ids, Last-Event-ID) is not offered: a dropped stream loses what was in flight.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  JSONRPCMessage,
  MessageExtraInfo,
  RequestId,
  Transport,
  TransportSendOptions,
} from '@modelcontextprotocol/server';
import { isInitializeRequest, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/server';
import { errorResponse, INTERNAL_ERROR, isInitialize, toJsonRpcMessage } from '../../protocol/jsonrpc.js';
import { rpcError, sseEvent } from './responses.js';

const MAX_BATCH = 100;

type Reply = { status: number; code: number; message: string };

/** A POST must accept both a JSON body and an SSE stream (checked before a session is opened, too). */
export function acceptRefusal(req: IncomingMessage): Reply | undefined {
  const accept = req.headers.accept ?? '';
  if (accept.includes('application/json') && accept.includes('text/event-stream')) return undefined;
  return {
    status: 406,
    code: -32000,
    message: 'Not Acceptable: Client must accept both application/json and text/event-stream',
  };
}

/** One POST that carries requests: its response, and the request ids still unanswered on it. */
interface Exchange {
  res: ServerResponse;
  pending: Set<RequestId>;
  mode: 'waiting' | 'sse' | 'done';
  /** Responses collected for a batch answered as one JSON array. */
  batch?: JSONRPCMessage[];
  isBatch: boolean;
}

export interface NodeSessionTransportOptions {
  sessionId: string;
  /** SSE keep-alive comment interval in ms for the standalone GET stream (0 disables). */
  keepAliveMs?: number;
  /** Extra headers for every response (CORS). */
  headers?: () => Record<string, string>;
  /** Called when a DELETE ends the session. */
  onsessionclosed?: () => void;
  /** Called once the initialize request is answered: ok false when the server refused it. */
  oninitialized?: (ok: boolean) => void;
}

export class NodeSessionTransport implements Transport {
  readonly sessionId: string;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;

  private readonly opts: NodeSessionTransportOptions;
  private supported: string[] = [...SUPPORTED_PROTOCOL_VERSIONS];
  private initialized = false;
  private initRequestId?: RequestId;
  private closed = false;
  private readonly byRequest = new Map<RequestId, Exchange>();
  private standalone?: ServerResponse;
  private keepAlive?: NodeJS.Timeout;

  constructor(opts: NodeSessionTransportOptions) {
    this.opts = opts;
    this.sessionId = opts.sessionId;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async start(): Promise<void> {}

  setSupportedProtocolVersions(versions: string[]): void {
    this.supported = versions;
  }

  /** Serves one HTTP request of this session. `body` is the parsed JSON of a POST. */
  handle(req: IncomingMessage, res: ServerResponse, body: unknown): void {
    if (this.closed) {
      this.reply(res, { status: 404, code: -32001, message: 'Session not found' });
      return;
    }
    switch (req.method) {
      case 'POST':
        this.handlePost(req, res, body);
        return;
      case 'GET':
        this.handleGet(req, res);
        return;
      case 'DELETE':
        res.writeHead(200, this.baseHeaders());
        res.end();
        this.opts.onsessionclosed?.();
        void this.close();
        return;
      default:
        res.setHeader('allow', 'GET, POST, DELETE');
        this.reply(res, { status: 405, code: -32000, message: 'Method not allowed.' });
    }
  }

  private handlePost(req: IncomingMessage, res: ServerResponse, body: unknown): void {
    const notAcceptable = acceptRefusal(req);
    if (notAcceptable) {
      this.reply(res, notAcceptable);
      return;
    }
    const raw = Array.isArray(body) ? body : [body];
    if (raw.length === 0 || raw.length > MAX_BATCH) {
      this.reply(res, {
        status: 400,
        code: -32600,
        message: `Invalid Request: a batch holds 1 to ${MAX_BATCH} messages`,
      });
      return;
    }
    let messages: JSONRPCMessage[];
    try {
      messages = raw.map((m) => toJsonRpcMessage(m));
    } catch {
      this.reply(res, { status: 400, code: -32600, message: 'Invalid Request: not a JSON-RPC message' });
      return;
    }
    // One pass: whether it initializes, and the ids of the requests it carries (answered on this POST).
    let init = false;
    const pending = new Set<RequestId>();
    for (const m of messages) {
      if (isInitialize(m) && isInitializeRequest(m)) init = true;
      if ('method' in m && 'id' in m) pending.add((m as { id: RequestId }).id);
    }
    if (init) {
      if (this.initialized) {
        this.reply(res, { status: 400, code: -32600, message: 'Invalid Request: Server already initialized' });
        return;
      }
      if (messages.length > 1) {
        this.reply(res, {
          status: 400,
          code: -32600,
          message: 'Invalid Request: Only one initialization request is allowed',
        });
        return;
      }
      this.initialized = true;
      this.initRequestId = (messages[0] as { id: RequestId }).id;
    } else {
      const bad = this.checkProtocolVersion(req);
      if (bad) {
        this.reply(res, bad);
        return;
      }
    }
    if (pending.size === 0) {
      res.writeHead(202, this.baseHeaders());
      res.end();
      for (const m of messages) this.onmessage?.(m);
      return;
    }
    const ex: Exchange = {
      res,
      pending,
      mode: 'waiting',
      isBatch: Array.isArray(body),
    };
    for (const id of ex.pending) this.byRequest.set(id, ex);
    // 'close' comes once per response: a plain listener (no once wrapper) on this per-request path.
    res.on('close', () => {
      if (ex.mode === 'done') return;
      ex.mode = 'done';
      for (const id of ex.pending) if (this.byRequest.get(id) === ex) this.byRequest.delete(id);
    });
    for (const m of messages) this.onmessage?.(m);
  }

  private handleGet(req: IncomingMessage, res: ServerResponse): void {
    if (!(req.headers.accept ?? '').includes('text/event-stream')) {
      this.reply(res, {
        status: 406,
        code: -32000,
        message: 'Not Acceptable: Client must accept text/event-stream',
      });
      return;
    }
    const bad = this.checkProtocolVersion(req);
    if (bad) {
      this.reply(res, bad);
      return;
    }
    if (this.standalone && !this.standalone.writableEnded) {
      this.reply(res, {
        status: 409,
        code: -32000,
        message: 'Conflict: Only one SSE stream is allowed per session',
      });
      return;
    }
    this.standalone = res;
    res.writeHead(200, { ...this.baseHeaders(), ...SSE_HEADERS });
    res.flushHeaders();
    res.once('close', () => {
      if (this.standalone === res) this.standalone = undefined;
      if (this.keepAlive) clearInterval(this.keepAlive);
      this.keepAlive = undefined;
    });
    const every = this.opts.keepAliveMs ?? 15_000;
    if (every > 0) {
      if (this.keepAlive) clearInterval(this.keepAlive);
      this.keepAlive = setInterval(() => {
        if (this.standalone && !this.standalone.writableEnded) this.standalone.write(': keepalive\n\n');
      }, every);
      this.keepAlive.unref();
    }
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (this.closed) throw new Error('Not connected: the session is closed');
    const isResponse = 'id' in message && !('method' in message);
    const requestId = isResponse ? (message as { id: RequestId }).id : options?.relatedRequestId;
    const ex = requestId === undefined ? undefined : this.byRequest.get(requestId);
    if (!ex || ex.mode === 'done') {
      if (isResponse) return; // its POST went away; 2025 streams are not resumable
      // Unrelated server traffic goes on the standalone GET stream when there is one, else it is dropped.
      if (this.standalone && !this.standalone.writableEnded) this.standalone.write(sseEvent(message));
      return;
    }
    if (!isResponse) {
      this.upgrade(ex);
      ex.res.write(sseEvent(message));
      return;
    }
    ex.pending.delete(requestId!);
    this.byRequest.delete(requestId!);
    if (this.initRequestId !== undefined && requestId === this.initRequestId) {
      this.initRequestId = undefined;
      this.opts.oninitialized?.(!('error' in message));
    }
    const finished = ex.pending.size === 0;
    if (ex.mode === 'sse') {
      // The response goes out one event-loop turn after the events before it. SDK clients dispatch a
      // notification on a microtask but a response synchronously (dropping the request's progress
      // handler), so a progress event read in the same chunk as its response would be lost.
      setImmediate(() => {
        if (ex.res.writableEnded) return;
        ex.res.write(sseEvent(message));
        if (finished) this.finish(ex);
      });
      return;
    }
    if (ex.isBatch) {
      ex.batch ??= [];
      ex.batch.push(message);
      if (!finished) return;
      this.finish(ex, JSON.stringify(ex.batch));
      return;
    }
    this.finish(ex, JSON.stringify(message));
  }

  /**
   * Ends the session. `ending`: why, when the proxy gives up requests still running (its shutdown):
   * each gets a JSON-RPC error under its id saying so, rather than a bare "Session closed".
   */
  async close(ending?: string): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.keepAlive) clearInterval(this.keepAlive);
    for (const ex of new Set(this.byRequest.values())) {
      if (ending !== undefined) this.giveUp(ex, ending);
      else if (ex.mode === 'waiting') this.reply(ex.res, { status: 404, code: -32001, message: 'Session closed' });
      else if (ex.mode === 'sse') ex.res.end();
      ex.mode = 'done';
    }
    this.byRequest.clear();
    if (this.standalone && !this.standalone.writableEnded) this.standalone.end();
    this.standalone = undefined;
    this.onclose?.();
  }

  // ------------------------------------------------------------------ helpers

  /** Answers each request of `ex` still pending with an error saying `why`, in the exchange's own form. */
  private giveUp(ex: Exchange, why: string): void {
    if (ex.mode === 'done' || ex.res.writableEnded) return;
    const errors = [...ex.pending].map((id) => errorResponse(id, INTERNAL_ERROR, why));
    if (ex.mode === 'sse') {
      for (const m of errors) ex.res.write(sseEvent(m));
      ex.res.end();
      return;
    }
    const all = [...(ex.batch ?? []), ...errors];
    this.finish(ex, JSON.stringify(ex.isBatch ? all : all[0]));
  }

  private upgrade(ex: Exchange): void {
    if (ex.mode !== 'waiting') return;
    ex.mode = 'sse';
    ex.res.writeHead(200, { ...this.baseHeaders(), ...SSE_HEADERS });
    // Responses already collected for a batch go out first, as events.
    for (const m of ex.batch ?? []) ex.res.write(sseEvent(m));
    ex.batch = undefined;
  }

  private finish(ex: Exchange, json?: string): void {
    if (ex.mode === 'sse') {
      ex.mode = 'done';
      ex.res.end();
      return;
    }
    ex.mode = 'done';
    const body = json ?? '';
    ex.res.writeHead(200, this.jsonHeaders(Buffer.byteLength(body)));
    ex.res.end(body);
  }

  /** A JSON answer's headers: without extra headers, a flat list node writes out as it is. */
  private jsonHeaders(length: number): Record<string, string | number> | string[] {
    if (this.opts.headers) {
      return { ...this.baseHeaders(), 'content-type': 'application/json', 'content-length': length };
    }
    return ['mcp-session-id', this.sessionId, 'content-type', 'application/json', 'content-length', String(length)];
  }

  private checkProtocolVersion(req: IncomingMessage): Reply | undefined {
    const v = req.headers['mcp-protocol-version'];
    if (v === undefined || this.supported.includes(String(v))) return undefined;
    return {
      status: 400,
      code: -32000,
      message: `Bad Request: Unsupported protocol version: ${v} (supported versions: ${this.supported.join(', ')})`,
    };
  }

  private baseHeaders(): Record<string, string> {
    return { ...this.opts.headers?.(), 'mcp-session-id': this.sessionId };
  }

  private reply(res: ServerResponse, r: Reply): void {
    const text = JSON.stringify(rpcError(r.code, r.message));
    res.writeHead(r.status, {
      ...this.opts.headers?.(),
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  }
}

const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};
