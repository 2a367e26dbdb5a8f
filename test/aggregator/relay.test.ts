/**
 * Every forwarded request type keeps its semantics through the proxy, on an upstream of each protocol
 * era: tools/call, prompts/get, resources/read and completion/complete reach the right server under
 * its own names and come back under the public ones; progress reaches the caller under its own
 * token; a cancelled call ends at once and leaves nothing in flight; a slow upstream times out with
 * the upstream named; upstream errors and unknown names come back as JSON-RPC errors. The upstream
 * is the echo fixture as a real child process; the Aggregator runs in this process.
 */
import { PassThrough } from 'node:stream';
import {
  Client,
  InMemoryTransport,
  type JSONRPCMessage,
  ProtocolError,
  type Transport,
} from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { createDynamicToolsMode } from '../../src/aggregator/dynamicTools.js';
import { Aggregator } from '../../src/aggregator/server.js';
import type { AuditRecord } from '../../src/audit/record.js';
import { createCallAuditor } from '../../src/audit/recorder.js';
import { stdioWire } from '../../src/frontends/stdioWire.js';
import { silentLogger } from '../../src/observability/logger.js';
import { RawJson } from '../../src/protocol/rawJson.js';
import { UpstreamPool } from '../../src/upstream/pool.js';
import { ProcessStdioTransport } from '../../src/upstream/stdioTransport.js';
import { ECHO, NODE } from '../helpers/paths.js';

const eras = ['2025-11-25', '2026-07-28'] as const;

interface Setup {
  client: Client;
  agg: Aggregator;
  /** A session on the stdio frontend's wire, in this process. */
  wired: Client;
  /** What the wire wrote to its stdout, one entry per write. */
  writes: (string | Buffer)[];
}

/** A client transport over the two streams of a stdio wire (what a client's pipes carry). */
class StreamTransport implements Transport {
  onmessage?: (m: JSONRPCMessage) => void;
  onclose?: () => void;
  onerror?: (e: Error) => void;
  private pending = '';

  constructor(
    private readonly toServer: PassThrough,
    private readonly fromServer: PassThrough,
  ) {}

  async start(): Promise<void> {
    this.fromServer.on('data', (chunk: Buffer) => {
      this.pending += chunk.toString('utf8');
      for (let nl = this.pending.indexOf('\n'); nl >= 0; nl = this.pending.indexOf('\n')) {
        const line = this.pending.slice(0, nl);
        this.pending = this.pending.slice(nl + 1);
        this.onmessage?.(JSON.parse(line));
      }
    });
  }

  async send(m: JSONRPCMessage): Promise<void> {
    this.toServer.write(`${JSON.stringify(m)}\n`);
  }

  async close(): Promise<void> {
    this.toServer.end();
    this.onclose?.();
  }
}

async function wiredSession(agg: Aggregator): Promise<{ wired: Client; writes: (string | Buffer)[] }> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const writes: (string | Buffer)[] = [];
  const write = stdout.write.bind(stdout);
  // What is written corked goes out as one write (one writev): it is recorded as one, joined.
  let batch: (string | Buffer)[] | undefined;
  const cork = stdout.cork.bind(stdout);
  const uncork = stdout.uncork.bind(stdout);
  stdout.cork = () => {
    batch ??= [];
    cork();
  };
  stdout.uncork = () => {
    const done = batch;
    batch = undefined;
    if (done?.length) writes.push(done.every((w) => Buffer.isBuffer(w)) ? Buffer.concat(done) : done.join(''));
    uncork();
  };
  stdout.write = ((chunk: string | Buffer, ...rest: any[]) => {
    (batch ?? writes).push(chunk);
    return write(chunk, ...rest);
  }) as typeof stdout.write;
  await agg.createServer({ era: 'legacy' }).connect(stdioWire(stdin, stdout));
  const wired = new Client({ name: 'relay-test-wired', version: '1.0.0' });
  await wired.connect(new StreamTransport(stdin, stdout));
  return { wired, writes };
}

const setups = new Map<string, Setup>();
const pools = new Map<string, UpstreamPool>();
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  const logger = silentLogger();
  for (const protocol of eras) {
    const pool = new UpstreamPool({
      configs: {
        echo: { type: 'stdio', command: NODE, args: [ECHO], protocol },
        // The same server with a short request timeout, for the timeout case.
        hasty: { type: 'stdio', command: NODE, args: [ECHO], protocol, timeout: 300 },
      } as any,
      logger,
      env: process.env,
      cwd: process.cwd(),
    });
    closers.push(() => pool.close());
    await pool.start();
    expect(pool.snapshot().map((s) => [s.state, s.protocolVersion])).toEqual([
      ['ready', protocol],
      ['ready', protocol],
    ]);
    const agg = new Aggregator({ pool, logger, separator: '__' });
    pools.set(protocol, pool);
    const { client } = await inMemorySession(agg, 'relay-test');
    closers.unshift(() => client.close());
    const { wired, writes } = await wiredSession(agg);
    closers.unshift(() => wired.close());
    setups.set(protocol, { client, agg, wired, writes });
  }
}, 60_000);

