/**
 * The early stdio reader answers a plain 2025-era initialize at once and nothing else; whatever it read
 * goes back to the frontend byte for byte and in order, with the rest of stdin after it, also when
 * stdin has already ended.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { type EarlyStdio, readStdioEarly } from '../../src/frontends/earlyStdio.js';
import { waitFor } from '../helpers/wait.js';

const INIT = {
  jsonrpc: '2.0',
  id: 7,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
};
const line = (m: unknown) => `${JSON.stringify(m)}\n`;
const RESULT = { protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 'p', version: '1' } };

function setup() {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  let written = '';
  stdout.on('data', (c: Buffer) => {
    written += c.toString('utf8');
  });
  const asked: unknown[] = [];
  const early = readStdioEarly(stdin, stdout, (request) => {
    asked.push(request);
    return RESULT;
  });
  return { stdin, stdout, early, asked, written: () => written };
}

/** Everything the frontend reads from the handed-over stream until `expected` bytes came or it ended. */
async function readAll(stream: NodeJS.ReadableStream, expected?: number): Promise<string> {
  let text = '';
  const done = new Promise<void>((resolve) => {
    stream.on('data', (c: Buffer) => {
      text += c.toString('utf8');
      if (expected !== undefined && Buffer.byteLength(text) >= expected) resolve();
    });
    stream.once('end', () => resolve());
  });
  stream.resume();
  await done;
  return text;
}

/** Until the reader has decided about the first message (or `ms` passed: then it is still waiting). */
const decidedWithin = (early: EarlyStdio, ms = 200) =>
  Promise.race([early.decided.then(() => true), new Promise((r) => setTimeout(() => r(false), ms))]);

describe('the early stdio reader', () => {
  test('answers a plain initialize once, and hands every byte over in order, the rest of stdin after it', async () => {
    const s = setup();
    const first = line(INIT) + line({ jsonrpc: '2.0', method: 'notifications/initialized' });
    s.stdin.write(first);
    await s.early.decided;
    await waitFor(() => s.written().length > 0, 'the answer');
    expect(s.written()).toBe(line({ jsonrpc: '2.0', id: 7, result: RESULT }));
    expect(s.asked).toEqual([{ id: 7, params: INIT.params }]);
    const later = line({ jsonrpc: '2.0', id: 8, method: 'tools/list' });
    s.stdin.write(later);
    const handed = s.early.handOver();
    expect(handed.answered).toEqual({ id: 7, result: RESULT });
    expect(await readAll(handed.stdin, Buffer.byteLength(first + later))).toBe(first + later);
    expect(s.written()).toBe(line({ jsonrpc: '2.0', id: 7, result: RESULT }));
  });

  test('a first line in pieces, after blank lines, with a string id', async () => {
    const s = setup();
    const text = `\n  \r\n${line({ ...INIT, id: 'abc' })}`;
    s.stdin.write(text.slice(0, 30));
    expect(await decidedWithin(s.early, 50)).toBe(false);
    s.stdin.write(text.slice(30));
    await s.early.decided;
    expect(s.early.handOver().answered?.id).toBe('abc');
  });

  const unusual: [string, string][] = [
    ['a 2026-07-28 server/discover', line({ jsonrpc: '2.0', id: 1, method: 'server/discover', params: {} })],
    [
      'an initialize with a _meta (the 2026-07-28 envelope)',
      line({ ...INIT, params: { ...INIT.params, _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } } }),
    ],
    ['a batch', line([INIT])],
    ['a line that is not JSON', 'initialize please\n'],
    ['a notification first', line({ jsonrpc: '2.0', method: 'notifications/initialized' })],
    ['an initialize with another member', line({ ...INIT, extra: 1 })],
    ['an initialize without an id', line({ ...INIT, id: undefined })],
    ['an initialize with a fractional id', line({ ...INIT, id: 1.5 })],
    ['an initialize without clientInfo', line({ ...INIT, params: { ...INIT.params, clientInfo: undefined } })],
    [
      'an initialize with a malformed capability',
      line({ ...INIT, params: { ...INIT.params, capabilities: { roots: { listChanged: 'yes' } } } }),
    ],
    [
      'an initialize with task capabilities',
      line({ ...INIT, params: { ...INIT.params, capabilities: { tasks: {} } } }),
    ],
    ['an initialize with jsonrpc 1.0', line({ ...INIT, jsonrpc: '1.0' })],
  ];
  test.each(unusual)('leaves %s to the frontend untouched', async (_label, text) => {
    const s = setup();
    const rest = line({ jsonrpc: '2.0', id: 2, method: 'ping' });
    s.stdin.write(text + rest);
    await s.early.decided;
    const handed = s.early.handOver();
    expect(handed.answered).toBeUndefined();
    expect(s.asked).toEqual([]);
    expect(await readAll(handed.stdin, Buffer.byteLength(text + rest))).toBe(text + rest);
    expect(s.written()).toBe('');
  });

  test('answers an initialize with the client capabilities and clientInfo members the SDK accepts', async () => {
    const s = setup();
    const capabilities = {
      roots: { listChanged: true },
      sampling: { tools: {} },
      elicitation: { form: { applyDefaults: true }, url: {} },
      experimental: { x: {} },
      somethingNew: 42,
    };
    const clientInfo = { name: 'c', version: '2', title: 'C', description: 'A client' };
    s.stdin.write(line({ ...INIT, params: { ...INIT.params, capabilities, clientInfo } }));
    await s.early.decided;
    expect(s.early.handOver().answered?.id).toBe(7);
  });

  test('stdin that ended during the early phase: the bytes read, then the end', async () => {
    const s = setup();
    const text = line(INIT) + line({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    s.stdin.end(text);
    await s.early.decided;
    // Read on to the end, as a client that closed at once leaves it.
    s.stdin.resume();
    await waitFor(() => s.stdin.readableEnded, 'the end of stdin');
    const handed = s.early.handOver();
    expect(handed.stdin).not.toBe(s.stdin);
    expect(await readAll(handed.stdin)).toBe(text);
  });

  test('stdin closed right after the first message, its end not seen yet: the frontend still reads all, then the end', async () => {
    const s = setup();
    const text = line(INIT) + line({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    s.stdin.end(text);
    await s.early.decided;
    expect(await readAll(s.early.handOver().stdin)).toBe(text);
  });

  test('nothing sent: hands over an untouched stdin, and stop() leaves it paused', async () => {
    const s = setup();
    expect(await decidedWithin(s.early, 30)).toBe(false);
    const handed = s.early.handOver();
    expect(handed).toEqual({ stdin: s.stdin, answered: undefined });
    const s2 = setup();
    s2.early.stop();
    expect(s2.stdin.isPaused()).toBe(true);
    expect(s2.stdin.listenerCount('readable')).toBe(0);
  });
});
