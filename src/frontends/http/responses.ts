/**
 * How the HTTP frontend answers on node:http objects: JSON bodies, JSON-RPC errors with the HTTP status
 * that goes with them, and the header reads every route needs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorResponse } from '../../protocol/jsonrpc.js';
import type { SessionRefusal } from './sessions.js';

/** The first value of a request header (node gives an array for repeated ones). */
export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** A JSON-RPC error with no request id (the request was refused before it was read as one). */
export function rpcError(code: number, message: string): object {
  return errorResponse(null, code, message);
}

/** One Server-Sent Event carrying a JSON-RPC message's text, as MCP streams frame them. */
export function sseFrame(text: string): string {
  return `event: message\ndata: ${text}\n\n`;
}

/** The same for a JSON-RPC message. */
export function sseEvent(message: unknown): string {
  return sseFrame(JSON.stringify(message));
}

/** The same refusal as a web `Response`, for the fetch-shaped SDK handlers. */
export function rpcErrorResponse(status: number, code: number, message: string): Response {
  return Response.json(rpcError(code, message), { status });
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** A refusal of the MCP layer: the HTTP status and a JSON-RPC error (code -32000 unless named). */
export function sendRpcError(res: ServerResponse, status: number, message: string, code = -32000): void {
  sendJson(res, status, rpcError(code, message));
}

/** A new session refused for a limit: the client may try again shortly. */
export function sendRefusal(res: ServerResponse, r: SessionRefusal): void {
  res.setHeader('retry-after', '5');
  sendRpcError(res, r.status, r.message);
}

export function sendTooLarge(res: ServerResponse, max: number): void {
  // The rest of the body is not read: the connection cannot carry another request.
  res.setHeader('connection', 'close');
  sendRpcError(res, 413, `Payload Too Large: the request body exceeds ${max} bytes`);
}

export function methodNotAllowed(res: ServerResponse, allow: string): void {
  res.setHeader('allow', allow);
  sendRpcError(res, 405, `Method Not Allowed (allowed: ${allow})`);
}
