/**
 * Large results relayed as the bytes they came in. An upstream's response to a forwarded request is
 * read with its envelope and the small members of its result parsed, and each large member of the
 * result (a tool's content, a resource's contents) kept as a RawJson: the bytes as the upstream sent
 * them. A caller that knows RawJson (the relay, on a stdio session) writes those bytes out again as
 * they are; every other caller gets the value parsed (materialize), and a serializer that knows
 * nothing of it still writes the right JSON (toJSON). Parsing and re-serializing a 256 KB result on
 * both hops is most of what such a call costs the proxy.
 *
 * A large member is checked for JSON grammar as it is skipped (balanced, well-formed tokens); the
 * contents of its strings are not, as the caller's own parser checks them when it reads the message.
 */

/** Marks a transport that writes RawJson members out as their bytes (others get results parsed). */
export const WRITES_RAW = Symbol('writes raw JSON');

/** A JSON value held as its UTF-8 text. */
export class RawJson {
  private parsed?: { value: unknown };

  constructor(readonly bytes: Buffer) {}

  /** The value itself (parsed once). */
  value(): unknown {
    this.parsed ??= { value: JSON.parse(this.bytes.toString('utf8')) };
    return this.parsed.value;
  }

  toJSON(): unknown {
    return this.value();
  }

  /** Whether the text has a key that URI mapping rewrites (`uri`, `resourceUri`, `openai/outputTemplate`). */
  mayHoldUris(): boolean {
    const b = this.bytes;
    // An escaped key (`\u0075ri`) could spell one too: any escape of that kind counts.
    return b.includes('uri"') || b.includes('Uri"') || b.includes('Template"') || b.includes('\\u');
  }
}

/** Result members read only as values: the protocol looks into them on the way. */
const ALWAYS_PARSED = new Set(['_meta', 'resultType', 'inputRequests', 'requestState', 'isError', 'task']);

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * A response line `{"jsonrpc":"2.0","id":...,"result":{...}}` with its result's members of at least
 * `minBytes` kept raw, or undefined when the line is anything else (then it is parsed as usual).
 */
