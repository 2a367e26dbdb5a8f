/**
 * Draining, for a proxy that is one of several behind a load balancer: once shutdown starts, the
 * listener stays open for the grace period, /ready answers 503 at once (the balancer stops sending new
 * work), and whatever would start new work here (a 2025 initialize, a legacy SSE stream, a 2026 request)
 * is refused with 503, which a balancer retries on another proxy because nothing was done. Requests of
 * sessions already open here are still served; the ones in flight are counted so shutdown waits for them.
 */
import type { ServerResponse } from 'node:http';
import type { RequestId } from '@modelcontextprotocol/server';
import { errorResponse, INTERNAL_ERROR } from '../../protocol/jsonrpc.js';
import { sendJson, sendRpcError, sseEvent } from './responses.js';

export const DRAINING_MESSAGE =
  'Service Unavailable: this proxy is shutting down and takes no new sessions or requests; send it again (a load balancer sends it to another proxy)';

export class Drain {
  private active = false;
  private requests = 0;
  /** The responses counted, with the JSON-RPC id of the request each answers (when it is one request). */
  private readonly open = new Map<ServerResponse, RequestId | undefined>();

  get draining(): boolean {
    return this.active;
  }

  /** Requests counted by `track` whose response has not ended yet. */
  get inflight(): number {
    return this.requests;
  }

  start(): void {
    this.active = true;
  }

  /** Counts the request answered on `res` as in flight until its response ends (or the client goes). */
  track(res: ServerResponse, body?: unknown): void {
    this.requests++;
    const id = (body as { id?: unknown } | undefined)?.id;
    this.open.set(res, typeof id === 'string' || typeof id === 'number' ? id : undefined);
    // 'close' comes once per response: a plain listener, no once wrapper, on this per-request path.
    res.on('close', () => {
      this.requests--;
      this.open.delete(res);
    });
  }

  /**
   * Shutdown's grace is over: every response still open is ended with an error saying `why` (a JSON-RPC
   * error under its request's id, as an SSE event when the stream is open), not left to a reset connection.
   */
  giveUp(why: string): void {
    for (const [res, id] of this.open) {
      if (res.writableEnded) continue;
      if (!res.headersSent) {
        if (id === undefined) sendRpcError(res, 503, why, INTERNAL_ERROR);
        else sendJson(res, 200, errorResponse(id, INTERNAL_ERROR, why));
      } else if (String(res.getHeader('content-type')).startsWith('text/event-stream') && id !== undefined) {
        res.end(sseEvent(errorResponse(id, INTERNAL_ERROR, why)));
      } else res.end();
    }
  }

  /** While draining: answers 503 (the connection closes with it) and returns true; otherwise false. */
  refuse(res: ServerResponse): boolean {
    if (!this.active) return false;
    res.setHeader('retry-after', '1');
    res.setHeader('connection', 'close');
    sendRpcError(res, 503, DRAINING_MESSAGE);
    return true;
  }
}
