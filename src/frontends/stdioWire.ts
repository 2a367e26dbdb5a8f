/**
 * The stdio frontend's wire: the SDK's StdioServerTransport with its line reader swapped for one that
 * checks each message against the one JSON-RPC schema its keys call for (protocol/jsonrpc.ts) rather
 * than the SDK's union parse, which tries the request, notification and response schemas in turn and
 * copies the message. Everything else (writes, back-pressure, stdin end) is the SDK's. As in the SDK, a
 * line that is not JSON is skipped, and one that is JSON but not JSON-RPC is reported to onerror.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { toJsonRpcMessage } from '../protocol/jsonrpc.js';

/** The SDK's default limit for one unfinished line. */
const MAX_BUFFER_BYTES = 10 * 1024 * 1024;

/** Newline-delimited JSON-RPC, with the interface of the SDK's ReadBuffer. */
class LineReader {
  private buffer?: Buffer;

  append(chunk: Buffer): void {
    if ((this.buffer?.length ?? 0) + chunk.length > MAX_BUFFER_BYTES) {
      this.clear();
      throw new Error(`ReadBuffer exceeded maximum size of ${MAX_BUFFER_BYTES} bytes`);
    }
    this.buffer = this.buffer ? Buffer.concat([this.buffer, chunk]) : chunk;
  }

  readMessage(): JSONRPCMessage | null {
    while (this.buffer) {
      const nl = this.buffer.indexOf(10);
      if (nl === -1) return null;
      const line = this.buffer.toString('utf8', 0, nl).replace(/\r$/, '');
      this.buffer = nl + 1 < this.buffer.length ? this.buffer.subarray(nl + 1) : undefined;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        continue;
      }
      return toJsonRpcMessage(value);
    }
    return null;
  }

  clear(): void {
    this.buffer = undefined;
  }
}

export function stdioWire(
  stdin: NodeJS.ReadableStream = process.stdin,
  stdout: NodeJS.WritableStream = process.stdout,
): StdioServerTransport {
  const wire = new StdioServerTransport(stdin as any, stdout as any);
  (wire as unknown as { _readBuffer: LineReader })._readBuffer = new LineReader();
  return wire;
}
