/** Line framing over chunks: every line comes out whole and exact, wherever the chunks were cut. */
import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../src/protocol/lines.js';

/** `bytes` cut at `points` (sorted offsets), empty pieces left out as a pipe never delivers them. */
function cut(bytes: Buffer, points: number[]): Buffer[] {
  const out: Buffer[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    if (p > from) out.push(bytes.subarray(from, p));
    from = Math.max(from, p);
  }
  return out;
}

/** The lines `chunks` frame into, each joined, and whether each came as parts (and those parts). */
function frame(chunks: Buffer[], takeParts: boolean) {
  const splitter = new LineSplitter();
  const lines: { text: string; parts?: Buffer[] }[] = [];
  const onParts = takeParts
    ? (parts: Buffer[]) => lines.push({ text: Buffer.concat(parts).toString(), parts })
    : undefined;
  for (const c of chunks) splitter.push(c, (b) => lines.push({ text: b.toString() }), onParts);
  return { lines, buffered: splitter.buffered };
}

const LINES = [
  '{"jsonrpc":"2.0","id":17,"result":{"content":[{"type":"text","text":"a \\" \\\\ \\n é 😀 中"}]}}',
  '{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"t","progress":1}}',
  '',
  '{"x":"\\\\"}',
];

describe('line framing', () => {
  it('gives every line exactly, cut at every byte, with LF and CRLF, joined or as parts', () => {
    for (const eol of ['\n', '\r\n']) {
      const stream = Buffer.from(LINES.map((l) => l + eol).join(''));
      for (let i = 0; i <= stream.length; i++) {
        for (const j of [i, i + 1, i + 7, i + 40]) {
          for (const takeParts of [false, true]) {
            const { lines, buffered } = frame(cut(stream, [i, j]), takeParts);
            expect(
              lines.map((l) => l.text),
              `${JSON.stringify(eol)} cut at ${i},${j}`,
            ).toEqual(LINES);
            expect(buffered).toBe(0);
            for (const l of lines) {
              if (!l.parts) continue;
              // Parts: more than one, none empty, and views of the chunks read (nothing copied).
              expect(l.parts.length).toBeGreaterThan(1);
              for (const p of l.parts) {
                expect(p.length).toBeGreaterThan(0);
                expect(p.buffer).toBe(stream.buffer);
              }
            }
          }
        }
      }
    }
  });

  it('holds an unfinished line, counts it, and forgets it on clear', () => {
    const splitter = new LineSplitter();
    const seen: string[] = [];
    splitter.push(Buffer.from('{"a":'), (b) => seen.push(b.toString()));
    splitter.push(Buffer.from('1'), (b) => seen.push(b.toString()));
    expect(splitter.buffered).toBe(6);
    splitter.clear();
    expect(splitter.buffered).toBe(0);
    splitter.push(Buffer.from('{"b":2}\n'), (b) => seen.push(b.toString()));
    expect(seen).toEqual(['{"b":2}']);
  });

  it('hands a lone CR chunk before the newline as the end of the line, not as a part', () => {
    const got: (string | string[])[] = [];
    const splitter = new LineSplitter();
    for (const c of ['{"a":', '1}', '\r', '\n']) {
      splitter.push(
        Buffer.from(c),
        (b) => got.push(b.toString()),
        (parts) => got.push(parts.map(String)),
      );
    }
    expect(got).toEqual([['{"a":', '1}']]);
  });
});
