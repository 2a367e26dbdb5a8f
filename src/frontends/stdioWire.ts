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
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/server';
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { lineLength, messageText } from '../protocol/chunks.js';
import { EarlyCancellations } from '../protocol/earlyCancellations.js';
import { errorResponse, INTERNAL_ERROR, toJsonRpcMessage } from '../protocol/jsonrpc.js';
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
  /** Lines read and not dispatched yet; a long one as the chunks it came in (never joined when it goes on raw). */
  private readonly ready: (Buffer | Buffer[])[] = [];

  constructor(
    /** Whether the wire's consumer takes a tool's arguments raw now (undefined: none raw). */
    private readonly rawArguments: () => ((tool: unknown) => boolean) | undefined,
    /** Each message read, before it is dispatched. */
    private readonly onRead: (message: JSONRPCMessage) => void,
  ) {}

  append(chunk: Buffer): void {
    if (this.lines.overflows(chunk, MAX_BUFFER_BYTES) !== undefined) {
      this.ready.length = 0;
      throw new Error(`ReadBuffer exceeded maximum size of ${MAX_BUFFER_BYTES} bytes`);
    }
    this.lines.push(
      chunk,
      (line) => this.ready.push(line),
      (parts) => this.ready.push(parts),
    );
  }

  readMessage(): JSONRPCMessage | null {
    for (let line = this.ready.shift(); line; line = this.ready.shift()) {
      const accept = lineLength(line) >= RAW_LINE_BYTES ? this.rawArguments() : undefined;
      const raw = accept && readRawToolCall(line, RAW_VALUE_BYTES, accept);
      let value: unknown = raw;
      if (!raw) {
        try {
          value = JSON.parse(messageText(line));
        } catch {
          continue;
        }
      }
      const message = toJsonRpcMessage(value);
      this.onRead(message);
      return message;
    }
    return null;
  }

  clear(): void {
    this.lines.clear();
    this.ready.length = 0;
  }
}

export interface StdioWire extends StdioServerTransport {
  /** Resolves when the client ended our stdin (everything it sent has been read by then). */
  readonly inputEnded: Promise<void>;
  /** Requests read and not answered yet. */
  pendingRequests(): number;
  /**
   * Answers every request still unanswered with an error saying why (`message`); an answer that comes
   * for one of them later is dropped, so the client sees exactly one response per request.
   */
  abandonPending(message: string): void;
}

/**
 * Unlike the SDK's transport, the wire stays open when stdin ends: a client may write its requests and
 * close its end at once (`echo ... | mcp-proxy run`), and the requests already read are still answered
 * (shutdown waits for them, at most its grace, then closes the wire). `answeredEarly`: the id of an
 * `initialize` the early reader answered, whose second answer is dropped once.
 */
export function stdioWire(
  stdin: NodeJS.ReadableStream = process.stdin,
  stdout: NodeJS.WritableStream = process.stdout,
  answeredEarly?: RequestId,
  /** Given the client's first message when it is read (the early reader's too: it is read again here). */
  onFirstMessage?: (m: JSONRPCMessage) => void,
): StdioWire {
  const wire = new StdioServerTransport(stdin as any, stdout as any) as StdioWire;
  const flags = wire as unknown as Record<symbol, unknown>;
  flags[WRITES_RAW] = true;
  flags[READS_RAW] = undefined;
  const accept = () => flags[READS_RAW] as ((tool: unknown) => boolean) | undefined;
  const pending = new Set<RequestId>();
  // A request its client cancelled is owed no answer: shutdown does not wait for it.
  const cancelled = new EarlyCancellations();
  let first = onFirstMessage;
  const onRead = (m: JSONRPCMessage) => {
    if (first) {
      first(m);
      first = undefined;
    }
    if (!('method' in m)) return;
    if ('id' in m) {
      if (!cancelled.take(m.id)) pending.add(m.id);
    } else if (m.method === 'notifications/cancelled') {
      const id = (m.params as { requestId?: RequestId } | undefined)?.requestId;
      if (id !== undefined && !pending.delete(id)) cancelled.note(id);
    }
  };
  (wire as unknown as { _readBuffer: LineReader })._readBuffer = new LineReader(accept, onRead);
  const internals = wire as unknown as { _onstdinclose: () => void; _stdin: NodeJS.ReadableStream; _ondata: unknown };
  let ended!: () => void;
  const abandoned = new Set<RequestId>();
  Object.assign(wire, {
    inputEnded: new Promise<void>((resolve) => {
      ended = resolve;
    }),
    pendingRequests: () => pending.size,
    abandonPending: (message: string) => {
      for (const id of pending) {
        abandoned.add(id);
        void send(errorResponse(id, INTERNAL_ERROR, message)).catch(() => {});
      }
      pending.clear();
    },
  });
  // Set before start(), which listens with it (and close() stops listening with the same function).
  internals._onstdinclose = () => {
    internals._stdin.off('data', internals._ondata as () => void);
    ended();
  };
  let dropAnswer = answeredEarly;
  const send = wire.send.bind(wire);
  wire.send = (message) => {
    const id = 'id' in message && ('result' in message || 'error' in message) ? message.id : undefined;
    if (id !== undefined) {
      if (abandoned.delete(id)) return Promise.resolve();
      pending.delete(id);
      if (id === dropAnswer) {
        dropAnswer = undefined;
        return Promise.resolve();
      }
    }
    const parts = 'result' in message ? rawParts(message) : undefined;
    if (!parts) return send(message);
    if ((wire as unknown as { _closed: boolean })._closed) {
      return Promise.reject(new Error('StdioServerTransport is closed'));
    }
    return writeParts(stdout, parts);
  };
  return wire;
}
