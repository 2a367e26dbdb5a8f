/**
 * Large members relayed as the bytes they came in, both ways. An upstream's response to a forwarded
 * request is read with its envelope and the small members of its result parsed, and each large member
 * of the result (a tool's content, a resource's contents) kept as a RawJson: the bytes as the upstream
 * sent them. A client's tools/call is read the same way on the stdio wire, its large `arguments` kept
 * raw. A writer that knows RawJson (the stdio wire, the upstream stdio transport) writes those bytes out
 * again as they are; every other consumer gets the value parsed (materialize), and a serializer that
 * knows nothing of it still writes the right JSON (toJSON). Parsing and re-serializing 256 KB on both
 * hops is most of what such a call costs the proxy.
 *
 * A large member is checked for JSON grammar as it is skipped (jsonScanner.ts); the contents of its
 * strings are not, as the receiver's own parser checks them when it reads the message.
 */
import { Chunks, lineLength, lineText } from './chunks.js';
import { JsonScanner, type MemberSpan } from './jsonScanner.js';

/** Marks a transport that writes RawJson members out as their bytes (others get results parsed). */
export const WRITES_RAW = Symbol('writes raw JSON');

/**
 * Set on a stdio wire by the consumer of its messages when that consumer takes a tools/call whose large
 * `arguments` are a RawJson (the relay, which materializes whatever it hands elsewhere): a function of
 * the tool's name that says whether its arguments are worth keeping raw (they are when they go on as
 * bytes; parsed anyway, the scan and the bytes held for the call would be extra work).
 */
export const READS_RAW = Symbol('reads raw JSON');

/** A JSON value held as its UTF-8 text: one Buffer, or the slices of the chunks it was read in. */
export class RawJson {
  private parsed?: { value: unknown };
  private held: readonly Buffer[] | undefined;
  /** Bytes of the text (also once released). */
  readonly length: number;

  /**
   * `uriKeys`, when the scan that found the value knows it: whether a key a URI may sit under occurs in it
   * (jsonScanner.ts); otherwise mayHoldUris searches the bytes.
   */
  constructor(
    bytes: Buffer | readonly Buffer[],
    private readonly uriKeys?: boolean,
  ) {
    this.held = Buffer.isBuffer(bytes) ? [bytes] : bytes;
    this.length = lineLength(this.held);
  }

  /** The text as the slices it is held in. */
  get parts(): readonly Buffer[] {
    if (!this.held) throw new Error('raw JSON read after it was released');
    return this.held;
  }

  /**
   * Lets go of the bytes (the value stays readable if it was parsed). Called once they were written out
   * and the request they belong to is over: V8 frees a pipe's chunks at its young collections only while
   * nothing reaches them, and a RawJson kept reachable by garbage of the old generation (an ended call's
   * closures and promises) would hold them until the next full collection, which the external memory
   * piling up then brings on every few large calls.
   */
  release(): void {
    this.held = undefined;
  }

  /** The text as one Buffer (joined, when it came in several chunks). */
  get bytes(): Buffer {
    return this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts as Buffer[], this.length);
  }

  /** The value itself (parsed once). */
  value(): unknown {
    this.parsed ??= { value: JSON.parse(lineText(this.parts)) };
    return this.parsed.value;
  }

  toJSON(): unknown {
    return this.value();
  }

  /** Whether the text has a key that URI mapping rewrites (`uri`, `resourceUri`, `openai/outputTemplate`). */
  mayHoldUris(): boolean {
    if (this.uriKeys !== undefined) {
      if (!this.held) throw new Error('raw JSON read after it was released');
      return this.uriKeys;
    }
    // An escaped key (`\u0075ri`) could spell one too: any escape of that kind counts.
    return includesAny(this.parts, URI_HINTS);
  }
}

const URI_HINTS = ['uri"', 'Uri"', 'Template"', '\\u'];

/** Whether any of `needles` occurs in the bytes of `parts`, also across seams (a part may be shorter than a needle). */
function includesAny(parts: readonly Buffer[], needles: string[]): boolean {
  const reach = Math.max(...needles.map((n) => n.length)) - 1;
  /** The last `reach` bytes before the current part, whatever parts they came in. */
  let carry = Buffer.alloc(0);
  for (const p of parts) {
    if (needles.some((n) => p.includes(n))) return true;
    const seam = Buffer.concat([carry, p.subarray(0, reach)]);
    if (carry.length && needles.some((n) => seam.includes(n))) return true;
    const tail = Buffer.concat([carry, p.subarray(Math.max(0, p.length - reach))]);
    carry = tail.subarray(Math.max(0, tail.length - reach));
  }
  return false;
}

/** Releases each RawJson member of `body` (see RawJson.release). */
export function releaseMembers(body: unknown): void {
  if (!body || typeof body !== 'object') return;
  for (const v of Object.values(body)) if (v instanceof RawJson) v.release();
}

/** `v` itself, parsed when it is a RawJson. */
export function rawValue(v: unknown): unknown {
  return v instanceof RawJson ? v.value() : v;
}

/** Result members read only as values: the protocol looks into them on the way. */
const ALWAYS_PARSED = new Set(['_meta', 'resultType', 'inputRequests', 'requestState', 'isError', 'task']);

type Span = MemberSpan;

/**
 * A response line `{"jsonrpc":"2.0","id":...,"result":{...}}` with its result's members of at least
 * `minBytes` kept raw, or undefined when the line is anything else (then it is parsed as usual).
 */
export function readRawResponse(
  line: Buffer | readonly Buffer[],
  minBytes: number,
): { id: string | number; result: object } | undefined {
  const read = readEnvelope(line, 'result', (key, span) => span[1] - span[0] >= minBytes && !ALWAYS_PARSED.has(key));
  return read && { id: read.id, result: read.body };
}

