import { describe, expect, it } from 'vitest';
import {
  encodeRawResponse,
  materialize,
  materializeParams,
  RawJson,
  rawParts,
  readRawResponse,
  readRawToolCall,
  releaseMembers,
} from '../../src/protocol/rawJson.js';

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

/** tools/call arguments of many shapes: escapes, unicode, nested containers, numbers, literals. */
const ARGUMENTS: Record<string, unknown>[] = [
  { text: big },
  { text: `quote " backslash \\ newline \n tab \t \u0000 \u2028 ${big}`, n: -1.5e-3 },
  { text: `emoji 😀 ü 中 ${big}\\`, nested: { deep: [[[{ a: [true, false, null, {}, []] }]]] } },
  { rows: Array.from({ length: 300 }, (_, i) => ({ i, s: `r${i}`, f: i / 7 })) },
  { '': big, 'key with "quote"': 1, ü: [big] },
];

describe('raw tools/call arguments', () => {
  it('keeps large arguments as the exact bytes the client sent, the rest of the request parsed', () => {
    for (const args of ARGUMENTS) {
      for (const meta of [undefined, { progressToken: 'p1' }]) {
        const params = { name: 'srv__echo', arguments: args, ...(meta ? { _meta: meta } : {}) };
        const message = { jsonrpc: '2.0', id: 'req-9', method: 'tools/call', params };
        // Whitespace as a client may format it: the raw span is the client's own text.
        const text = JSON.stringify(message, null, 1).replaceAll('\n', ' ');
        const line = Buffer.from(text);
        const read = readRawToolCall(line, 1000);
        expect(read, JSON.stringify(args).slice(0, 80)).toBeDefined();
        expect(read?.id).toBe('req-9');
        expect(read?.params.name).toBe('srv__echo');
        expect(read?.params._meta).toEqual(meta);
        const raw = read?.params.arguments as RawJson;
        expect(raw).toBeInstanceOf(RawJson);
        // The client's own bytes, not a copy: a view of the line read.
        expect(raw.bytes.buffer).toBe(line.buffer);
        expect(text).toContain(raw.bytes.toString());
        expect(raw.bytes.toString()).toMatch(/^\{.*\}$/s);
        expect(raw.value()).toEqual(args);
        expect(materializeParams(read)).toEqual(message);
        // Written out, the message is the request the client sent, with the arguments' bytes as they came.
        const parts = rawParts({ ...read, id: 4, params: { ...read?.params, name: 'echo' } }) as Buffer[];
        expect(parts).toContain(raw.bytes);
        const wire = Buffer.concat(parts);
        expect(wire.at(-1)).toBe(10);
        expect(wire.includes(raw.bytes)).toBe(true);
        expect(JSON.parse(wire.toString())).toEqual({ ...message, id: 4, params: { ...params, name: 'echo' } });
      }
    }
  });

  it('reads nothing raw from a request that is not a plain tools/call with large object arguments', () => {
    const args = { text: big };
    const call = (over: Record<string, unknown>, params: Record<string, unknown> = {}) =>
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        ...over,
        params: { name: 'a', arguments: args, ...params },
      });
    const text = call({});
    const bad = [
      call({ method: 'prompts/get' }),
      call({ id: 1.5 }),
      call({ jsonrpc: '1.0' }),
      call({ extra: 1 }),
      call({}, { arguments: [big] }),
      call({}, { arguments: big }),
      call({}, { arguments: { text: 'small' } }),
      JSON.stringify({ jsonrpc: '2.0', method: 'tools/call', params: { name: 'a', arguments: args } }),
      JSON.stringify({ jsonrpc: '2.0', id: 1, result: { content: args } }),
      text.slice(0, -1),
      `${text}x`,
      text.replace('{"text":', '{"text"::'),
      text.replace(`${big}"`, big),
      text.replace('"name":"a"', '"name":"a","name":"b"'),
      text.replace('"name":"a"', '"name":"a","__proto__":{}'),
      text.replace('{"text"', '{"a":tru,"text"'),
    ];
    for (const b of bad) expect(readRawToolCall(Buffer.from(b), 1000), b.slice(0, 120)).toBeUndefined();
    expect(readRawToolCall(Buffer.from(` \t${text}\r `), 1000)).toBeDefined();
    // Nor for a tool whose arguments its reader would parse anyway.
    const asked: unknown[] = [];
    const accept = (tool: unknown) => asked.push(tool) > 0 && tool !== 'a';
    expect(readRawToolCall(Buffer.from(text), 1000, accept)).toBeUndefined();
    expect(asked).toEqual(['a']);
  });

  it('parses a message whose params hold nothing raw as the message itself', () => {
    const m = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'a', arguments: { x: 1 } } };
    expect(materializeParams(m)).toBe(m);
    expect(rawParts(m)).toBeUndefined();
    expect(rawParts({ jsonrpc: '2.0', method: 'notifications/initialized' })).toBeUndefined();
  });
});

