import { describe, expect, it } from 'vitest';
import { spawnTurn } from '../../src/upstream/spawnTurns.js';

describe('spawnTurn', () => {
  it('gives turns in the order they were asked for', async () => {
    const order: number[] = [];
    await Promise.all([1, 2, 3, 4].map((i) => spawnTurn().then(() => order.push(i))));
    expect(order).toEqual([1, 2, 3, 4]);
  });

  it('lets the event loop run between two turns (what arrived meanwhile is handled in between)', async () => {
    const events: string[] = [];
    const first = spawnTurn().then(() => {
      events.push('turn 1');
      // Work that becomes due while turn 1 starts its process (a request read from stdin).
      setImmediate(() => events.push('request'));
    });
    const second = spawnTurn().then(() => events.push('turn 2'));
    await Promise.all([first, second]);
    expect(events).toEqual(['turn 1', 'request', 'turn 2']);
  });
});
