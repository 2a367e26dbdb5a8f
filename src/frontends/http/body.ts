/**
 * Reads a POSTed JSON-RPC body (for /mcp and /messages alike): the content type is checked first, the
 * size limit holds whether or not Content-Length tells the truth, and every refusal is answered here.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isJsonContentType } from '@modelcontextprotocol/server';
import { decodeText } from '../../util/textFile.js';
import { header, sendRpcError, sendTooLarge } from './responses.js';

/**
 * The parsed body, or undefined when the request was refused (the answer is sent already). One promise,
 * settled with the parsed value when the body ends: nothing waits on the way to the route but the body.
 */
export function readJsonBody(
  req: IncomingMessage,
  res: ServerResponse,
  maxBytes: number,
): Promise<{ value: unknown } | undefined> {
  if (!isJsonContentType(header(req, 'content-type') ?? null)) {
    sendRpcError(res, 415, 'Unsupported Media Type: Content-Type must be application/json');
    return Promise.resolve(undefined);
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    sendTooLarge(res, maxBytes);
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > maxBytes) {
        done = true;
        req.pause();
        sendTooLarge(res, maxBytes);
        resolve(undefined);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(parsed(res, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    });
    req.on('error', (e) => {
      if (!done) reject(e);
      done = true;
    });
  });
}

function parsed(res: ServerResponse, body: Buffer): { value: unknown } | undefined {
  try {
    // A byte-order mark (a body read from a file saved on Windows) is no part of the JSON: RFC 8259 8.1.
    return { value: JSON.parse(decodeText(body)) };
  } catch {
    sendRpcError(res, 400, 'Parse error: the request body is not valid JSON', -32700);
    return undefined;
  }
}
