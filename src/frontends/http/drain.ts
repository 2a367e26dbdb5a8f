/**
 * Draining, for a proxy that is one of several behind a load balancer: once shutdown starts, the
 * listener stays open for the grace period, /ready answers 503 at once (the balancer stops sending new
 * work), and whatever would start new work here (a 2025 initialize, a legacy SSE stream, a 2026 request)
 * is refused with 503, which a balancer retries on another proxy because nothing was done. Requests of
 * sessions already open here are still served; the ones in flight are counted so shutdown waits for them.
 */
import type { ServerResponse } from 'node:http';
import { sendRpcError } from './responses.js';

export const DRAINING_MESSAGE =
  'Service Unavailable: this proxy is shutting down and takes no new sessions or requests; send it again (a load balancer sends it to another proxy)';

export class Drain {
  private active = false;
  private requests = 0;

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
  track(res: ServerResponse): void {
    this.requests++;
    res.once('close', () => {
      this.requests--;
    });
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
