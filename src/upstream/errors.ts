/**
 * What an error from an upstream means, read from its code, HTTP status or message text (the SDK and
 * fetch give no richer signal): the upstream is unhealthy, it answered, it is not there at all.
 */

import type { UpstreamConfig } from '../config/schema.js';
import { errorMessage, isAppError } from '../errors.js';
import type { Logger } from '../observability/logger.js';

/** Errors that mean the upstream is unhealthy (not an answer it chose to give, not a caller's cancel). */
export function isUpstreamFailure(e: unknown): boolean {
  if (isAppError(e)) return e.code === 'UPSTREAM_UNAVAILABLE';
  const err = e as { code?: unknown; data?: { timeout?: unknown }; status?: unknown } | undefined;
  const code = err?.code;
  const msg = errorMessage(e).toLowerCase();
  if (code === 'REQUEST_TIMEOUT') {
    // The SDK also reports a caller's abort under this code; only a real timeout is the upstream's fault.
    return err?.data?.timeout !== undefined || msg.includes('timed out') || msg.includes('maximum total timeout');
  }
  const status = httpStatus(e);
  // Not 404: on a 2025-era server that is an expired session, handled by re-initializing.
  if (status !== undefined) return status >= 500 || status === 429;
  return (
    code === -32001 || // SDK request timeout (v1 wire code)
    code === 'CONNECTION_CLOSED' ||
    code === 'NOT_CONNECTED' ||
    isNetworkError(e) ||
    msg.includes('timed out') ||
    msg.includes('connection closed') ||
    msg.includes('not connected')
  );
}

/** The HTTP status an SDK HTTP error carries, if any. */
export function httpStatus(e: unknown): number | undefined {
  const err = e as { status?: unknown; data?: { status?: unknown } } | undefined;
  const s = err?.status ?? err?.data?.status;
  return typeof s === 'number' ? s : undefined;
}

/** fetch failures: refused, reset, DNS, a socket dropped mid-response. */
export function isNetworkError(e: unknown): boolean {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur; i++) {
    const c = cur as { code?: unknown; message?: unknown; cause?: unknown };
    if (
      typeof c.code === 'string' &&
      /^(ECONNREFUSED|ECONNRESET|EPIPE|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|UND_ERR_SOCKET|UND_ERR_CLOSED|UND_ERR_CONNECT_TIMEOUT)$/.test(
        c.code,
      )
    )
      return true;
    const m = typeof c.message === 'string' ? c.message.toLowerCase() : '';
    if (m === 'fetch failed' || m.includes('socket hang up') || m.includes('other side closed') || m === 'terminated')
      return true;
    cur = c.cause;
  }
  return false;
}

/** Connection refused / host unreachable: the server is not there (as opposed to one bad answer). */
export function isServerGone(e: unknown): boolean {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur; i++) {
    const c = cur as { code?: unknown; cause?: unknown };
    if (typeof c.code === 'string' && /^(ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ENOTFOUND)$/.test(c.code)) return true;
    cur = c.cause;
  }
  return false;
}