afterAll(async () => {
  for (const close of closers) await close();
});

/** A client on a new 2025-11-25 session of `agg`, over an in-memory pair (its client side for raw sends). */
async function inMemorySession(agg: Aggregator, name: string): Promise<{ client: Client; clientSide: Transport }> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await agg.createServer({ era: 'legacy' }).connect(serverSide);
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(clientSide);
  return { client, clientSide };
}

/** The error a request ends with (the test fails if it succeeds). */
async function failure(p: Promise<unknown>): Promise<ProtocolError> {
  const outcome = await p.then(
    (v) => ({ ok: true as const, v }),
    (e: unknown) => ({ ok: false as const, e }),
  );
  if (outcome.ok) throw new Error(`expected an error, got ${JSON.stringify(outcome.v)}`);
  return outcome.e as ProtocolError;
}

describe.each(eras)('relayed requests, upstream %s', (protocol) => {
  const s = () => setups.get(protocol) as Setup;

  test('tools/call: the result as the server gave it, structured content and tool errors included', async () => {
    const { client } = s();
    expect((await client.callTool({ name: 'echo__echo', arguments: { text: 'hi' } })).content).toEqual([
      { type: 'text', text: 'hi' },
    ]);
    const sum = await client.callTool({ name: 'echo__add', arguments: { a: 2, b: 3 } });
    expect(sum.structuredContent).toEqual({ sum: 5 });
    const failed = await client.callTool({ name: 'echo__fail', arguments: {} });
    expect(failed.isError).toBe(true);
    expect(failed.content).toEqual([{ type: 'text', text: 'echo failed on purpose' }]);
  });

  test('tools/call: unknown names and invalid arguments are JSON-RPC errors or tool errors, not crashes', async () => {
    const { client } = s();
    const unknown = await failure(client.callTool({ name: 'echo__nope', arguments: {} }));
    expect(unknown.code).toBe(-32602);
    expect(unknown.message).toMatch(/Unknown tool: "echo__nope"\. Available: .*echo__echo/);
    // The upstream's own answer to bad arguments comes back as the upstream gave it.
    const bad = await client.callTool({ name: 'echo__echo', arguments: { text: 7 } }).catch((e) => e);
    expect(bad instanceof ProtocolError ? bad.code : bad.isError).toBeTruthy();
  });

  test('requests with params of the wrong shape get the SDK error naming the field', async () => {
    const { client } = s();
    const any = { '~standard': { version: 1, vendor: 'test', validate: (value: unknown) => ({ value }) } } as any;
    for (const [method, params, field] of [
      ['tools/call', { name: 7 }, '"name"'],
      ['prompts/get', { name: 'echo__greet', arguments: { who: 1 } }, '"who"'],
      ['resources/read', {}, '"uri"'],
      ['completion/complete', { ref: { type: 'ref/nothing' }, argument: { name: 'id', value: '1' } }, '"type"'],
    ] as const) {
      const e = await failure(client.request({ method, params } as any, any));
      expect([method, e.code < 0, e.message]).toEqual([method, true, expect.stringContaining(field)]);
    }
  });

  test('prompts/get without a name and resources/read with a non-string uri are invalid params, said plainly', async () => {
    const { client } = s();
    const any = { '~standard': { version: 1, vendor: 'test', validate: (value: unknown) => ({ value }) } } as any;
    for (const [method, params, message] of [
      ['prompts/get', {}, 'Invalid prompts/get params: "name" must be a string (got missing)'],
      ['resources/read', { uri: 5 }, 'Invalid resources/read params: "uri" must be a string (got a number)'],
    ] as const) {
      const e = await failure(client.request({ method, params } as any, any));
      expect([method, e.code, e.message]).toEqual([method, -32602, expect.stringContaining(message)]);
    }
    // The session goes on.
    expect((await client.callTool({ name: 'echo__echo', arguments: { text: 'still here' } })).content).toEqual([
      { type: 'text', text: 'still here' },
    ]);
  });

  test('tools/call: progress reaches the caller under its own token, in order, before the result', async () => {
    const { client } = s();
    const seen: number[] = [];
    const result = await client.callTool(
      { name: 'echo__slow', arguments: { ms: 90, steps: 3 } },
      { onprogress: (p) => seen.push(p.progress) },
    );
    expect(seen).toEqual([1, 2, 3]);
    expect(result.content).toEqual([{ type: 'text', text: 'slept 90' }]);
  });

  test('tools/call: a cancelled call ends at once and leaves nothing in flight; the next call works', async () => {
    const { client, agg } = s();
    const controller = new AbortController();
    const started = Date.now();
    const call = client.callTool({ name: 'echo__slow', arguments: { ms: 20_000 } }, { signal: controller.signal });
    await waitUntil(() => agg.inflight === 1);
    controller.abort('changed my mind');
    await failure(call);
    await waitUntil(() => agg.inflight === 0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await client.callTool({ name: 'echo__echo', arguments: { text: 'again' } })).content).toEqual([
      { type: 'text', text: 'again' },
    ]);
  });

  test('a cancellation that overtakes its request (separate HTTP requests can) stops it before the upstream', async () => {
    const { agg } = s();
    const { client: other, clientSide } = await inMemorySession(agg, 'relay-test-overtaken');
    const seen: JSONRPCMessage[] = [];
    const onmessage = clientSide.onmessage;
    clientSide.onmessage = (m, extra) => {
      seen.push(m);
      onmessage?.(m, extra);
    };
    const call = (id: number) =>
      clientSide.send({
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: { name: 'echo__slow', arguments: { ms: 300 } },
      });
    await clientSide.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 9001 } });
    await call(9001);
    // Not forwarded and not answered; a request under another id still is.
    expect(agg.inflight).toBe(0);
    await call(9002);
    await waitUntil(() => seen.some((m) => 'id' in m && m.id === 9002));
    expect(seen.filter((m) => 'id' in m && m.id === 9001)).toEqual([]);
    await other.close();
  });

  test('a session that closes with a call in flight has the call cancelled upstream', async () => {
    const { agg } = s();
    const { client: other } = await inMemorySession(agg, 'relay-test-closing');
    const call = other.callTool({ name: 'echo__slow', arguments: { ms: 20_000 } }).catch(() => 'closed');
    await waitUntil(() => agg.inflight === 1);
    await other.close();
    await waitUntil(() => agg.inflight === 0);
    expect(await call).toBe('closed');
  });

  test('tools/call: a slow upstream times out with its name and timeout in the error', async () => {
    const { client, agg } = s();
    const e = await failure(client.callTool({ name: 'hasty__slow', arguments: { ms: 5_000 } }));
    expect(e.message).toContain('upstream "hasty" did not answer within 300 ms');
    await waitUntil(() => agg.inflight === 0);
  });

  test('prompts/get: by public name, the messages as the server wrote them; unknown prompts are errors', async () => {
    const { client } = s();
    const prompt = await client.getPrompt({ name: 'echo__greet', arguments: { who: 'Ada' } });
    expect(prompt.messages).toEqual([{ role: 'user', content: { type: 'text', text: 'Hello Ada from echo' } }]);
    const e = await failure(client.getPrompt({ name: 'echo__nope', arguments: {} }));
    expect(e.code).toBe(-32602);
    expect(e.message).toMatch(/Unknown prompt: "echo__nope"/);
  });

  test('resources/read: by public URI, contents come back under the public URI; unknown servers are errors', async () => {
    const { client } = s();
    const read = await client.readResource({ uri: 'echo+echo://readme' });
    expect(read.contents).toEqual([{ uri: 'echo+echo://readme', mimeType: 'text/plain', text: 'readme of echo' }]);
    const item = await client.readResource({ uri: 'echo+echo://items/7' });
    expect(item.contents).toEqual([{ uri: 'echo+echo://items/7', text: 'item 7 of echo' }]);
    const e = await failure(client.readResource({ uri: 'nobody+x://y' }));
    expect(e.code).toBeLessThan(0);
  });

  test('completion/complete: a resource template variable completes on its server', async () => {
    const { client } = s();
    const done = await client.complete({
      ref: { type: 'ref/resource', uri: 'echo+echo://items/{id}' },
      argument: { name: 'id', value: '1' },
    });
    expect(done.completion.values).toEqual(['1', '10']);
  });
});

