/**
 * The stdio frontend's wire: the SDK's StdioServerTransport with its line reader swapped for one that
 * checks each message against the one JSON-RPC schema its keys call for (protocol/jsonrpc.ts) rather
 * than the SDK's union parse, which tries the request, notification and response schemas in turn and
 * copies the message; and a response carrying an upstream's raw result members (protocol/rawJson.ts)
 * written with those bytes as they came, in one write. Everything else (writes, back-pressure, stdin
 * end) is the SDK's. As in the SDK, a line that is not JSON is skipped, and one that is JSON but not
 * JSON-RPC is reported to onerror.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { toJsonRpcMessage } from '../protocol/jsonrpc.js';
import { LineSplitter } from '../protocol/lines.js';
import { encodeRawResponse, WRITES_RAW } from '../protocol/rawJson.js';

/** The SDK's default limit for one unfinished line. */
const MAX_BUFFER_BYTES = 10 * 1024 * 1024;

/** Newline-delimited JSON-RPC, with the interface of the SDK's ReadBuffer. */
class LineReader {
  private readonly lines = new LineSplitter();
  private readonly ready: Buffer[] = [];

  append(chunk: Buffer): void {
    if (this.lines.buffered + chunk.length > MAX_BUFFER_BYTES) {
      this.clear();
      throw new Error(`ReadBuffer exceeded maximum size of ${MAX_BUFFER_BYTES} bytes`);
    }
    this.lines.push(chunk, (line) => this.ready.push(line));
  }

  readMessage(): JSONRPCMessage | null {
    for (let line = this.ready.shift(); line; line = this.ready.shift()) {
      let value: unknown;
      try {
        value = JSON.parse(line.toString('utf8'));
      } catch {
        continue;
      }
      return toJsonRpcMessage(value);
    }
    return null;
  }

  clear(): void {
    this.lines.clear();
    this.ready.length = 0;
  }
}

export function stdioWire(
  stdin: NodeJS.ReadableStream = process.stdin,
  stdout: NodeJS.WritableStream = process.stdout,
): StdioServerTransport {
  const wire = new StdioServerTransport(stdin as any, stdout as any);
  (wire as unknown as { _readBuffer: LineReader })._readBuffer = new LineReader();
  (wire as unknown as Record<symbol, boolean>)[WRITES_RAW] = true;
  const send = wire.send.bind(wire);
  wire.send = (message) => {
    const bytes = encodeRawResponse(message);
    if (!bytes) return send(message);
    if ((wire as unknown as { _closed: boolean })._closed) {
      return Promise.reject(new Error('StdioServerTransport is closed'));
    }
    return write(stdout, bytes);
  };
  return wire;
}

/** One write, resolved once it is flushed or buffered below the high-water mark (as the SDK's send). */
function write(out: NodeJS.WritableStream, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      out.off('drain', onDrain);
      reject(error);
    };
    const onDrain = () => {
      out.off('error', onError);
      resolve();
    };
    out.once('error', onError);
    if (out.write(bytes)) {
      out.off('error', onError);
      resolve();
    } else {
      out.once('drain', onDrain);
    }
  });
}