/** A JSON-RPC error the server sent: it is there and answering (not a transport failure). */
export function isAnswer(e: unknown): boolean {
  const code = (e as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' && code !== -32001 && httpStatus(e) === undefined && !isUpstreamFailure(e);
}

/** Failures that say the server is not answering: any HTTP error status, a timeout, a dropped connection. */
export function countsAgainstHealth(e: unknown): boolean {
  return isUpstreamFailure(e) || httpStatus(e) !== undefined;
}

/** A connection that went away under a call: a crash, a restart, a reload. */
export function isConnectionGone(e: unknown): boolean {
  return /not connected|connection closed/i.test(errorMessage(e));
}

/** A connect attempt ran out of time (a request of the handshake, or the handshake as a whole). */
export function isTimeout(e: unknown): boolean {
  if ((e as { code?: unknown } | undefined)?.code === 'REQUEST_TIMEOUT') return true;
  return /timed? ?out/i.test(errorMessage(e));
}

/** What an HTTP status answering the connect most likely means for the config (`NAME`: the server's name, filled in). */
const CONNECT_STATUS_HINTS: Record<number, string> = {
  401: 'the server wants credentials: add "oauth": true and run `mcp-proxy auth login NAME`, or send a token in "headers"',
  403: 'the server refused the credentials sent: check the token in "headers", or log in again',
  404: 'nothing serves MCP at this URL: check its path (often /mcp, or /sse for an SSE server)',
  405: 'the server takes no POST here: a server that speaks only SSE needs "type": "sse" (its URL often ends in /sse)',
};

/**
 * An HTTP status the server answered with, and what it likely means (undefined for other errors). The SDK
 * says "Error POSTing to endpoint: <body>", which is empty for most refusals.
 */
export function describeHttpError(e: unknown, name: string): string | undefined {
  const status = httpStatus(e);
  if (status === undefined) return undefined;
  const text = (e as { data?: { statusText?: unknown; text?: unknown } }).data;
  const statusText = typeof text?.statusText === 'string' && text.statusText ? ` ${text.statusText}` : '';
  const raw = typeof text?.text === 'string' ? text.text.trim() : '';
  const body = raw === statusText.trim() ? '' : raw.slice(0, 200);
  const hint = CONNECT_STATUS_HINTS[status]?.replace('NAME', name);
  return [`HTTP ${status}${statusText}${body ? `: ${body}` : ''}`, hint].filter(Boolean).join('; ');
}

/** The message a failed connect attempt of server `name` is reported with. */
export function describeConnectError(e: unknown, name: string): string {
  if (isAppError(e)) return [e.message, ...e.details].join('; ');
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'ENOENT' && err.path) return `command not found: ${err.path}`;
  const http = describeHttpError(e, name);
  if (http) return http;
  const contentType = (e as { data?: { contentType?: unknown } }).data?.contentType;
  if (typeof contentType === 'string' && /^text\/html/i.test(contentType)) {
    return 'the server answered with a web page (text/html), not MCP: check the URL (often ending in /mcp or /sse)';
  }
  const msg = errorMessage(e);
  if (/timed? ?out/i.test(msg)) return `timed out connecting (${msg})`;
  if (/certificate|CERT_|SELF_SIGNED/.test(msg)) {
    return `${msg}; a server whose certificate comes from your own CA needs NODE_EXTRA_CA_CERTS=/path/to/ca.pem in the proxy's environment`;
  }
  return msg;
}

/** The first line of a message, at most 200 characters (for log and status lines). */
export function briefly(msg: string): string {
  const line = msg.split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}...` : line;
}

/** What an error the transport reports outside any request means for the connection. */
export type TransportTrouble =
  /** A legacy SSE stream dropped: its session is gone with it. */
  | { kind: 'stream-dropped'; reason: string }
  /** A stdout line over the limit: the transport closes the connection next. */
  | { kind: 'overflow'; message: string }
  /** Something on stdout that is not JSON-RPC (skipped). */
  | { kind: 'garbage'; message: string }
  | { kind: 'other'; message: string };

export function transportTrouble(e: Error, type: string): TransportTrouble {
  const message = errorMessage(e);
  if (type === 'sse' && /^SSE error/i.test(message)) {
    return { kind: 'stream-dropped', reason: `the SSE stream dropped: ${message.replace(/^SSE error:\s*/i, '')}` };
  }
  if (e.name === 'StdoutOverflowError') return { kind: 'overflow', message };
  if (e.name === 'StdoutGarbageError') return { kind: 'garbage', message };
  return { kind: 'other', message };
}

const SKIPPED = '(skipped; servers must log to stderr)';

/**
 * Logs transport trouble other than a dropped stream; returns whether the garbage warning was given. It
 * is given once per server at warn level (a banner comes back on every restart; a chatty server would
 * flood the log), then debug.
 */
export function logTrouble(
  log: Logger,
  name: string,
  t: Exclude<TransportTrouble, { kind: 'stream-dropped' }>,
  warned: boolean,
): boolean {
  if (t.kind === 'overflow') log.error({ err: t.message }, 'upstream output over the line limit');
  else if (t.kind === 'garbage' && !warned) {
    log.warn({ err: t.message }, `"${name}" wrote something to stdout that is not JSON-RPC ${SKIPPED}`);
    return true;
  } else log.debug({ err: t.message }, t.kind === 'garbage' ? 'skipped non-JSON-RPC stdout line' : 'transport error');
  return warned;
}

/** An HTTP server's address without credentials or query (for messages). */
export function safeUrl(config: UpstreamConfig): string {
  if (!('url' in config)) return config.type;
  try {
    const u = new URL(config.url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return 'the server';
  }
}
