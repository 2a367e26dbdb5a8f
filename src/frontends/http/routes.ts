/**
 * The plain routes beside the MCP endpoints: /health (liveness, never authenticated), /ready (503 until
 * the first upstream connect round is done and again once draining, else 200, with each upstream's state
 * in the body for a caller with a credential), /metrics
 * (Prometheus text) and the 404 for anything else.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isRenderable, type Metrics } from '../../observability/metrics.js';
import { methodNotAllowed, sendJson } from './responses.js';
import type { RegisteredSession, SessionRegistry } from './sessions.js';
import type { HttpStatus } from './types.js';

export const PATHS = ['/mcp', '/sse', '/messages', '/health', '/ready', '/metrics'] as const;

/** False (and answered 405) unless the method only reads. */
export function readOnly(res: ServerResponse, method: string): boolean {
  if (method === 'GET' || method === 'HEAD') return true;
  methodNotAllowed(res, 'GET, HEAD');
  return false;
}

export function health(res: ServerResponse): void {
  sendJson(res, 200, { status: 'ok' });
}

/**
 * The status code says only whether the first round is done (and the proxy is not draining); degraded or
 * failed upstreams show in the body.
 */
export function ready(
  res: ServerResponse,
  status: HttpStatus,
  sessions: SessionRegistry<RegisteredSession>,
  draining = false,
): void {
  const { code, word } = readiness(status, draining);
  sendJson(res, code, {
    status: word,
    ready: code === 200,
    upstreams: status.upstreams,
    sessions: {
      'streamable-http': sessions.count('streamable-http'),
      sse: sessions.count('sse'),
      byIdentity: sessions.byOwner(),
    },
  });
}

/** /ready for a probe without a credential: the status code and one word, nothing about upstreams or sessions. */
export function readyStatusOnly(res: ServerResponse, status: HttpStatus, draining: boolean): void {
  const { code, word } = readiness(status, draining);
  sendJson(res, code, { status: word });
}

function readiness(status: HttpStatus, draining: boolean): { code: 200 | 503; word: string } {
  if (draining) return { code: 503, word: 'draining' };
  return status.ready ? { code: 200, word: 'ready' } : { code: 503, word: 'starting' };
}

export async function metricsText(res: ServerResponse, metrics: Metrics): Promise<void> {
  if (!isRenderable(metrics)) return sendJson(res, 404, { error: 'metrics are disabled' });
  const text = await metrics.render();
  res.writeHead(200, { 'content-type': metrics.contentType });
  res.end(text);
}

export function notFound(res: ServerResponse): void {
  sendJson(res, 404, { error: 'not found', paths: PATHS });
}

/** A request's target: its path without trailing slashes ('/' stays), and its URL, parsed on first use. */
export interface RequestTarget {
  path: string;
  /** True when the target has a query string. */
  hasQuery: boolean;
  url(): URL;
}

/**
 * A path of plain segments (letters, digits, '-', '_'; no dots, no percent escapes, no empty segment but
 * trailing slashes) is its own pathname: a URL parser would change nothing in it.
 */
const PLAIN_PATH = /^(?:\/[A-Za-z0-9_-]+)+\/*$/;

/** The request's target; a plain path without a query (every MCP request) builds no URL object. */
export function requestTarget(req: IncomingMessage): RequestTarget {
  const raw = req.url ?? '/';
  if (PLAIN_PATH.test(raw)) {
    const path = raw.charCodeAt(raw.length - 1) === 47 ? raw.replace(/\/+$/, '') : raw;
    let parsed: URL | undefined;
    return { path, hasQuery: false, url: () => (parsed ??= parseUrl(raw)) };
  }
  const parsed = parseUrl(raw);
  const path = parsed.pathname.length > 1 ? parsed.pathname.replace(/\/+$/, '') : parsed.pathname;
  return { path, hasQuery: parsed.search !== '', url: () => parsed };
}

function parseUrl(raw: string): URL {
  return new URL(raw, 'http://localhost');
}