describe.each(eras)('large results, upstream %s', (protocol) => {
  const s = () => setups.get(protocol) as Setup;
  const big = `${'x'.repeat(256 * 1024)} "quoted" \\ ü 😀 \n end`;

  test('tools/call over the stdio wire: a 256 KB result arrives exactly, written once as the bytes relayed', async () => {
    const { wired, writes } = s();
    const before = writes.length;
    const seen: number[] = [];
    const [result, slow] = await Promise.all([
      wired.callTool({ name: 'echo__echo', arguments: { text: big } }),
      wired.callTool(
        { name: 'echo__slow', arguments: { ms: 60, steps: 2 } },
        { onprogress: (p) => seen.push(p.progress) },
      ),
    ]);
    expect(result.content).toEqual([{ type: 'text', text: big }]);
    expect(slow.content).toEqual([{ type: 'text', text: 'slept 60' }]);
    expect(seen).toEqual([1, 2]);
    const large = writes.slice(before).filter((w) => w.length > 256 * 1024);
    // One write for the whole message. From a 2025-11-25 upstream it is a buffer: the upstream's bytes, not
    // a re-serialized string (a 2026-07-28 result is checked whole by the SDK client's era decoder).
    expect(large.map((w) => Buffer.isBuffer(w))).toEqual([protocol === '2025-11-25']);
  });

  test('prompts/get and resources/read over the stdio wire: large messages as the server wrote them, URIs public', async () => {
    const { wired } = s();
    const prompt = await wired.getPrompt({ name: 'echo__greet', arguments: { who: big } });
    expect(prompt.messages).toEqual([{ role: 'user', content: { type: 'text', text: `Hello ${big} from echo` } }]);
    const id = 'y'.repeat(20_000);
    const read = await wired.readResource({ uri: `echo+echo://items/${id}` });
    // The contents hold a URI: they are parsed and mapped to the public URI as any other.
    expect(read.contents).toEqual([{ uri: `echo+echo://items/${id}`, text: `item ${id} of echo` }]);
  });

  test('a session not on the stdio wire gets large results parsed (nothing raw crosses an in-process transport)', async () => {
    const { client } = s();
    const result = await client.callTool({ name: 'echo__echo', arguments: { text: big } });
    expect(result.content).toEqual([{ type: 'text', text: big }]);
    expect(Array.isArray(result.content)).toBe(true);
  });

  test('errors, cancellation and the next large call over the stdio wire', async () => {
    const { wired, agg } = s();
    const unknown = await failure(wired.callTool({ name: 'echo__nope', arguments: { text: big } }));
    expect(unknown.code).toBe(-32602);
    const controller = new AbortController();
    const call = wired.callTool({ name: 'echo__slow', arguments: { ms: 20_000 } }, { signal: controller.signal });
    await waitUntil(() => agg.inflight === 1);
    controller.abort('no');
    await failure(call);
    await waitUntil(() => agg.inflight === 0);
    const again = await wired.callTool({ name: 'echo__echo', arguments: { text: big } });
    expect(again.content).toEqual([{ type: 'text', text: big }]);
  });
});