/**
 * A request line `{"jsonrpc":"2.0","id":...,"method":"tools/call","params":{...}}` whose params'
 * `arguments` object is at least `minBytes`, with those arguments kept raw and the rest parsed; undefined
 * when the line is anything else (then it is parsed as usual).
 */
export function readRawToolCall(
  line: Buffer | readonly Buffer[],
  minBytes: number,
  accept: (tool: unknown) => boolean = () => true,
): { jsonrpc: '2.0'; id: string | number; method: 'tools/call'; params: Record<string, unknown> } | undefined {
  const read = readEnvelope(
    line,
    'params',
    (key, span, bytes) => key === 'arguments' && span[1] - span[0] >= minBytes && bytes.at(span[0]) === 0x7b,
  );
  if (read?.method !== 'tools/call' || !accept(read.body.name)) return undefined;
  return { jsonrpc: '2.0', id: read.id, method: 'tools/call', params: read.body };
}

/**
 * A request (`params`) or success response (`result`) line: its envelope checked, and the members of
 * its body parsed, or kept raw where `raw` says so; undefined unless at least one member is raw.
 */
function readEnvelope(
  line: Buffer | readonly Buffer[],
  body: 'params' | 'result',
  raw: (key: string, span: Span, bytes: Chunks) => boolean,
): { id: string | number; method?: string; body: Record<string, unknown> } | undefined {
  try {
    const bytes = Chunks.of(line);
    const r = new JsonScanner(bytes);
    const top = r.members(0, body);
    const members = r.innerMembers;
    if (!top || !members || r.pos !== bytes.length) return undefined;
    const request = body === 'params';
    if (Object.keys(top).length !== (request ? 4 : 3) || !('jsonrpc' in top && 'id' in top && body in top)) {
      return undefined;
    }
    if (r.text(top.jsonrpc) !== '"2.0"') return undefined;
    const id = JSON.parse(r.text(top.id)) as unknown;
    if (typeof id !== 'string' && !(typeof id === 'number' && Number.isSafeInteger(id))) return undefined;
    let method: string | undefined;
    if (request) {
      method = top.method && (JSON.parse(r.text(top.method)) as unknown as string);
      if (typeof method !== 'string') return undefined;
    }
    const out: Record<string, unknown> = {};
    let kept = false;
    for (const [key, span] of Object.entries(members)) {
      if (key === '__proto__') return undefined;
      if (raw(key, span, bytes)) {
        out[key] = new RawJson(bytes.slice(span[0], span[1]), span[2]);
        kept = true;
      } else {
        out[key] = JSON.parse(r.text(span));
      }
    }
    return kept ? { id, method, body: out } : undefined;
  } catch {
    return undefined;
  }
}

/** `value` with every RawJson member of it parsed (the object itself when it holds none). */
export function materialize<T>(value: T): T {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(value)) {
    if (v instanceof RawJson) {
      out ??= { ...(value as Record<string, unknown>) };
      out[k] = v.value();
    }
  }
  return (out ?? value) as T;
}

/** A message with the RawJson members of its params parsed (the message itself when it has none). */
export function materializeParams<T>(message: T): T {
  const params = (message as { params?: unknown })?.params;
  const parsed = materialize(params);
  return parsed === params ? message : { ...message, params: parsed };
}

/**
 * A message whose `params` or `result` holds RawJson members, as the pieces of its newline-terminated
 * JSON text in order (the raw members' bytes as they are, uncopied), or undefined when it holds none.
 */
export function rawParts(message: unknown): Buffer[] | undefined {
  if (!message || typeof message !== 'object') return undefined;
  const m = message as Record<string, unknown>;
  const holder = 'result' in m ? 'result' : 'params';
  const body = m[holder];
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const entries = Object.entries(body);
  if (!entries.some(([, v]) => v instanceof RawJson)) return undefined;
  const parts: Buffer[] = [];
  let text = '{';
  for (const [k, v] of Object.entries(m)) {
    if (v === undefined || k === holder) continue;
    text += `${text.length > 1 ? ',' : ''}${JSON.stringify(k)}:${JSON.stringify(v)}`;
  }
  text += `${text.length > 1 ? ',' : ''}"${holder}":{`;
  let first = true;
  for (const [k, v] of entries) {
    if (v === undefined) continue;
    text += `${first ? '' : ','}${JSON.stringify(k)}:`;
    first = false;
    if (v instanceof RawJson) {
      parts.push(Buffer.from(text), ...v.parts);
      text = '';
    } else {
      text += JSON.stringify(v);
    }
  }
  parts.push(Buffer.from(`${text}}}\n`));
  return parts;
}

/** A response whose result holds RawJson members as one newline-terminated buffer, or undefined. */
export function encodeRawResponse(message: unknown): Buffer | undefined {
  if (!message || typeof message !== 'object' || !('id' in message) || !('result' in message)) return undefined;
  const parts = rawParts(message);
  return parts && Buffer.concat(parts);
}

/**
 * Writes `parts` as one write (corked: a single writev where the stream can); resolves once flushed or
 * buffered below the high-water mark, as the SDK's send does.
 */
export function writeParts(out: NodeJS.WritableStream, parts: Buffer[]): Promise<void> {
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
    if (writeCorked(out, parts)) {
      out.off('error', onError);
      resolve();
    } else {
      out.once('drain', onDrain);
    }
  });
}

/** Writes `parts` corked (one writev); false when the stream asks to wait for 'drain'. */
export function writeCorked(out: NodeJS.WritableStream, parts: Buffer[]): boolean {
  const w = out as NodeJS.WritableStream & { cork?: () => void; uncork?: () => void };
  w.cork?.();
  let ok = true;
  for (const p of parts) ok = out.write(p);
  w.uncork?.();
  return ok;
}
