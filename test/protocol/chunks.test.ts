/** Bytes held in chunks read the same as the joined bytes, wherever the chunks were cut. */
import { describe, expect, it } from 'vitest';
import { Chunks, lineLength, lineText } from '../../src/protocol/chunks.js';

const TEXT = Buffer.from('{"a":"é😀中\\"x\\\\"}, [1, 2] "q" ü');

function cuts(bytes: Buffer, i: number, j: number): Buffer[] {
  return [bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)].filter((b) => b.length > 0);
}

describe('chunks', () => {
  it('reads bytes, finds bytes, decodes and slices as the joined buffer does, for every two cuts', () => {
    const n = TEXT.length;
    for (let i = 0; i <= n; i++) {
      for (let j = i; j <= n; j++) {
        const parts = cuts(TEXT, i, j);
        const c = new Chunks(parts);
        expect(c.length).toBe(n);
        expect(lineLength(parts)).toBe(n);
        // A multi-byte character cut between chunks decodes whole.
        expect(lineText(parts)).toBe(TEXT.toString());
        for (let k = -1; k <= n; k++) expect(c.at(k), `at ${k} cut ${i},${j}`).toBe(TEXT[k]);
        // Backwards too: the cursor moves to whichever chunk is asked for.
        for (let k = n - 1; k >= 0; k--) expect(c.at(k)).toBe(TEXT[k]);
        for (const byte of [0x22, 0x5c, 0x7d, 0x20]) {
          for (let from = 0; from <= n; from += 3) expect(c.indexOf(byte, from)).toBe(TEXT.indexOf(byte, from));
        }
        for (const [a, b] of [
          [0, n],
          [i, j],
          [Math.max(0, i - 3), Math.min(n, j + 2)],
          [5, 7],
        ] as const) {
          expect(c.toString('utf8', a, b)).toBe(TEXT.toString('utf8', a, b));
          expect(c.toString('latin1', a, b)).toBe(TEXT.toString('latin1', a, b));
          const slices = c.slice(a, b);
          expect(Buffer.concat(slices).equals(TEXT.subarray(a, b))).toBe(true);
          for (const s of slices) {
            expect(s.length).toBeGreaterThan(0);
            expect(s.buffer).toBe(TEXT.buffer);
          }
        }
      }
    }
  });

  it('treats one Buffer as one chunk', () => {
    const c = Chunks.of(TEXT);
    expect(c.parts).toEqual([TEXT]);
    expect(c.toString('utf8', 0, TEXT.length)).toBe(TEXT.toString());
    expect(lineText(TEXT)).toBe(TEXT.toString());
    expect(new Chunks([]).length).toBe(0);
    expect(new Chunks([]).at(0)).toBeUndefined();
    expect(new Chunks([]).indexOf(0x22, 0)).toBe(-1);
  });
});
