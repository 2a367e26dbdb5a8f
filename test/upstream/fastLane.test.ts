/**
 * The upstream fast lane keeps every semantics of the SDK client's request path it replaces: each
 * case runs the same request both ways on one real 2025-11-25 stdio upstream (the echo fixture as a
 * child process) and compares what the caller gets and what went onto the upstream's stdin: results,
 * progress (and the timeout it resets), cancellation and timeouts (both told to the upstream), the
 * upstream's JSON-RPC errors, the process dying mid-call, and a server-to-client request made while
 * a lane call is in flight. A 2026-07-28 upstream keeps the SDK path.
 */
import type { Client, JSONRPCMessage } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { silentLogger } from '../../src/observability/logger.js';
import { FastLane, laneOf } from '../../src/upstream/fastLane.js';
import { UpstreamPool } from '../../src/upstream/pool.js';
import { requestUnchecked } from '../../src/upstream/unchecked.js';
import { ECHO, NODE } from '../helpers/paths.js';
import { waitFor } from '../helpers/wait.js';

const UNCHECKED = { '~standard': { version: 1, vendor: 'test', validate: (value: unknown) => ({ value }) } } as any;
type Options = Parameters<typeof requestUnchecked>[3];
type Way = 'lane' | 'sdk';

let pool: UpstreamPool;
const bridged: { method: string; lanePending: number }[] = [];

beforeAll(async () => {
  pool = new UpstreamPool({
    configs: {
      echo: { type: 'stdio', command: NODE, args: [ECHO], protocol: '2025-11-25' },
      modern: { type: 'stdio', command: NODE, args: [ECHO], protocol: '2026-07-28' },
    } as any,
    logger: silentLogger(),
    env: process.env,
    cwd: process.cwd(),
  });
  pool.setBridge({
    request: async (_upstream, method) => {
      const lane = laneOf((await client('echo')) as Client) as any;
      bridged.push({ method, lanePending: lane.calls.size });
      return { role: 'assistant', model: 'test', content: { type: 'text', text: 'from the bridge' } };
    },
    notify: () => {},
  });
  await pool.start();
}, 30_000);

afterAll(() => pool.close());

/** The upstream's current client. */
function client(name: string): Promise<Client> {
  return pool.get(name)?.call(async (c) => c) as Promise<Client>;
}

/** Records every message written to the upstream's stdin from now on. */
function tapWire(name: string): JSONRPCMessage[] {
  const transport = (pool.get(name) as any).link.transport.transport;
  const sent: JSONRPCMessage[] = [];
  const sendNow = transport.sendNow.bind(transport);
  transport.sendNow = (m: JSONRPCMessage) => {
    sent.push(m);
    return sendNow(m);
  };
  return sent;
}

/** One request the given way: through the lane, or through the SDK client's own request path. */
async function send(way: Way, method: string, params: Record<string, unknown>, options: Options) {
  const c = await client('echo');
  return way === 'lane'
    ? requestUnchecked(c, method, params, options)
    : (c.request({ method, params } as any, UNCHECKED, options as any) as Promise<Record<string, unknown>>);
}

async function outcome(p: Promise<unknown>): Promise<{ ok: boolean; value?: unknown; error?: any }> {
  return p.then(
    (value) => ({ ok: true, value }),
    (error) => ({
      ok: false,
      error: { name: error?.constructor?.name, code: error?.code, message: error?.message, data: error?.data },
    }),
  );
}

/** The same request both ways; what each caller got, and the cancellations each sent upstream. */
async function bothWays(method: string, params: Record<string, unknown>, options: () => Options) {
  const out: Record<Way, { result: any; cancelled: unknown[] }> = {} as any;
  for (const way of ['lane', 'sdk'] as const) {
    const sent = tapWire('echo');
    const result = await outcome(send(way, method, params, options()));
    const cancelled = sent.filter((m: any) => m.method === 'notifications/cancelled').map((m: any) => m.params.reason);
    out[way] = { result, cancelled };
  }
  return out;
}

