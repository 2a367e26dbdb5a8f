/**
 * The deprecated HTTP+SSE transport (protocol 2024-11-05) for old clients: `GET /sse` opens an event
 * stream whose first event, `endpoint`, names the URL to POST messages to (`/messages?sessionId=...`);
 * the server's messages flow back as `message` events on that stream. SDK v2 ships no server side for
 * it, so this is a small `Transport` of our own.
 */
import type { ServerResponse } from 'node:http';
import type { JSONRPCMessage, MessageExtraInfo, Transport } from '@modelcontextprotocol/server';
import { parseJSONRPCMessage } from '@modelcontextprotocol/server';
import { sseEvent } from './responses.js';

export interface SseServerTransportOptions {
  sessionId: string;
  /** The path (with query) clients post to, e.g. `/messages?sessionId=abc`. */
  endpoint: string;
  /** Interval of `:` comment frames that keep proxies from timing the stream out; 0 disables. */
  keepAliveMs?: number;
  /** Extra response headers (CORS). */
  headers?: Record<string, string>;
}

export class SseServerTransport implements Transport {
  readonly sessionId: string;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;

  private readonly res: ServerResponse;
  private readonly opts: SseServerTransportOptions;
  private started = false;
  private closed = false;
  private keepAlive?: NodeJS.Timeout;

  constructor(res: ServerResponse, opts: SseServerTransportOptions) {
    this.res = res;
    this.opts = opts;
    this.sessionId = opts.sessionId;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('SseServerTransport already started');
    this.started = true;
    this.res.writeHead(200, {
      ...this.opts.headers,
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    this.res.flushHeaders();
    this.res.on('close', () => this.finish());
    this.res.on('error', (e) => this.onerror?.(e));
    this.res.write(`event: endpoint\ndata: ${this.opts.endpoint}\n\n`);
    const every = this.opts.keepAliveMs ?? 15_000;
    if (every > 0) {
      this.keepAlive = setInterval(() => {
        if (!this.closed) this.res.write(': keepalive\n\n');
      }, every);
      this.keepAlive.unref();
    }
  }

  /**
   * Delivers a POSTed body (already JSON-parsed). Throws on a value that is not a JSON-RPC message,
   * so the caller can answer 400 before acknowledging.
   */
  handlePostedBody(body: unknown, extra?: MessageExtraInfo): void {
    if (this.closed) throw new Error('SSE session is closed');
    const items = Array.isArray(body) ? body : [body];
    const messages = items.map((m) => parseJSONRPCMessage(m));
    for (const m of messages) this.onmessage?.(m, extra);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) throw new Error('Not connected: the SSE stream is closed');
    this.res.write(sseEvent(message));
  }

  async close(): Promise<void> {
    if (!this.res.writableEnded) this.res.end();
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.keepAlive) clearInterval(this.keepAlive);
    this.onclose?.();
  }
}
