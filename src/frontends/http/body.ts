/**
 * Reads a POSTed JSON-RPC body (for /mcp and /messages alike): the content type is checked first, the
 * size limit holds whether or not Content-Length tells the truth, and every refusal is answered here.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isJsonContentType } from '@modelcontextprotocol/server';
import { header, sendRpcError, sendTooLarge } from './responses.js';

const TOO_LARGE = Symbol('too-large');

/** The parsed body, or undefined when the request was refused (the answer is sent already). */
export async function readJsonBody(
  req: IncomingMessage,
  res: ServerResponse,
  maxBytes: number,
): Promise<{ value: unknown } | undefined> {
  if (!isJsonContentType(header(req, 'content-type') ?? null)) {
    sendRpcError(res, 415, 'Unsupported Media Type: Content-Type must be application/json');
    return undefined;
  }
  const body = await readBody(req, maxBytes);
  if (body === TOO_LARGE) {
    sendTooLarge(res, maxBytes);
    return undefined;
  }
  try {
    return { value: JSON.parse(body.toString('utf8')) };
  } catch {
    sendRpcError(res, 400, 'Parse error: the request body is not valid JSON', -32700);
    return undefined;
  }
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer | typeof TOO_LARGE> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) return Promise.resolve(TOO_LARGE);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > max) {
        done = true;
        req.pause();
        resolve(TOO_LARGE);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
      done = true;
    });
    req.on('error', (e) => {
      if (!done) reject(e);
      done = true;
    });
  });
}
