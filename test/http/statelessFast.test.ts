/**
 * The node-native path for 2026-07-28 hot requests answers exactly as the SDK's per-request Server
 * does: the same requests, sent raw to two frontends over one Aggregator (one with the fast path, one
 * without), get the same HTTP status, content type and JSON-RPC messages: results, tool errors,
 * unknown names, progress and logs streamed as SSE ahead of the result, log levels honoured, input
 * rounds (input_required out, inputResponses/requestState back in) for both upstream eras, the
 * missing-capability refusal, and header refusals (which the fast path leaves to the SDK). A counter
 * on the fast path proves it served what it should. Closing the response cancels the upstream call,
 * and a plain call reaches the upstream fast lane without building an AbortSignal.
 * Real parts: the echo fixture as a stdio child process (2025-11-25 and 2026-07-28 hops), real HTTP.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Aggregator } from '../../src/aggregator/server.js';
import { type HttpFrontend, startHttpFrontend } from '../../src/frontends/http/start.js';
import type { StatelessHot } from '../../src/frontends/http/types.js';
import { silentLogger } from '../../src/observability/logger.js';
import { UpstreamPool } from '../../src/upstream/pool.js';
import type { Abortable } from '../../src/util/lazyAbort.js';
import { ECHO, NODE } from '../helpers/paths.js';
import { waitFor } from './helpers.js';

const REV = '2026-07-28';
const CAPS = { elicitation: {}, sampling: {} };
const envelope = (extra: Record<string, unknown> = {}, caps: object = CAPS) => ({
  'io.modelcontextprotocol/protocolVersion': REV,
  'io.modelcontextprotocol/clientCapabilities': caps,
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
  ...extra,
});

let pool: UpstreamPool;
let agg: Aggregator;
let fast: HttpFrontend;
let sdk: HttpFrontend;
let fastServed = 0;
/** Reads of a fast-path request's AbortSignal (built only when read). */
let signalReads = 0;

beforeAll(async () => {
  const logger = silentLogger();
  pool = new UpstreamPool({
    configs: {
      echo: { type: 'stdio', command: NODE, args: [ECHO] },
      modern: { type: 'stdio', command: NODE, args: [ECHO], protocol: REV, env: { FIXTURE_NAME: 'modern' } },
    } as any,
    logger,
    env: process.env,
    cwd: process.cwd(),
  });
  await pool.start();
  agg = new Aggregator({ pool, logger, separator: '__' });
  const serverFactory = (c: any) =>
    agg.createServer({ era: c.era, transient: c.era === 'modern', identity: c.identity, profile: c.profile });
  const stateless = agg.statelessHandler();
  const counted: StatelessHot = {
    serves: (m) => stateless.serves(m),
    handle: (r) => {
      fastServed++;
      const inner = r.abortable;
      const abortable: Abortable = {
        get aborted() {
          return inner.aborted;
        },
        get reason() {
          return inner.reason;
        },
        get signal() {
          signalReads++;
          return inner.signal;
        },
        onAbort: (listener) => inner.onAbort(listener),
      };
      return stateless.handle({ ...r, abortable });
    },
  };
  const base = { host: '127.0.0.1', port: 0, serverFactory, rateLimit: false as const };
  const status = () => ({ ready: true, upstreams: [] });
  fast = await startHttpFrontend({ ...base, status, statelessHot: counted });
  sdk = await startHttpFrontend({ ...base, status });
}, 60_000);

afterAll(async () => {
  await fast?.close();
  await sdk?.close();
  await pool?.close();
});

interface Exchange {
  status: number;
  type: string | null;
  messages: any[];
}

function headersFor(body: any): Record<string, string> {
  const name = body.params?.name ?? body.params?.uri;
  return {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': REV,
    'mcp-method': body.method,
    ...(name !== undefined && body.method !== 'completion/complete' ? { 'mcp-name': name } : {}),
  };
}

/** One POST; an SSE answer is read as its list of messages. */
async function post(url: string, body: any, headers = headersFor(body)): Promise<Exchange> {
  const r = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await r.text();
  const type = r.headers.get('content-type');
  const messages = type?.startsWith('text/event-stream')
    ? text
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => JSON.parse(l.slice(6)))
    : [JSON.parse(text)];
  return { status: r.status, type, messages };
}

