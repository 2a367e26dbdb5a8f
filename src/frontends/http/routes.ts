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

/** The request path without trailing slashes ('/' stays). */
export function requestPath(req: IncomingMessage): { url: URL; path: string } {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
  return { url, path };
}
