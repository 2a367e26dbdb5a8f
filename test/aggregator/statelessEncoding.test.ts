/**
 * A stateless result's 2026-07-28 encoding as JSON text: what it adds (empty content, resultType,
 * cache fields, the server's identity) and what it leaves (a result's own members and `_meta`), each
 * member written once, and the handler's object never changed (it may be a cached result).
 */
import { describe, expect, test } from 'vitest';
import { ResultEncoder } from '../../src/aggregator/statelessEncoding.js';

const INFO = { name: 'proxy', version: '1.2.3' };
const SERVER = { 'io.modelcontextprotocol/serverInfo': INFO };
const encoder = new ResultEncoder(INFO);

/** The result's own member names as written, in order (JSON.parse would keep a repeated one silently). */
function members(text: string): string[] {
  const names: string[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const end = text.indexOf('"', i + 1);
      if (depth === 1 && text[end + 1] === ':') names.push(text.slice(i + 1, end));
      i = end;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return names;
}

const cases: [string, string, Record<string, unknown>, Record<string, unknown>][] = [
  [
    'a tool result',
    'tools/call',
    { content: [{ type: 'text', text: 'hi' }] },
    { content: [{ type: 'text', text: 'hi' }], resultType: 'complete', _meta: SERVER },
  ],
  [
    'a tool result without content',
    'tools/call',
    { structuredContent: { a: 1 } },
    { structuredContent: { a: 1 }, content: [], resultType: 'complete', _meta: SERVER },
  ],
  ['an empty tool result', 'tools/call', {}, { content: [], resultType: 'complete', _meta: SERVER }],
  [
    'members present but undefined',
    'tools/call',
    { content: undefined, resultType: undefined, _meta: undefined, isError: true },
    { isError: true, content: [], resultType: 'complete', _meta: SERVER },
  ],
  [
    'a task result (no empty content)',
    'tools/call',
    { task: { id: 't' } },
    { task: { id: 't' }, resultType: 'complete', _meta: SERVER },
  ],
  [
    'an input round',
    'tools/call',
    { resultType: 'input_required', requestState: 's' },
    { resultType: 'input_required', requestState: 's', _meta: SERVER },
  ],
  [
    'a result with its own _meta',
    'prompts/get',
    { messages: [], _meta: { k: 1 } },
    { messages: [], resultType: 'complete', _meta: { k: 1, ...SERVER } },
  ],
  [
    'a result naming a server already',
    'completion/complete',
    { completion: { values: [] }, _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'up', version: '0' } } },
    {
      completion: { values: [] },
      resultType: 'complete',
      _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'up', version: '0' } },
    },
  ],
  [
    'a read result',
    'resources/read',
    { contents: [], ttlMs: -1, cacheScope: 'weird' },
    { contents: [], ttlMs: 0, cacheScope: 'private', resultType: 'complete', _meta: SERVER },
  ],
  [
    'a read result with cache fields',
    'resources/read',
    { contents: [], ttlMs: 5, cacheScope: 'public' },
    { contents: [], ttlMs: 5, cacheScope: 'public', resultType: 'complete', _meta: SERVER },
  ],
];

describe('ResultEncoder', () => {
  test.each(cases)('%s', (_name, method, raw, expected) => {
    const before = structuredClone(raw);
    const text = encoder.encode(method, raw);
    expect(JSON.parse(text)).toEqual(expected);
    const names = members(text);
    expect(new Set(names).size).toBe(names.length);
    expect(raw).toEqual(before);
  });

  test('a resultType other than complete is refused where the revision allows only complete', () => {
    expect(() => encoder.encode('completion/complete', { completion: {}, resultType: 'input_required' })).toThrow(
      /only support 'complete'/,
    );
  });
});