/** The same request to both frontends; the fast one must have served it (or not, `served`). */
async function both(body: any, headers?: Record<string, string>, served = true): Promise<[Exchange, Exchange]> {
  const before = fastServed;
  const a = await post(fast.url, body, headers);
  expect(fastServed - before).toBe(served ? 1 : 0);
  const b = await post(sdk.url, body, headers);
  return [a, b];
}

const call = (id: number, name: string, args: object, meta: Record<string, unknown> = {}) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args, _meta: envelope(meta) },
});

describe('2026-07-28 hot requests: the node-native path answers as the SDK does', () => {
  test('results, tool errors and unknown names, for each hot method', async () => {
    const bodies = [
      call(1, 'echo__echo', { text: 'hi' }),
      call(2, 'modern__add', { a: 2, b: 3 }),
      call(3, 'echo__fail', {}),
      call(4, 'echo__nope', {}),
      call(5, 'echo__echo', { text: 7 }),
      {
        jsonrpc: '2.0',
        id: 6,
        method: 'prompts/get',
        params: { name: 'echo__greet', arguments: { who: 'x' }, _meta: envelope() },
      },
      { jsonrpc: '2.0', id: 7, method: 'prompts/get', params: { name: 'nope', _meta: envelope() } },
      {
        jsonrpc: '2.0',
        id: 'r',
        method: 'resources/read',
        params: { uri: 'modern+modern://readme', _meta: envelope() },
      },
      { jsonrpc: '2.0', id: 9, method: 'resources/read', params: { uri: 'nowhere://x', _meta: envelope() } },
      {
        jsonrpc: '2.0',
        id: 10,
        method: 'completion/complete',
        params: {
          ref: { type: 'ref/resource', uri: 'echo+echo://items/{id}' },
          argument: { name: 'id', value: '1' },
          _meta: envelope(),
        },
      },
    ];
    for (const body of bodies) {
      const [a, b] = await both(body);
      expect([body.id, a]).toEqual([body.id, b]);
      expect(a.type).toBe('application/json');
    }
  });

  test('progress and logs stream as SSE ahead of the result, logs only at the level the request asked', async () => {
    for (const upstream of ['echo', 'modern']) {
      const slow = await both(call(11, `${upstream}__slow`, { ms: 20, steps: 3 }, { progressToken: `t-${upstream}` }));
      expect(slow[0]).toEqual(slow[1]);
      expect(slow[0].type).toBe('text/event-stream');
      expect(slow[0].messages.map((m) => m.method ?? 'result')).toEqual([
        'notifications/progress',
        'notifications/progress',
        'notifications/progress',
        'result',
      ]);
      expect(slow[0].messages[0].params.progressToken).toBe(`t-${upstream}`);
      // The SDK's Server may end the response before a log relayed just ahead of the result is
      // written; the fast path writes it in order. So logs are checked on the fast path, the result against the SDK.
      for (const level of ['debug', 'error', undefined]) {
        const meta = level ? { 'io.modelcontextprotocol/logLevel': level } : {};
        const [a, b] = await both(call(12, `${upstream}__log`, { message: 'm' }, meta));
        expect(a.messages.at(-1)).toEqual(b.messages.at(-1));
        const logs = a.messages.filter((m) => m.method === 'notifications/message');
        expect([upstream, level, logs.map((m) => m.params)]).toEqual([
          upstream,
          level,
          level === 'debug' ? [{ level: 'info', data: 'm', logger: `${upstream}/${upstream}` }] : [],
        ]);
      }
    }
  });

  test('input rounds: input_required out, the retry with inputResponses and requestState back in', async () => {
    // One path at a time: a paused call from one would make the other's ambiguous on the shared upstream.
    const round = async (url: string, upstream: string) => {
      const first = (await post(url, call(20, `${upstream}__ask_elicit`, {}))).messages[0].result;
      const inputResponses = Object.fromEntries(
        Object.keys(first.inputRequests).map((k) => [k, { action: 'accept', content: { name: 'Ada' } }]),
      );
      const retry = call(21, `${upstream}__ask_elicit`, {});
      Object.assign(retry.params, { inputResponses }, first.requestState ? { requestState: first.requestState } : {});
      // The embedded request carries the upstream hop's own progress token (a counter of that connection).
      const asked = JSON.parse(JSON.stringify(first.inputRequests), (k, v) => (k === 'progressToken' ? 'n' : v));
      const shape = { ...first, inputRequests: asked, requestState: typeof first.requestState };
      return { first: shape, done: await post(url, retry) };
    };
    for (const upstream of ['echo', 'modern']) {
      const before = fastServed;
      const a = await round(fast.url, upstream);
      expect(fastServed - before).toBe(2);
      const b = await round(sdk.url, upstream);
      expect([upstream, a]).toEqual([upstream, b]);
      expect(a.first.resultType).toBe('input_required');
      expect(a.done.messages[0].result.content[0].text).toContain('Ada');
    }
  });

  test('input asked of a client that did not declare the capability: -32021 with HTTP 400, as the SDK answers', async () => {
    const body = { ...call(30, 'modern__ask_sampling', { prompt: 'p' }) };
    body.params._meta = envelope({}, {});
    const [a, b] = await both(body);
    expect(a).toEqual(b);
    expect([a.status, a.messages[0].error?.code]).toEqual([400, -32021]);
  });

  test('what is not plain goes to the SDK, which refuses it precisely', async () => {
    const body = call(40, 'echo__echo', { text: 'hi' });
    const cases: [string, any, Record<string, string>][] = [
      ['Mcp-Name disagrees', body, { ...headersFor(body), 'mcp-name': 'echo__add' }],
      ['Mcp-Method disagrees', body, { ...headersFor(body), 'mcp-method': 'tools/list' }],
      [
        'no client capabilities',
        { ...body, params: { ...body.params, _meta: { 'io.modelcontextprotocol/protocolVersion': REV } } },
        headersFor(body),
      ],
      [
        'a bad log level',
        call(41, 'echo__echo', { text: 'x' }, { 'io.modelcontextprotocol/logLevel': 'loud' }),
        headersFor(body),
      ],
      ['requestState not a string', { ...body, params: { ...body.params, requestState: 5 } }, headersFor(body)],
    ];
    for (const [why, b, h] of cases) {
      const [a, ref] = await both(b, h, false);
      expect([why, a]).toEqual([why, ref]);
      expect([why, a.status === 400 || a.messages[0].error !== undefined]).toEqual([why, true]);
    }
  });

  test('a plain call to a 2025-11-25 stdio upstream builds no AbortSignal (its abort is listened to as it is)', async () => {
    const before = signalReads;
    for (let i = 0; i < 5; i++) {
      const [a] = await both(call(60 + i, 'echo__echo', { text: `x${i}` }));
      expect(a.messages[0].result.content[0].text).toContain(`x${i}`);
    }
    expect(signalReads - before).toBe(0);
  });

  test('closing the response cancels the call upstream', async () => {
    expect(await waitFor(() => agg.inflight === 0)).toBe(true);
    for (const upstream of ['echo', 'modern']) {
      const abort = new AbortController();
      const body = call(50, `${upstream}__slow`, { ms: 120_000, steps: 1000 }, { progressToken: 'c' });
      const r = await fetch(fast.url, {
        method: 'POST',
        headers: headersFor(body),
        body: JSON.stringify(body),
        signal: abort.signal,
      });
      // The first progress frame: the call is running upstream.
      const reader = r.body!.getReader();
      await reader.read();
      expect(agg.inflight).toBe(1);
      abort.abort();
      expect([upstream, await waitFor(() => agg.inflight === 0)]).toEqual([upstream, true]);
    }
  });

  test("the SDK's own 2026-07-28 client is served by the fast path, progress included", async () => {
    const client = new Client(
      { name: 'v2', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: REV } }, capabilities: { elicitation: {} } },
    );
    await client.connect(new StreamableHTTPClientTransport(new URL(fast.url)));
    try {
      const before = fastServed;
      const steps: number[] = [];
      const slow = await client.callTool(
        { name: 'echo__slow', arguments: { ms: 10, steps: 2 } },
        { onprogress: (p) => steps.push(p.progress) },
      );
      expect(slow.content).toEqual([{ type: 'text', text: 'slept 10' }]);
      expect(steps).toEqual([1, 2]);
      const prompt = await client.getPrompt({ name: 'echo__greet', arguments: { who: 'v2' } });
      expect(prompt.messages[0]?.content).toEqual({ type: 'text', text: 'Hello v2 from echo' });
      const read = await client.readResource({ uri: 'echo+echo://readme' });
      expect(read.contents[0]).toMatchObject({ text: 'readme of echo' });
      expect(fastServed - before).toBe(3);
    } finally {
      await client.close();
    }
  });
});
