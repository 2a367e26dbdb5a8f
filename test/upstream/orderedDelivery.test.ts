/**
 * OrderedDelivery keeps an SDK client from dropping progress: the client runs notification handlers a
 * microtask later but settles responses at once, so what it handles must come out in wire order even
 * when several calls' notifications and results arrive in one chunk.
 */
import { describe, expect, test } from 'vitest';
import { OrderedDelivery } from '../../src/upstream/orderedDelivery.js';

type Msg = { id?: number; method?: string; result?: unknown; tag: string };

/** Emits into a recorder that behaves like the SDK client: notifications a microtask late. */
function sdkLikeRecorder() {
  const handled: string[] = [];
  const emit = (m: Msg) => {
    if (m.id === undefined) void Promise.resolve().then(() => handled.push(m.tag));
    else handled.push(m.tag);
  };
  return { handled, emit };
}

const note = (tag: string): Msg => ({ method: 'notifications/progress', tag });
const reply = (id: number, tag: string): Msg => ({ id, result: {}, tag });

describe('OrderedDelivery', () => {
  test('several calls in one chunk: every notification is handled before the result that follows it', async () => {
    const { handled, emit } = sdkLikeRecorder();
    const d = new OrderedDelivery<Msg>(emit);
    const chunk: Msg[] = [];
    for (let c = 0; c < 5; c++) chunk.push(note(`${c}:p1`), note(`${c}:p2`), reply(c, `${c}:result`));
    d.newChunk();
    for (const m of chunk) d.deliver(m);
    await new Promise((r) => setTimeout(r, 20));
    expect(handled).toEqual(chunk.map((m) => m.tag));
  });

  test('messages of a later chunk queue behind a deferred result', async () => {
    const { handled, emit } = sdkLikeRecorder();
    const d = new OrderedDelivery<Msg>(emit);
    d.newChunk();
    for (const m of [note('a'), reply(1, 'r1')]) d.deliver(m);
    d.newChunk();
    for (const m of [note('b'), reply(2, 'r2')]) d.deliver(m);
    await new Promise((r) => setTimeout(r, 20));
    expect(handled).toEqual(['a', 'r1', 'b', 'r2']);
  });

  test('a result alone is delivered at once', () => {
    const { handled, emit } = sdkLikeRecorder();
    const d = new OrderedDelivery<Msg>(emit);
    d.newChunk();
    d.deliver(reply(1, 'r1'));
    expect(handled).toEqual(['r1']);
  });
});
