/**
 * Bytes held as the chunks they were read in, addressed as one run of bytes. A long line is read from a
 * pipe in chunks of 64 KiB; joining them into one Buffer allocates and copies the whole line, and the
 * Buffers a relay allocates per message are what its garbage collector ends up spending its time on.
 * So a long line stays in its chunks: it is scanned across them, and its large members are written out
 * as slices of them.
 */
import { StringDecoder } from 'node:string_decoder';

export class Chunks {
  readonly length: number;
  private readonly starts: number[] = [];
  /** The chunk `at` and `indexOf` looked in last (reads go mostly forward, within one chunk). */
  private cur = 0;
  private curStart = 0;
  private curEnd: number;

  constructor(readonly parts: readonly Buffer[]) {
    let n = 0;
    for (const p of parts) {
      this.starts.push(n);
      n += p.length;
    }
    this.length = n;
    this.curEnd = parts.length ? (parts[0] as Buffer).length : 0;
  }

  /** `bytes` itself, or the chunks of a line that came in several. */
  static of(bytes: Buffer | readonly Buffer[]): Chunks {
    return new Chunks(Buffer.isBuffer(bytes) ? [bytes] : bytes);
  }

  /** The byte at `i` (undefined past the end). */
  at(i: number): number | undefined {
    if (i < this.curStart || i >= this.curEnd) {
      if (i < 0 || i >= this.length) return undefined;
      this.seek(i);
    }
    return (this.parts[this.cur] as Buffer)[i - this.curStart];
  }

  /** The first `byte` at or after `from`, or -1. */
  indexOf(byte: number, from: number): number {
    if (from >= this.length) return -1;
    let k = this.find(from);
    let at = from - (this.starts[k] as number);
    for (; k < this.parts.length; k++, at = 0) {
      const found = (this.parts[k] as Buffer).indexOf(byte, at);
      if (found !== -1) return (this.starts[k] as number) + found;
    }
    return -1;
  }

  /** The bytes from `start` to `end` decoded (a character split between chunks decodes whole). */
  toString(encoding: 'utf8' | 'latin1', start: number, end: number): string {
    const k = this.find(start);
    const s = this.starts[k] as number;
    const part = this.parts[k] as Buffer;
    if (end - s <= part.length) return part.toString(encoding, start - s, end - s);
    return Buffer.concat(this.slice(start, end)).toString(encoding);
  }

  /** The bytes from `start` to `end` as slices of the chunks (nothing copied). */
  slice(start: number, end: number): Buffer[] {
    const out: Buffer[] = [];
    if (end <= start) return out;
    for (let k = this.find(start); k < this.parts.length; k++) {
      const s = this.starts[k] as number;
      if (s >= end) break;
      const part = this.parts[k] as Buffer;
      out.push(part.subarray(Math.max(0, start - s), Math.min(part.length, end - s)));
    }
    return out;
  }

  /** The index of the chunk holding byte `i` (the last one for `i` past the end). */
  private find(i: number): number {
    if (i >= this.curStart && i < this.curEnd) return this.cur;
    let k = this.parts.length - 1;
    while (k > 0 && (this.starts[k] as number) > i) k--;
    return k;
  }

  private seek(i: number): void {
    const k = this.find(i);
    this.cur = k;
    this.curStart = this.starts[k] as number;
    this.curEnd = this.curStart + (this.parts[k] as Buffer).length;
  }
}

/** The UTF-8 text of a line held whole or in chunks (a character split between chunks decodes whole). */
export function lineText(bytes: Buffer | readonly Buffer[]): string {
  if (Buffer.isBuffer(bytes)) return bytes.toString('utf8');
  const decoder = new StringDecoder('utf8');
  let text = '';
  for (const p of bytes) text += decoder.write(p);
  return text + decoder.end();
}

/**
 * The text of a line that carries one message, without a leading byte-order mark: some Windows tools (a
 * .NET console, a PowerShell redirection) write one before their first line, and RFC 8259 lets a parser
 * ignore it. Otherwise that line, often the answer to `initialize`, would be skipped as not JSON.
 */
export function messageText(bytes: Buffer | readonly Buffer[]): string {
  const text = lineText(bytes);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** The length of a line held whole or in chunks. */
export function lineLength(bytes: Buffer | readonly Buffer[]): number {
  if (Buffer.isBuffer(bytes)) return bytes.length;
  let n = 0;
  for (const p of bytes) n += p.length;
  return n;
}