describe.each(eras)('large requests, upstream %s', (protocol) => {
  const s = () => setups.get(protocol) as Setup;
  const big = `${'x'.repeat(256 * 1024)} "quoted" \\ ü 😀 \u0001 \n end`;
  const nested = { deep: [[{ list: [1, -2.5e-7, true, null, `${big}\\`] }]], 'key "q"': 'ü' };

  test('tools/call over the stdio wire: large arguments reach a 2025-11-25 stdio upstream as the bytes the client sent', async () => {
    const { wired, writes } = s();
    const value = vi.spyOn(RawJson.prototype, 'value');
    const sent = vi.spyOn(ProcessStdioTransport.prototype, 'sendNow');
    try {
      const before = writes.length;
      const result = await wired.callTool({ name: 'echo__echo', arguments: { text: big, nested } });
      expect(result.content).toEqual([{ type: 'text', text: big }]);
      // To a 2025-11-25 stdio upstream the proxy never parses them (the fast lane writes the client's
      // bytes); for a 2026-07-28 one (the SDK Client sends them) the wire reads them parsed at once.
      const parsedArguments = value.mock.contexts.filter(
        (raw) => (raw as RawJson).bytes.toString('utf8', 0, 8) === '{"text":',
      );
      expect(parsedArguments).toEqual([]);
      const calls = sent.mock.calls.map(([m]) => m as { method?: string; params?: { arguments?: unknown } });
      const raw = calls.filter((m) => m.method === 'tools/call' && m.params?.arguments instanceof RawJson);
      expect(raw.length).toBe(protocol === '2025-11-25' ? 1 : 0);
      expect(writes.slice(before).some((w) => w.length > 256 * 1024)).toBe(true);
    } finally {
      value.mockRestore();
      sent.mockRestore();
    }
  });

  test('the raw bytes of a call are let go once its answer is written, not before', async () => {
    const { wired, writes } = s();
    const release = RawJson.prototype.release;
    const seen: { length: number; answered: boolean }[] = [];
    let before = writes.length;
    const spy = vi.spyOn(RawJson.prototype, 'release').mockImplementation(function (this: RawJson) {
      seen.push({ length: this.length, answered: writes.slice(before).some((w) => w.length > 256 * 1024) });
      release.call(this);
    });
    try {
      for (let i = 0; i < 2; i++) {
        // A large answer of the test before may still wait for its write to drain (its bytes are let go then).
        for (let k = 0; k < 5; k++) await new Promise((r) => setImmediate(r));
        before = writes.length;
        seen.length = 0;
        // No key a URI may sit under: the result is relayed raw (one that may hold a URI is parsed to be mapped).
        const text = `${'x'.repeat(256 * 1024)} "quoted" ü 😀 ${i}`;
        const result = await wired.callTool({ name: 'echo__echo', arguments: { text } });
        expect(result.content).toEqual([{ type: 'text', text }]);
        // To a 2025-11-25 upstream both go raw: the client's arguments, then the result's content. The
        // relay lets them go after the write, which the client may see first.
        const raw = protocol === '2025-11-25';
        if (raw) await waitUntil(() => seen.length === 2);
        else for (let k = 0; k < 5; k++) await new Promise((r) => setImmediate(r));
        expect(seen.map((r) => r.answered)).toEqual(raw ? [true, true] : []);
        if (raw) expect(seen[0]?.length).toBe(Buffer.byteLength(JSON.stringify({ text })));
      }
    } finally {
      spy.mockRestore();
    }
  });

  test('progress, cancellation and errors of calls with large arguments', async () => {
    const { wired, agg } = s();
    const seen: number[] = [];
    const slow = await wired.callTool(
      { name: 'echo__slow', arguments: { ms: 60, steps: 2, pad: big } },
      { onprogress: (p) => seen.push(p.progress) },
    );
    expect(slow.content).toEqual([{ type: 'text', text: 'slept 60' }]);
    expect(seen).toEqual([1, 2]);
    const controller = new AbortController();
    const call = wired.callTool(
      { name: 'echo__slow', arguments: { ms: 20_000, pad: big } },
      { signal: controller.signal },
    );
    await waitUntil(() => agg.inflight === 1);
    controller.abort('no');
    await failure(call);
    await waitUntil(() => agg.inflight === 0);
    const unknown = await failure(wired.callTool({ name: 'echo__nope', arguments: { text: big } }));
    expect([unknown.code, unknown.message]).toEqual([-32602, expect.stringContaining('Unknown tool: "echo__nope"')]);
    const invalid = await wired.callTool({ name: 'echo__echo', arguments: { text: 7, pad: big } }).catch((e) => e);
    expect(invalid instanceof ProtocolError ? invalid.code : invalid.isError).toBeTruthy();
  });

  test('the audit record and a dynamic call see large arguments as values', async () => {
    const records: AuditRecord[] = [];
    const sink = { write: (r: AuditRecord) => records.push(r), flush: async () => {}, close: async () => {} };
    const onCall = createCallAuditor({ sink, withArguments: true, redact: (t) => t });
    const agg = new Aggregator({
      pool: pools.get(protocol) as UpstreamPool,
      logger: silentLogger(),
      separator: '__',
      onCall,
    });
    const { wired } = await wiredSession(agg);
    try {
      const args = { text: `${'hello world '.repeat(30_000)}ü`, nested: { n: [1, { m: 'two words' }] } };
      const direct = await wired.callTool({ name: 'echo__echo', arguments: args });
      expect(direct.content).toEqual([{ type: 'text', text: args.text }]);
      expect(records.map((r) => [r.name, r.arguments, r.argBytes])).toEqual([
        ['echo', args, Buffer.byteLength(JSON.stringify(args))],
      ]);
      agg.setToolsMode(createDynamicToolsMode());
      const dynamic = await wired.callTool({
        name: 'call_dynamic_tool',
        arguments: { group: 'echo', name: 'echo', arguments: { text: args.text } },
      });
      expect(dynamic.content).toEqual([{ type: 'text', text: args.text }]);
      expect(records.at(-1)?.arguments).toEqual({ text: args.text });
    } finally {
      await wired.close();
    }
  });
});

async function waitUntil(cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
