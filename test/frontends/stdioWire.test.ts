/** The stdio frontend's wire reads newline-delimited JSON-RPC as the SDK's transport does. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { stdioWire } from '../../src/frontends/stdioWire.js';
import { RawJson, READS_RAW } from '../../src/protocol/rawJson.js';

async function read(chunks: (string | Buffer)[], raw = false) {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const wire = stdioWire(stdin, stdout);
  (wire as unknown as Record<symbol, unknown>)[READS_RAW] = raw ? () => true : undefined;
  const messages: unknown[] = [];
  const errors: string[] = [];
  wire.onmessage = (m) => messages.push(m);
  wire.onerror = (e) => errors.push(e.message);
  await wire.start();
  for (const c of chunks) {
    stdin.write(c);
    await new Promise((r) => setImmediate(r));
  }
  await wire.close();
  return { messages, errors };
}

describe('stdio frontend wire', () => {
  it('a request its client cancelled is not pending (shutdown waits for none of them)', async () => {
    const stdin = new PassThrough();
    const wire = stdioWire(stdin, new PassThrough());
    wire.onmessage = () => {};
    await wire.start();
    const lines = [
      { jsonrpc: '2.0', id: 1, method: 'ping' },
      { jsonrpc: '2.0', id: 2, method: 'ping' },
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } },
      // Cancelled before it came: never pending.
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 3 } },
      { jsonrpc: '2.0', id: 3, method: 'ping' },
    ];
    stdin.write(lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    await new Promise((r) => setImmediate(r));
    expect(wire.pendingRequests()).toBe(1);
    await wire.close();
  });

  it('abandonPending answers each unanswered request once with the reason, and drops its late answer', async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const wire = stdioWire(stdin, stdout);
    wire.onmessage = () => {};
    await wire.start();
    stdin.write('{"jsonrpc":"2.0","id":1,"method":"ping"}\n{"jsonrpc":"2.0","id":"b","method":"ping"}\n');
    await new Promise((r) => setImmediate(r));
    await wire.send({ jsonrpc: '2.0', id: 1, result: {} });
    expect(wire.pendingRequests()).toBe(1);
    wire.abandonPending('shutting down');
    expect(wire.pendingRequests()).toBe(0);
    await wire.send({ jsonrpc: '2.0', id: 'b', result: {} });
    await wire.close();
    const lines = String(stdout.read())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { jsonrpc: '2.0', id: 1, result: {} },
      { jsonrpc: '2.0', id: 'b', error: { code: -32603, message: 'shutting down' } },
    ]);
  });

  it('delivers messages split across chunks and ended by CRLF; skips lines that are not JSON', async () => {
    const call = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'a', arguments: { x: 1 } } };
    const text = JSON.stringify(call);
    const { messages, errors } = await read([
      'not json at all\n',
      text.slice(0, 10),
      `${text.slice(10)}\r\n`,
      '{"jsonrpc":"2.0","method":"notifications/initialized"}\n',
    ]);
    expect(messages).toEqual([call, { jsonrpc: '2.0', method: 'notifications/initialized' }]);
    expect(errors).toEqual([]);
  });

  it('reads a line that starts with a byte-order mark (some Windows tools write one), also split from it', async () => {
    const ping = { jsonrpc: '2.0', id: 1, method: 'ping' };
    const { messages, errors } = await read([
      Buffer.from([0xef, 0xbb]),
      Buffer.concat([Buffer.from([0xbf]), Buffer.from(`${JSON.stringify(ping)}\r\n`)]),
      `\uFEFF${JSON.stringify({ ...ping, id: 2 })}\n`,
    ]);
    expect(messages).toEqual([ping, { ...ping, id: 2 }]);
    expect(errors).toEqual([]);
  });

  it('reports JSON that is not JSON-RPC and goes on with the next line', async () => {
    const { messages, errors } = await read([
      '{"jsonrpc":"2.0","id":1.5,"method":"ping"}\n{"jsonrpc":"2.0","id":2,"method":"ping"}\n',
    ]);
    expect(messages).toEqual([{ jsonrpc: '2.0', id: 2, method: 'ping' }]);
    expect(errors).toEqual([expect.stringMatching(/not a JSON-RPC 2.0/)]);
  });

  it('reads a long tools/call with its arguments raw only once its consumer takes them', async () => {
    const args = { text: `${'x'.repeat(40_000)} "q" \\ 😀` };
    const call = { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'a', arguments: args } };
    const text = JSON.stringify(call);
    const chunks = [text.slice(0, 1000), text.slice(1000, 30_000), `${text.slice(30_000)}\n`];
    const parsed = await read(chunks);
    expect(parsed.messages).toEqual([call]);
    const taken = await read(chunks, true);
    const params = (taken.messages[0] as { params: { arguments: RawJson } }).params;
    expect(params.arguments).toBeInstanceOf(RawJson);
    expect(params.arguments.bytes.toString()).toBe(JSON.stringify(args));
    expect(JSON.parse(JSON.stringify(taken.messages[0]))).toEqual(call);
    // A long line that is not JSON is skipped as any other.
    const junk = await read([`${text.slice(0, -1)}\n`, '{"jsonrpc":"2.0","id":2,"method":"ping"}\n'], true);
    expect(junk.messages).toEqual([{ jsonrpc: '2.0', id: 2, method: 'ping' }]);
    expect(junk.errors).toEqual([]);
  });

  it('keeps raw arguments that came in many chunks as slices of them, cut inside characters and escapes', async () => {
    const args = { text: `${'x'.repeat(20_000)}😀"\\ é${'y'.repeat(20_000)}` };
    const call = { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'a', arguments: args } };
    const bytes = Buffer.from(`${JSON.stringify(call)}\r\n`);
    const emoji = bytes.indexOf('😀');
    const backslashes = bytes.indexOf('\\\\');
    const cuts = [5, 9000, emoji + 1, emoji + 3, backslashes + 1, 30_000, bytes.length - 2, bytes.length - 1];
    const chunks = cuts.map((c, i) => bytes.subarray(cuts[i - 1] ?? 0, c));
    chunks.push(bytes.subarray(bytes.length - 1));
    const { messages, errors } = await read(chunks, true);
    expect(errors).toEqual([]);
    const raw = (messages[0] as { params: { arguments: RawJson } }).params.arguments;
    expect(raw).toBeInstanceOf(RawJson);
    expect(raw.parts.length).toBeGreaterThan(1);
    expect(raw.bytes.toString()).toBe(JSON.stringify(args));
    expect(raw.value()).toEqual(args);
    expect(JSON.parse(JSON.stringify(messages[0]))).toEqual(call);
  });
});
