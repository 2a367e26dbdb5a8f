/**
 * Newline-delimited framing over a byte stream: the chunks of an unfinished line are kept as they came
 * and joined once, when its newline arrives (joining at each chunk copies a large line over and over);
 * or, for a reader that takes them so (`push`'s `parts`), never joined: a long line that spans chunks
 * is handed on as slices of them (chunks.ts).
 */
export class LineSplitter {
  private chunks: Buffer[] = [];
  private pending = 0;

  /** Bytes held for a line whose newline has not come yet. */
  get buffered(): number {
    return this.pending;
  }

  /**
   * Whether `chunk` would make the unfinished line longer than `max` bytes: then what is held is dropped
   * (a stream past that cannot be resynchronized) and the size it would have had is returned.
   */
  overflows(chunk: Buffer, max: number): number | undefined {
    const size = this.pending + chunk.length;
    if (size <= max) return undefined;
    this.clear();
    return size;
  }

  /**
   * Each complete line in `chunk` (the previous chunks' tail first), without its newline or a `\r` before
   * it: to `line` as one Buffer, or to `parts` (when given) as the non-empty slices of the chunks it spans
   * when it spans more than one.
   */
  push(chunk: Buffer, line: (bytes: Buffer) => void, parts?: (slices: Buffer[]) => void): void {
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(10, from);
      if (nl === -1) break;
      const tail = chunk.subarray(from, nl);
      from = nl + 1;
      if (!this.chunks.length) {
        line(withoutCr(tail));
        continue;
      }
      const held = this.chunks;
      const length = this.pending + tail.length;
      this.clear();
      if (tail.length) held.push(tail);
      if (parts) {
        const slices = trimCr(held);
        if (slices.length > 1) parts(slices);
        else line(slices[0] ?? tail);
      } else {
        line(withoutCr(Buffer.concat(held, length)));
      }
    }
    if (from < chunk.length) {
      this.chunks.push(from === 0 ? chunk : chunk.subarray(from));
      this.pending += chunk.length - from;
    }
  }

  clear(): void {
    this.chunks = [];
    this.pending = 0;
  }
}

function withoutCr(bytes: Buffer): Buffer {
  return bytes.length && bytes[bytes.length - 1] === 13 ? bytes.subarray(0, bytes.length - 1) : bytes;
}

/** `slices` (non-empty ones) without a final `\r` (which may be a slice of its own). */
function trimCr(slices: Buffer[]): Buffer[] {
  const last = slices.length - 1;
  const end = slices[last] as Buffer;
  if (end[end.length - 1] === 13) {
    if (end.length === 1) slices.pop();
    else slices[last] = end.subarray(0, end.length - 1);
  }
  return slices;
}
