import { describe, expect, it } from 'vitest';
import { encodeRawResponse, materialize, RawJson, readRawResponse } from '../../src/protocol/rawJson.js';

const line = (value: unknown) => Buffer.from(JSON.stringify(value));
const big = 'x'.repeat(2000);

/** Results of many shapes: nested containers, escapes, unicode, numbers, literals, empty ones. */
const RESULTS: Record<string, unknown>[] = [
  { content: [{ type: 'text', text: big }] },
  { content: [{ type: 'text', text: `quote " backslash \\ newline \n tab \t ${big}` }], isError: true },
  { content: [{ type: 'text', text: `emoji 😀 ü ${big}`, _meta: { a: [1, -2.5e3, true, false, null, {}, []] } }] },
  { contents: [{ uri: 'file:///a', text: big }], _meta: { 'io.modelcontextprotocol/x': 1 } },
  { structuredContent: { rows: Array.from({ length: 200 }, (_, i) => ({ i, v: i / 3, s: `r${i}` })) }, content: [] },
  { content: [{ type: 'text', text: `ends with backslash \\\\ ${big}\\` }], resultType: 'complete' },
  { messages: [[[[{ deep: [[[big]]] }]]]], description: 'nested' },
];

describe('raw results', () => {
  it('keeps every large member as the bytes it came in, and the rest parsed, for results of every shape', () => {
    for (const result of RESULTS) {
      const read = readRawResponse(line({ jsonrpc: '2.0', id: 7, result }), 1000);
      expect(read, JSON.stringify(result).slice(0, 80)).toBeDefined();
      expect(read?.id).toBe(7);
      const members = read?.result as Record<string, unknown>;
      for (const [k, v] of Object.entries(result)) {
        const size = JSON.stringify(v).length;
        if (size >= 1000 && !['_meta', 'isError', 'resultType'].includes(k)) expect(members[k]).toBeInstanceOf(RawJson);
        else expect(members[k]).toEqual(v);
      }
      // Every way out gives the same JSON: parsed, re-serialized, or written with the raw bytes.
      expect(materialize(members)).toEqual(result);
      expect(JSON.parse(JSON.stringify(members))).toEqual(result);
      const wire = encodeRawResponse({ jsonrpc: '2.0', id: 'abc', result: { ...members, added: [1] } });
      expect(wire?.at(-1)).toBe(10);
      expect(JSON.parse(wire?.toString() ?? '')).toEqual({
        jsonrpc: '2.0',
        id: 'abc',
        result: { ...result, added: [1] },
      });
    }
  });

  it('reads nothing raw from a line that is not a plain success response or not well-formed JSON', () => {
    const body = { content: [{ type: 'text', text: big }] };
    const text = JSON.stringify({ jsonrpc: '2.0', id: 1, result: body });
    const bad = [
      JSON.stringify({ jsonrpc: '2.0', id: 1, error: { code: 1, message: big } }),
      JSON.stringify({ jsonrpc: '2.0', method: 'x', params: body }),
      JSON.stringify({ jsonrpc: '1.0', id: 1, result: body }),
      JSON.stringify({ jsonrpc: '2.0', id: 1.5, result: body }),
      JSON.stringify({ jsonrpc: '2.0', id: 1, result: body, extra: 1 }),
      JSON.stringify({ jsonrpc: '2.0', id: 1, result: [body] }),
      JSON.stringify({ jsonrpc: '2.0', id: 1, result: { a: 1 } }), // nothing large: parsed as usual
      text.slice(0, -1),
      `${text}x`,
      text.replace('[{', '[,{'),
      text.replace('}]', '}}'),
      text.replace('"text","text"', '"text" "text"'),
      text.replace(`${big}"`, `${big}`),
      text.replace('"type":', '"type"'),
      text.replace('[{', '[{"n":01x,'),
      '{"jsonrpc":"2.0","id":1,"result":{"__proto__":[1],"content":"' + big + '"}}',
      '{"jsonrpc":"2.0","id":1,"id":2,"result":{"content":"' + big + '"}}',
    ];
    for (const b of bad) expect(readRawResponse(Buffer.from(b), 1000), b.slice(0, 120)).toBeUndefined();
    expect(readRawResponse(Buffer.from(` \t${text}\r\n `), 1000)).toBeDefined();
  });

  it('writes a response without raw members the usual way (no encoding of its own)', () => {
    expect(encodeRawResponse({ jsonrpc: '2.0', id: 1, result: { content: [] } })).toBeUndefined();
    expect(encodeRawResponse({ jsonrpc: '2.0', method: 'x' })).toBeUndefined();
  });

  it('says when raw text may hold a URI that mapping rewrites', () => {
    const raw = (v: unknown) => new RawJson(Buffer.from(JSON.stringify(v)));
    expect(raw([{ type: 'text', text: big }]).mayHoldUris()).toBe(false);
    expect(raw([{ type: 'resource_link', uri: 'a://b' }]).mayHoldUris()).toBe(true);
    expect(raw([{ _meta: { ui: { resourceUri: 'a://b' } } }]).mayHoldUris()).toBe(true);
    expect(raw([{ _meta: { 'openai/outputTemplate': 'a://b' } }]).mayHoldUris()).toBe(true);
    expect(new RawJson(Buffer.from('[{"\\u0075ri":"a://b"}]')).mayHoldUris()).toBe(true);
  });
});
