/**
 * The 2026-07-28 (stateless) side of /mcp: the SDK's fetch-shaped `createMcpHandler` (legacy: 'reject'),
 * bridged to node:http. 2025-era traffic that reaches it (the session fast paths did not take it) is
 * refused here with the reason.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createMcpHandler,
  isLegacyRequest,
  type McpHandlerRequestOptions,
  type RequestId,
} from '@modelcontextprotocol/server';
import { badRequiredParam, errorResponse } from '../../protocol/jsonrpc.js';
import { header, rpcError, rpcErrorResponse } from './responses.js';
import { serveStateless, takeable } from './statelessFast.js';
import type { Caller, ServerFactory, StatelessHot } from './types.js';

export interface ModernEndpointOptions {
  serverFactory: ServerFactory;
  /** The hot methods served node-natively (statelessFast.ts); absent: all through the SDK handler. */
  hot?: StatelessHot;
  maxBodyBytes: number;
  keepAliveMs: number;
  onerror: (e: Error) => void;
}

export interface ListChanges {
  tools?: boolean;
  prompts?: boolean;
  resources?: boolean;
}

export class ModernEndpoint {
  private readonly handler: ReturnType<typeof createMcpHandler>;

  constructor(private readonly opts: ModernEndpointOptions) {
    // The caller travels as the request's authInfo (the SDK hands it to the factory untouched).
    this.handler = createMcpHandler(
      (ctx) => {
        const caller = ctx.authInfo?.extra?.caller as Caller | undefined;
        return opts.serverFactory({
          era: ctx.era,
          transport: 'streamable-http',
          identity: caller?.identity,
          profile: caller?.profile,
        });
      },
      {
        legacy: 'reject',
        maxRequestBodySize: opts.maxBodyBytes,
        keepAliveMs: opts.keepAliveMs,
        onerror: opts.onerror,
      },
    );
  }

  /**
   * Node request -> the SDK handler -> node response. Leaner than the SDK's generic `toNodeHandler` on
   * the hot path: the body is already parsed (handed over as `parsedBody`, so the `Request` carries none
   * and nothing is serialized again), and a request that names a 2026 revision (`modernOnly`) skips the
   * era classification the handler repeats anyway.
   */
  async serve(
    req: IncomingMessage,
    res: ServerResponse,
    parsed: unknown,
    modernOnly: boolean,
    caller?: Caller,
  ): Promise<void> {
    const hot = this.opts.hot;
    const fast = modernOnly && hot ? takeable(req, parsed, hot) : undefined;
    if (fast) return serveStateless(res, fast, caller, hot!, this.opts.keepAliveMs);
    const abort = new AbortController();
    let finished = false;
    res.once('close', () => {
      if (!finished) abort.abort();
    });
    let response: Response;
    const bad = badRequiredParam(parsed);
    if (bad) {
      // As for a 2025 session (aggregator/relay.ts): the field and what was sent, not the SDK's -32603.
      const id = (parsed as { id: RequestId }).id;
      await writeResponse(res, Response.json(errorResponse(id, -32602, bad), { status: 200 }), abort.signal);
      finished = true;
      return;
    }
    try {
      const request = toBodylessRequest(req, abort.signal);
      const authInfo = caller ? { token: '', clientId: caller.identity.id, scopes: [], extra: { caller } } : undefined;
      const options =
        parsed === undefined && !authInfo
          ? undefined
          : { ...(parsed !== undefined ? { parsedBody: parsed } : {}), ...(authInfo ? { authInfo } : {}) };
      response = modernOnly ? await this.handler.fetch(request, options) : await this.classified(request, options);
    } catch (e) {
      this.opts.onerror(e instanceof Error ? e : new Error(String(e)));
      const id = (parsed as { id?: unknown } | undefined)?.id;
      const echoed = typeof id === 'string' || typeof id === 'number' ? id : null;
      response = Response.json({ ...rpcError(-32603, 'Internal error'), id: echoed }, { status: 500 });
    }
    await writeResponse(res, response, abort.signal);
    finished = true;
  }

  /** Tells clients with an open `subscriptions/listen` stream that lists changed. */
  notify(changed: ListChanges): void {
    if (changed.tools) this.handler.notify.toolsChanged();
    if (changed.prompts) this.handler.notify.promptsChanged();
    if (changed.resources) this.handler.notify.resourcesChanged();
  }

  close(): Promise<void> {
    return this.handler.close();
  }

  /** The SDK's own era classification: 2026 requests go on, 2025-era ones left over are refused. */
  private async classified(request: Request, options?: McpHandlerRequestOptions): Promise<Response> {
    const parsedBody = options?.parsedBody;
    if (await isLegacyRequest(request, parsedBody, { maxRequestBodySize: this.opts.maxBodyBytes })) {
      if (request.headers.get('mcp-session-id')) {
        return rpcErrorResponse(
          400,
          -32000,
          'Bad Request: MCP-Protocol-Version names a 2026 revision but the request is a 2025-era (session) request',
        );
      }
      return rpcErrorResponse(400, -32000, 'Bad Request: Mcp-Session-Id header is required (send initialize first)');
    }
    return this.handler.fetch(request, options);
  }
}

/**
 * The web `Request` the SDK handler takes, without a body: the body was read and parsed already and
 * travels as `parsedBody` (the handler reads nothing else when it is given).
 */
function toBodylessRequest(req: IncomingMessage, signal: AbortSignal): Request {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name === 'content-length' || name === 'transfer-encoding' || name === 'content-encoding') continue;
    if (name.startsWith(':')) continue;
    headers.append(name, raw[i + 1]!);
  }
  return new Request(`http://${header(req, 'host') ?? 'localhost'}${req.url ?? '/'}`, {
    method: req.method ?? 'GET',
    headers,
    signal,
  });
}

/**
 * A JSON answer is written in one piece (not through the web stream reader); an SSE answer is streamed
 * as it comes, with backpressure, until the client goes away (`aborted`).
 */
async function writeResponse(res: ServerResponse, response: Response, aborted: AbortSignal): Promise<void> {
  // Shutdown may have answered it already (Drain.giveUp).
  if (res.writableEnded) return;
  const headers: Record<string, string> = {};
  response.headers.forEach((v, k) => {
    headers[k] = v;
  });
  if (response.body === null) {
    res.writeHead(response.status, headers);
    res.end();
    return;
  }
  if (!headers['content-type']?.startsWith('text/event-stream')) {
    const body = Buffer.from(await response.arrayBuffer());
    headers['content-length'] = String(body.length);
    res.writeHead(response.status, headers);
    res.end(body);
    return;
  }
  res.writeHead(response.status, headers);
  res.flushHeaders();
  const reader = response.body.getReader();
  aborted.addEventListener('abort', () => void reader.cancel().catch(() => {}), { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || aborted.aborted || res.writableEnded) break;
      if (!res.write(value)) await drained(res, aborted);
    }
  } catch {
    // The client went away or the stream failed: end what was sent.
  }
  res.end();
}

function drained(res: ServerResponse, aborted: AbortSignal): Promise<void> {
  return new Promise<void>((r) => {
    const release = () => {
      res.off('drain', release);
      aborted.removeEventListener('abort', release);
      r();
    };
    res.on('drain', release);
    aborted.addEventListener('abort', release, { once: true });
  });
}