describe('the upstream fast lane', () => {
  test('a 2025-11-25 stdio upstream has a lane; a 2026-07-28 one keeps the SDK path', async () => {
    expect(laneOf(await client('echo'))).toBeDefined();
    expect(laneOf(await client('modern'))).toBeUndefined();
  });

  test('a result comes back as the SDK path gives it, and the SDK client holds nothing for the call', async () => {
    const c = (await client('echo')) as any;
    const params = { name: 'add', arguments: { a: 2, b: 3 } };
    const { lane, sdk } = await bothWays('tools/call', params, () => ({ timeout: 5000 }));
    expect(lane).toEqual(sdk);
    expect(lane.result.value).toMatchObject({ structuredContent: { sum: 5 } });
    const sent = tapWire('echo');
    const p = requestUnchecked(c, 'tools/call', { name: 'slow', arguments: { ms: 60 } }, { timeout: 5000 });
    // In flight on the lane, not in the SDK client's maps; ids follow the SDK client's own counter.
    expect(c._responseHandlers.size).toBe(0);
    expect((sent[0] as any).id).toBe(c._requestMessageId - 1);
    await p;
  });

  test('progress reaches the caller and resets the timeout when asked; without the reset the call times out', async () => {
    const seen: Record<Way, number[]> = { lane: [], sdk: [] };
    let way: Way = 'lane';
    const slow = { name: 'slow', arguments: { ms: 600, steps: 6 } };
    const opts = (reset: boolean) => () => {
      const w = way;
      way = way === 'lane' ? 'sdk' : 'lane';
      return { timeout: 250, resetTimeoutOnProgress: reset, onprogress: (p: any) => seen[w].push(p.progress) };
    };
    const reset = await bothWays('tools/call', slow, opts(true));
    expect(reset.lane).toEqual(reset.sdk);
    expect(reset.lane.result).toMatchObject({ ok: true, value: { content: [{ type: 'text', text: 'slept 600' }] } });
    expect(seen).toEqual({ lane: [1, 2, 3, 4, 5, 6], sdk: [1, 2, 3, 4, 5, 6] });
    const timedOut = await bothWays('tools/call', slow, opts(false));
    expect(timedOut.lane).toEqual(timedOut.sdk);
    expect(timedOut.lane.result.error).toMatchObject({ message: 'Request timed out', data: { timeout: 250 } });
    expect(timedOut.lane.cancelled).toHaveLength(1);
  });

  test('a cancelled call rejects at once, the upstream is told, nothing stays in flight', async () => {
    const slow = { name: 'slow', arguments: { ms: 5000 } };
    const { lane, sdk } = await bothWays('tools/call', slow, () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort('the client cancelled'), 50);
      return { timeout: 10_000, signal: controller.signal };
    });
    expect(lane).toEqual(sdk);
    expect(lane.cancelled).toEqual(['the client cancelled']);
    expect(lane.result.error.message).toBe('the client cancelled');
    expect(((laneOf(await client('echo')) as any).calls as Map<unknown, unknown>).size).toBe(0);
    const aborted = AbortSignal.abort('before it started');
    expect(await outcome(send('lane', 'tools/call', slow, { signal: aborted }))).toEqual(
      await outcome(send('sdk', 'tools/call', slow, { signal: aborted })),
    );
  });

  test("the upstream's JSON-RPC errors come back as the SDK path gives them", async () => {
    const { lane, sdk } = await bothWays('tools/call', { name: 'no_such_tool', arguments: {} }, () => ({}));
    expect(lane).toEqual(sdk);
    const prompt = await bothWays('prompts/get', { name: 'no_such_prompt' }, () => ({}));
    expect(prompt.lane).toEqual(prompt.sdk);
    expect(prompt.lane.result.ok).toBe(false);
    expect(typeof prompt.lane.result.error.code).toBe('number');
  });

  test('a server-to-client request during a lane call is served while the call is in flight', async () => {
    const c = await client('echo');
    const result = await requestUnchecked(c, 'tools/call', { name: 'ask_sampling', arguments: { prompt: 'hi' } }, {});
    expect(result.content).toEqual([{ type: 'text', text: 'sampled: from the bridge' }]);
    expect(bridged).toEqual([{ method: 'sampling/createMessage', lanePending: 1 }]);
  });

  // Last: the server process dies (the pool restarts it).
  test('the process dying mid-call fails lane and SDK calls alike', async () => {
    const c = await client('echo');
    const sdk = outcome(send('sdk', 'tools/call', { name: 'slow', arguments: { ms: 5000 } }, { timeout: 10_000 }));
    const lane = outcome(requestUnchecked(c, 'tools/call', { name: 'crash', arguments: {} }, { timeout: 10_000 }));
    const [l, s] = await Promise.all([lane, sdk]);
    expect(l).toEqual(s);
    expect(l.error).toMatchObject({ name: 'SdkError', message: 'Connection closed' });
    expect(((laneOf(c) as any).calls as Map<unknown, unknown>).size).toBe(0);
    await waitFor(() => pool.get('echo')?.state === 'ready', 'the restarted upstream');
    const fresh = await client('echo');
    expect(laneOf(fresh)).toBeDefined();
    expect(laneOf(fresh)).not.toBe(laneOf(c));
  });
});

describe('the lane on its own wire (a narrow port)', () => {
  function lane() {
    const sent: any[] = [];
    const client = { _requestMessageId: 7, transport: {} } as unknown as Client;
    return { sent, lane: new FastLane(client, { sendNow: (m) => void sent.push(m) }) };
  }

  test('answers to its ids as the SDK reads them ("7" as 7), and leaves anything else to the SDK client', async () => {
    const { lane: l, sent } = lane();
    const progress: unknown[] = [];
    const p = l.request('tools/call', { name: 't' }, { onprogress: (x) => progress.push(x) });
    expect(sent[0]).toEqual({
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: { name: 't', _meta: { progressToken: 7 } },
    });
    for (const v of [null, 'x', [], { jsonrpc: '2.0', id: 8, result: {} }, { jsonrpc: '2.0', id: 7, result: 'no' }]) {
      expect(l.owns(v)).toBe(false);
    }
    expect(
      l.take({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: '7', progress: 1 } } as any),
    ).toBe(true);
    expect(l.take({ jsonrpc: '2.0', method: 'notifications/message', params: {} } as any)).toBe(false);
    // Progress reaches the caller a microtask later, as the SDK client dispatches notifications.
    expect(progress).toEqual([]);
    await Promise.resolve();
    expect(l.owns({ jsonrpc: '2.0', id: '7', result: { resultType: 'complete', ok: 1 } })).toBe(true);
    expect(l.take({ jsonrpc: '2.0', id: '7', result: { resultType: 'complete', ok: 1 } } as any)).toBe(true);
    expect(await p).toEqual({ ok: 1 });
    expect(progress).toEqual([{ progress: 1 }]);
    // Settled: a late duplicate is not the lane's.
    expect(l.take({ jsonrpc: '2.0', id: 7, result: {} } as any)).toBe(false);
  });
});
