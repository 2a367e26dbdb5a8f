/**
 * A cursor over JSON text in a Buffer that finds the members of an object and skips values, checking
 * their grammar (balanced containers, well-formed tokens) without building them. Strings are skipped
 * with indexOf from quote to quote, so a long string costs a native scan, not a loop per character;
 * their contents are not checked (whoever parses the value checks them). The text may be held in
 * chunks (chunks.ts): a long line is scanned where it was read, never joined.
 *
 * The scan also counts the keys, below the object it was asked for, that a resource URI may sit
 * under (names ending in `uri`, `Uri` or `Template`, and any escaped name, which could spell one):
 * a member with none of them needs no URI mapping, known without searching its bytes again.
 */
import type { Chunks } from './chunks.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** Key endings a URI may sit under (aggregator/naming.ts maps `uri`, `...Uri`, `openai/outputTemplate`). */
const URI_KEY_ENDINGS = ['uri', 'Uri', 'Template'].map((s) => Buffer.from(s));

/** A member's value: its start and end, and whether a key a URI may sit under occurs in it. */
export type MemberSpan = [start: number, end: number, uriKeys: boolean];

/** A cursor over JSON text that finds the members of an object and skips values, checking their grammar. */
export class JsonScanner {
  pos: number;

  constructor(
    private readonly b: Chunks,
    start = 0,
  ) {
    this.pos = start;
  }

  text(span: MemberSpan): string {
    return this.b.toString('utf8', span[0], span[1]);
  }

  /**
   * The members of the object at `at`, each as the span of its value; undefined when not an object.
   * With `inner`: the members of that member's value, when it is an object, are read in the same pass
   * (into `innerMembers`) rather than skipped, so a large body is scanned once.
   */
  members(at: number, inner?: string): Record<string, MemberSpan> | undefined {
    this.innerMembers = undefined;
    this.pos = at;
    this.space();
    const out = this.object(inner);
    if (out) this.space();
    return out;
  }

  /** The members of the value named `inner` by the last `members` call, when that value is an object. */
  innerMembers: Record<string, MemberSpan> | undefined;

  /** Keys a URI may sit under seen so far. */
  private uriKeys = 0;

  private object(inner?: string): Record<string, MemberSpan> | undefined {
    if (this.b.at(this.pos) !== 0x7b) return undefined;
    this.pos++;
    const out: Record<string, MemberSpan> = Object.create(null);
    this.space();
    if (this.b.at(this.pos) === 0x7d) {
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
      const seen = this.uriKeys;
      if (key === inner && this.b.at(start) === 0x7b) this.innerMembers = this.object();
      else this.value();
      if (key in out) throw new Error('duplicate key');
      out[key] = [start, this.pos, this.uriKeys !== seen];
      this.space();
      const c = this.b.at(this.pos++);
      if (c === 0x7d) break;
      if (c !== 0x2c) throw new Error('expected , or }');
    }
    return out;
  }

  private value(): void {
    const c = this.b.at(this.pos);
    if (c === QUOTE) {
      this.string();
      return;
    }
    if (c === 0x7b || c === 0x5b) {
      this.container();
      return;
    }
    const start = this.pos;
    while (this.pos < this.b.length && isScalarByte(this.b.at(this.pos) as number)) this.pos++;
    if (this.pos === start) throw new Error('expected a value');
    JSON.parse(this.b.toString('latin1', start, this.pos));
  }

  /** An object or array, nested ones included, without recursion. */
  private container(): void {
    const stack: number[] = [];
    for (;;) {
      const open = this.b.at(this.pos++) as number;
      stack.push(open);
      this.space();
      const close = open === 0x7b ? 0x7d : 0x5d;
      if (this.b.at(this.pos) === close) {
        this.pos++;
        stack.pop();
      } else {
        if (open === 0x7b) this.key();
        const c = this.b.at(this.pos);
        if (c === 0x7b || c === 0x5b) continue;
        this.value();
      }
      // After a value: commas, closes, and the next value until a container opens or all are closed.
      for (;;) {
        if (stack.length === 0) return;
        this.space();
        const c = this.b.at(this.pos++);
        const top = stack[stack.length - 1];
        if (c === (top === 0x7b ? 0x7d : 0x5d)) {
          stack.pop();
          continue;
        }
        if (c !== 0x2c) throw new Error('expected , or a close');
        this.space();
        if (top === 0x7b) this.key();
        const n = this.b.at(this.pos);
        if (n === 0x7b || n === 0x5b) break;
        this.value();
      }
    }
  }

  private key(): void {
    this.space();
    const start = this.pos;
    this.string();
    if (this.uriKey(start + 1, this.pos - 1)) this.uriKeys++;
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
      while (this.b.at(k) === BACKSLASH) k--;
      if ((q - 1 - k) % 2 === 0) {
        this.pos = q + 1;
        return;
      }
      from = q + 1;
    }
  }

  /** Whether the key between `from` and `end` (its closing quote) may name a URI. */
  private uriKey(from: number, end: number): boolean {
    for (let i = from; i < end; i++) if (this.b.at(i) === BACKSLASH) return true;
    for (const ending of URI_KEY_ENDINGS) if (this.endsWith(from, end, ending)) return true;
    return false;
  }

  private endsWith(from: number, end: number, ending: Buffer): boolean {
    if (end - from < ending.length) return false;
    for (let i = 0; i < ending.length; i++) if (this.b.at(end - ending.length + i) !== ending[i]) return false;
    return true;
  }

  private expect(byte: number): void {
    if (this.b.at(this.pos) !== byte) throw new Error(`expected ${String.fromCharCode(byte)}`);
    this.pos++;
  }

  private space(): void {
    while (isSpace(this.b.at(this.pos) as number)) this.pos++;
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Bytes of numbers and the literals true, false, null. */
function isScalarByte(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || (c >= 0x61 && c <= 0x7a) || c === 0x45;
}
