/**
 * Newline-delimited framing over a byte stream: the chunks of an unfinished line are kept as they came
 * and joined once, when its newline arrives (joining at each chunk copies a large line over and over).
 */
export class LineSplitter {
  private chunks: Buffer[] = [];
  private pending = 0;

  /** Bytes held for a line whose newline has not come yet. */
  get buffered(): number {
    return this.pending;
  }

  /** Each complete line in `chunk` (the previous chunks' tail first), without its newline or a `\r` before it. */
  push(chunk: Buffer, line: (bytes: Buffer) => void): void {
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(10, from);
      if (nl === -1) break;
      let bytes = chunk.subarray(from, nl);
      if (this.chunks.length) {
        this.chunks.push(bytes);
        bytes = Buffer.concat(this.chunks, this.pending + bytes.length);
        this.clear();
      }
      from = nl + 1;
      line(bytes.length && bytes[bytes.length - 1] === 13 ? bytes.subarray(0, bytes.length - 1) : bytes);
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
