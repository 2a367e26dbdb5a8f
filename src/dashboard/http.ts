/**
 * How the dashboard's API answers: JSON with every registered secret masked (the last step before
 * bytes leave, so no route can forget it), errors as `{ error: { code, message } }`, and Server-Sent
 * Events streams that end when the client goes away.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readJsonBody } from '../frontends/http/body.js';

export type Redact = (text: string) => string;

export function sendMasked(res: ServerResponse, status: number, body: unknown, redact: Redact): void {
  const text = redact(JSON.stringify(body));
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function sendError(res: ServerResponse, e: ApiError, redact: Redact): void {
  sendMasked(res, e.status, { error: { code: e.code, message: e.message } }, redact);
}

/** The JSON object a POST/PUT carries (refusals are answered by readJsonBody); undefined when refused. */
export async function readObject(
  req: IncomingMessage,
  res: ServerResponse,
  maxBytes: number,
): Promise<Record<string, unknown> | undefined> {
  const body = await readJsonBody(req, res, maxBytes);
  if (!body) return undefined;
  if (!body.value || typeof body.value !== 'object' || Array.isArray(body.value)) {
    throw new ApiError(400, 'BAD_REQUEST', 'the request body must be a JSON object');
  }
  return body.value as Record<string, unknown>;
}

export interface EventStream {
  send(event: string, data: unknown): void;
  /** Resolves when the client has gone away. */
  closed: Promise<void>;
  end(): void;
}

/** Starts an SSE response; a comment every `keepAliveMs` keeps proxies from closing an idle stream. */
export function eventStream(
  req: IncomingMessage,
  res: ServerResponse,
  redact: Redact,
  keepAliveMs = 15_000,
): EventStream {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(': ok\n\n');
  const timer = keepAliveMs > 0 ? setInterval(() => res.write(': keep-alive\n\n'), keepAliveMs) : undefined;
  timer?.unref();
  const closed = new Promise<void>((resolve) => {
    const done = () => {
      clearInterval(timer);
      resolve();
    };
    req.once('close', done);
    res.once('close', done);
  });
  return {
    send(event, data) {
      if (!res.writableEnded) res.write(`event: ${event}\ndata: ${redact(JSON.stringify(data))}\n\n`);
    },
    closed,
    end() {
      clearInterval(timer);
      if (!res.writableEnded) res.end();
    },
  };
}

export function wantsEventStream(req: IncomingMessage): boolean {
  return (req.headers.accept ?? '').includes('text/event-stream');
}