describe('raw members read across the chunks a line came in', () => {
  const small = 'y'.repeat(150);
  const results: Record<string, unknown>[] = [
    { content: [{ type: 'text', text: `q " b \\ n \n é 😀 中 ${small}\\` }], isError: false },
    { contents: [{ uri: 'file:///a', text: small }], _meta: { k: [1, -2.5e3, true, null] } },
    { structuredContent: { rows: [{ i: 1, v: 0.5 }, { s: small }] }, content: [] },
  ];
  /** `bytes` in two or three chunks, for every first cut and a few second cuts after it. */
  function* everyCut(bytes: Buffer): Generator<Buffer[]> {
    for (let i = 1; i < bytes.length; i++) {
      for (const j of [i, i + 1, i + 4]) {
        yield [bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)].filter((b) => b.length > 0);
      }
    }
  }

  it('reads a response the same in chunks as whole, its raw members slices of the chunks', () => {
    for (const result of results) {
      for (const id of [7, 'req-"9"']) {
        const line = Buffer.from(JSON.stringify({ jsonrpc: '2.0', result, id }));
        const whole = readRawResponse(line, 100);
        expect(whole).toBeDefined();
        const wire = encodeRawResponse({ jsonrpc: '2.0', id: 1, result: whole?.result });
        const wrong: string[] = [];
        for (const parts of everyCut(line)) {
          const read = readRawResponse(parts, 100);
          const same =
            read?.id === id &&
            JSON.stringify(materialize(read.result)) === JSON.stringify(result) &&
            encodeRawResponse({ jsonrpc: '2.0', id: 1, result: read.result })?.equals(wire as Buffer) &&
            Object.values(read.result).every(
              (v) => !(v instanceof RawJson) || v.parts.every((p) => p.buffer === line.buffer),
            );
          if (!same) wrong.push(parts.map((p) => p.length).join('+'));
        }
        expect(wrong).toEqual([]);
      }
    }
  });

  it('reads a tools/call the same in chunks as whole, and refuses a broken one wherever it is cut', () => {
    const args = { text: `q " b \\ é 😀 ${small}`, n: [1, { m: null }] };
    const text = JSON.stringify({
      method: 'tools/call',
      params: { name: 'a', arguments: args },
      jsonrpc: '2.0',
      id: 3,
    });
    const wrong: string[] = [];
    for (const parts of everyCut(Buffer.from(text))) {
      const read = readRawToolCall(parts, 100);
      const raw = read?.params.arguments;
      const same =
        read?.id === 3 &&
        read.params.name === 'a' &&
        raw instanceof RawJson &&
        raw.bytes.toString() === JSON.stringify(args) &&
        raw.length === Buffer.byteLength(JSON.stringify(args)) &&
        JSON.stringify(raw.value()) === JSON.stringify(args);
      if (!same) wrong.push(parts.map((p) => p.length).join('+'));
    }
    expect(wrong).toEqual([]);
    for (const bad of [text.replace(`${small}"`, small), text.replace('"id":3', '"id":3.5'), text.slice(0, -1)]) {
      const taken = [...everyCut(Buffer.from(bad))].filter((parts) => readRawToolCall(parts, 100) !== undefined);
      expect(taken).toEqual([]);
    }
  });

  it('finds a URI key in raw text also where it is cut between chunks, a part shorter than the key included', () => {
    for (const key of ['uri', 'resourceUri', 'openai/outputTemplate', '\\u0075ri']) {
      const bytes = Buffer.from(`[{"text":"${small}","${key}":"a://b"}]`);
      for (let i = 1; i < bytes.length; i++) {
        const raw = new RawJson([bytes.subarray(0, i), bytes.subarray(i)]);
        expect(raw.mayHoldUris(), `${key} cut at ${i}`).toBe(true);
        // A part shorter than the key: the key spans three parts.
        for (const width of [1, 2]) {
          const three = new RawJson([bytes.subarray(0, i), bytes.subarray(i, i + width), bytes.subarray(i + width)]);
          expect(three.mayHoldUris(), `${key} cut at ${i} and ${i + width}`).toBe(true);
        }
      }
    }
    const plain = Buffer.from(`[{"text":"${small}","ur":"i"}]`);
    for (let i = 1; i < plain.length; i++) {
      expect(new RawJson([plain.subarray(0, i), plain.subarray(i)]).mayHoldUris()).toBe(false);
    }
  });

  it('says a raw member may hold a URI exactly when a key a URI may sit under occurs in it, in random results', () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return Math.floor((seed / 2 ** 31) * n);
    };
    const keys = ['uri', 'resourceUri', 'openai/outputTemplate', 'text', 'uris', 'ur', 'Template', 'x"uri', 'é'];
    const uriKey = (k: string) => /(uri|Uri|Template)$/.test(k);
    const gen = (depth: number): unknown => {
      const kind = depth > 3 ? rand(3) : rand(5);
      if (kind === 0) return rand(2) ? `s "uri": \\ ${'z'.repeat(rand(40))}` : rand(1000) - 500;
      if (kind === 1) return [true, null, -1.5e-3][rand(3)];
      if (kind === 2) return 'uri"Uri"Template"';
      if (kind === 3) return Array.from({ length: rand(4) }, () => gen(depth + 1));
      return Object.fromEntries(Array.from({ length: rand(4) }, () => [keys[rand(keys.length)], gen(depth + 1)]));
    };
    const hasUriKey = (v: unknown): boolean =>
      Array.isArray(v)
        ? v.some(hasUriKey)
        : typeof v === 'object' && v !== null && Object.entries(v).some(([k, x]) => uriKey(k) || hasUriKey(x));
    let holding = 0;
    for (let i = 0; i < 400; i++) {
      const content = [gen(0), small];
      const read = readRawResponse(line({ jsonrpc: '2.0', id: 1, result: { content } }), 100);
      const raw = read?.result as { content?: RawJson };
      expect(raw.content).toBeInstanceOf(RawJson);
      expect(raw.content?.mayHoldUris(), JSON.stringify(content[0])).toBe(hasUriKey(content));
      if (hasUriKey(content)) holding++;
    }
    expect(holding).toBeGreaterThan(40);
    expect(holding).toBeLessThan(360);
  });

  it('knows from the scan of a response whether a raw member has a key a URI may sit under, wherever the line is cut', () => {
    const holding = [
      [{ type: 'resource_link', uri: 'a://b', text: small }],
      [{ type: 'text', text: small, _meta: { ui: { resourceUri: 'a://b' } } }],
      [{ type: 'text', text: small, _meta: { 'openai/outputTemplate': 'a://b' } }],
      [{ type: 'text', text: small, deep: [[{ x: { uri: 1 } }]] }],
    ];
    // Key names only count: a URI-like word in a string value, or a key that merely contains one, does not.
    const free = [
      [{ type: 'text', text: `${small} "uri": "a://b" Uri" Template" \\u0075ri` }],
      [{ type: 'text', text: small, uris: 1, urinal: 2, templates: 3 }],
    ];
    const cases: [unknown, boolean][] = [
      ...holding.map((c): [unknown, boolean] => [c, true]),
      ...free.map((c): [unknown, boolean] => [c, false]),
      [[{ type: 'text', text: small }], false],
    ];
    const escaped = Buffer.from(
      `{"jsonrpc":"2.0","id":1,"result":{"content":[{"\\u0075ri":"a://b","text":"${small}"}]}}`,
    );
    const lines: [Buffer, boolean][] = cases.map(([content, expected]) => [
      Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 1, result: { content } })),
      expected,
    ]);
    lines.push([escaped, true]);
    for (const [bytes, expected] of lines) {
      for (const parts of [[bytes], ...everyCut(bytes)]) {
        const content = readRawResponse(parts, 100)?.result as { content?: unknown } | undefined;
        expect(content?.content).toBeInstanceOf(RawJson);
        const raw = content?.content as RawJson;
        // The scan's answer, and the byte search's (a RawJson made of the same parts, a key cut in three included).
        expect(raw.mayHoldUris(), bytes.toString().slice(40, 120)).toBe(expected);
        if (expected) expect(new RawJson(raw.parts).mayHoldUris()).toBe(true);
      }
    }
  });
});

describe('releasing raw bytes', () => {
  it('lets go of the bytes, keeps the length and a value parsed before, and refuses to read them after', () => {
    const parsed = new RawJson([Buffer.from('{"a":'), Buffer.from('[1,2]}')]);
    const unread = new RawJson(Buffer.from('{"b":"x"}'));
    expect(parsed.value()).toEqual({ a: [1, 2] });
    const body = { content: parsed, other: unread, plain: { c: 1 }, n: 1 };
    releaseMembers(body);
    releaseMembers(undefined);
    expect(parsed.length).toBe(11);
    expect(parsed.value()).toEqual({ a: [1, 2] });
    expect(body.plain).toEqual({ c: 1 });
    for (const read of [() => unread.value(), () => unread.bytes, () => parsed.parts, () => unread.mayHoldUris()]) {
      expect(read).toThrow('raw JSON read after it was released');
    }
    expect(() => rawParts({ jsonrpc: '2.0', id: 1, result: body })).toThrow(/released/);
  });
});