export function readRawResponse(line: Buffer, minBytes: number): { id: string | number; result: object } | undefined {
  try {
    const r = new Reader(line);
    const top = r.members(0);
    if (!top || r.pos !== line.length) return undefined;
    const keys = Object.keys(top);
    if (keys.length !== 3 || !('jsonrpc' in top && 'id' in top && 'result' in top)) return undefined;
    if (r.text(top.jsonrpc) !== '"2.0"') return undefined;
    const id = JSON.parse(r.text(top.id)) as unknown;
    if (typeof id !== 'string' && !(typeof id === 'number' && Number.isInteger(id))) return undefined;
    const [start] = top.result;
    if (line[start] !== 0x7b) return undefined;
    const inner = new Reader(line, start);
    const members = inner.members(start);
    if (!members) return undefined;
    const result: Record<string, unknown> = {};
    let raw = false;
    for (const [key, span] of Object.entries(members)) {
      if (key === '__proto__') return undefined;
      if (span[1] - span[0] >= minBytes && !ALWAYS_PARSED.has(key)) {
        result[key] = new RawJson(line.subarray(span[0], span[1]));
        raw = true;
      } else {
        result[key] = JSON.parse(line.toString('utf8', span[0], span[1]));
      }
    }
    return raw ? { id, result } : undefined;
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

/**
 * A response whose result holds RawJson members as one newline-terminated buffer (its raw members
 * copied as they are), or undefined when it holds none.
 */
export function encodeRawResponse(message: unknown): Buffer | undefined {
  const m = message as { id?: unknown; result?: unknown };
  const result = m?.result;
  if (!result || typeof result !== 'object' || !('id' in m)) return undefined;
  const entries = Object.entries(result);
  if (!entries.some(([, v]) => v instanceof RawJson)) return undefined;
  const parts: Buffer[] = [];
  let text = `{"jsonrpc":"2.0","id":${JSON.stringify(m.id)},"result":{`;
  let first = true;
  for (const [k, v] of entries) {
    if (v === undefined) continue;
    text += `${first ? '' : ','}${JSON.stringify(k)}:`;
    first = false;
    if (v instanceof RawJson) {
      parts.push(Buffer.from(text), v.bytes);
      text = '';
    } else {
      text += JSON.stringify(v);
    }
  }
  parts.push(Buffer.from(`${text}}}\n`));
  return Buffer.concat(parts);
}

/** A cursor over JSON text that finds the members of an object and skips values, checking their grammar. */
class Reader {
  pos: number;

  constructor(
    private readonly b: Buffer,
    start = 0,
  ) {
    this.pos = start;
  }

  text(span: [number, number]): string {
    return this.b.toString('utf8', span[0], span[1]);
  }

  /** The members of the object at `at`, each as the span of its value; undefined when not an object. */
  members(at: number): Record<string, [number, number]> | undefined {
    this.pos = at;
    this.space();
    if (this.b[this.pos] !== 0x7b) return undefined;
    this.pos++;
    const out: Record<string, [number, number]> = Object.create(null);
    this.space();
    if (this.b[this.pos] === 0x7d) {
      this.pos++;
      return out;
    }
    for (;;) {
      this.space();
      const keyStart = this.pos;
      this.string();
      const key = JSON.parse(this.b.toString('utf8', keyStart, this.pos)) as string;
      this.space();
      this.expect(0x3a);
      this.space();
      const start = this.pos;
      this.value();
      if (key in out) throw new Error('duplicate key');
      out[key] = [start, this.pos];
      this.space();
      const c = this.b[this.pos++];
      if (c === 0x7d) break;
      if (c !== 0x2c) throw new Error('expected , or }');
    }
    this.space();
    return out;
  }

  private value(): void {
    const c = this.b[this.pos];
    if (c === QUOTE) {
      this.string();
      return;
    }
    if (c === 0x7b || c === 0x5b) {
      this.container();
      return;
    }
    const start = this.pos;
    while (this.pos < this.b.length && isScalarByte(this.b[this.pos] as number)) this.pos++;
    if (this.pos === start) throw new Error('expected a value');
    JSON.parse(this.b.toString('latin1', start, this.pos));
  }

  /** An object or array, nested ones included, without recursion. */
  private container(): void {
    const stack: number[] = [];
    for (;;) {
      const open = this.b[this.pos++] as number;
      stack.push(open);
      this.space();
      const close = open === 0x7b ? 0x7d : 0x5d;
      if (this.b[this.pos] === close) {
        this.pos++;
        stack.pop();
      } else {
        if (open === 0x7b) this.key();
        const c = this.b[this.pos];
        if (c === 0x7b || c === 0x5b) continue;
        this.value();
      }
      // After a value: commas, closes, and the next value until a container opens or all are closed.
      for (;;) {
        if (stack.length === 0) return;
        this.space();
        const c = this.b[this.pos++];
        const top = stack[stack.length - 1];
        if (c === (top === 0x7b ? 0x7d : 0x5d)) {
          stack.pop();
          continue;
        }
        if (c !== 0x2c) throw new Error('expected , or a close');
        this.space();
        if (top === 0x7b) this.key();
        const n = this.b[this.pos];
        if (n === 0x7b || n === 0x5b) break;
        this.value();
      }
    }
  }

  private key(): void {
    this.space();
    this.string();
    this.space();
    this.expect(0x3a);
    this.space();
  }

  private string(): void {
    this.expect(QUOTE);
    let from = this.pos;
    for (;;) {
      const q = this.b.indexOf(QUOTE, from);
      if (q === -1) throw new Error('unterminated string');
      let k = q - 1;
      while (this.b[k] === BACKSLASH) k--;
      if ((q - 1 - k) % 2 === 0) {
        this.pos = q + 1;
        return;
      }
      from = q + 1;
    }
  }

  private expect(byte: number): void {
    if (this.b[this.pos] !== byte) throw new Error(`expected ${String.fromCharCode(byte)}`);
    this.pos++;
  }

  private space(): void {
    while (isSpace(this.b[this.pos] as number)) this.pos++;
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Bytes of numbers and the literals true, false, null. */
function isScalarByte(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || (c >= 0x61 && c <= 0x7a) || c === 0x45;
}
