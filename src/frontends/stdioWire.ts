/**
 * The stdio frontend's wire: the SDK's StdioServerTransport with its line reader swapped for one that
 * checks each message against the one JSON-RPC schema its keys call for (protocol/jsonrpc.ts) rather
 * than the SDK's union parse, which tries the request, notification and response schemas in turn and
 * copies the message; and a response carrying an upstream's raw result members (protocol/rawJson.ts)
 * written with those bytes as they came, in one write. Once its consumer says it takes them (READS_RAW,
 * set by the relay, for the tools it says), a long tools/call line is read with its large `arguments` kept raw: the bytes go
 * on to the upstream as they came, never parsed here. Everything else (writes, back-pressure, stdin
 * end) is the SDK's. As in the SDK, a line that is not JSON is skipped, and one that is JSON but not
 * JSON-RPC is reported to onerror.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { toJsonRpcMessage } from '../protocol/jsonrpc.js';
import { LineSplitter } from '../protocol/lines.js';
import { READS_RAW, rawParts, readRawToolCall, WRITES_RAW, writeParts } from '../protocol/rawJson.js';

/** The SDK's default limit for one unfinished line. */
const MAX_BUFFER_BYTES = 10 * 1024 * 1024;
/** Lines long enough to look for raw arguments in, and the arguments' size that counts as large. */
const RAW_LINE_BYTES = 16 * 1024;
const RAW_VALUE_BYTES = 8 * 1024;

/** Newline-delimited JSON-RPC, with the interface of the SDK's ReadBuffer. */
class LineReader {
  private readonly lines = new LineSplitter();
  private readonly ready: Buffer[] = [];

  /** Whether the wire's consumer takes a tool's arguments raw now (undefined: none raw). */
  constructor(private readonly rawArguments: () => ((tool: unknown) => boolean) | undefined) {}

  append(chunk: Buffer): void {
    if (this.lines.buffered + chunk.length > MAX_BUFFER_BYTES) {
      this.clear();
      throw new Error(`ReadBuffer exceeded maximum size of ${MAX_BUFFER_BYTES} bytes`);
    }
    this.lines.push(chunk, (line) => this.ready.push(line));
  }

  readMessage(): JSONRPCMessage | null {
    for (let line = this.ready.shift(); line; line = this.ready.shift()) {
      const accept = line.length >= RAW_LINE_BYTES ? this.rawArguments() : undefined;
      if (accept) {
        const raw = readRawToolCall(line, RAW_VALUE_BYTES, accept);
        if (raw) return toJsonRpcMessage(raw);
      }
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
  const flags = wire as unknown as Record<symbol, unknown>;
  flags[WRITES_RAW] = true;
  flags[READS_RAW] = undefined;
  const accept = () => flags[READS_RAW] as ((tool: unknown) => boolean) | undefined;
  (wire as unknown as { _readBuffer: LineReader })._readBuffer = new LineReader(accept);
  const send = wire.send.bind(wire);
  wire.send = (message) => {
    const parts = 'result' in message ? rawParts(message) : undefined;
    if (!parts) return send(message);
    if ((wire as unknown as { _closed: boolean })._closed) {
      return Promise.reject(new Error('StdioServerTransport is closed'));
    }
    return writeParts(stdout, parts);
  };
  return wire;
}
