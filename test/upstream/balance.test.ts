/**
 * The balancer's strategies as invariants: round-robin visits every candidate in turn; the less busy
 * of two wins and the busiest never does; weights show in the shares; a session key maps to one
 * replica, and taking a replica out moves only the keys that were on it.
 */
import { describe, expect, test } from 'vitest';
import { buildRing, type Candidate, leastOfTwo, lookup, pick, weighted } from '../../src/upstream/balance.js';

const cands = (outstanding: number[], weights?: number[]): Candidate[] =>
  outstanding.map((o, index) => ({ index, outstanding: o, weight: weights?.[index] ?? 1 }));

/** A seeded generator (mulberry32): repeatable shares. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('round-robin', () => {
  test('every candidate once per round, in order, skipping the ones not offered', () => {
    const c = cands([0, 0, 0, 0]).filter((x) => x.index !== 2);
    const picks = Array.from({ length: 6 }, (_, turn) => pick({ strategy: 'round-robin', candidates: c, turn }));
    expect(picks).toEqual([0, 1, 3, 0, 1, 3]);
  });
});

describe('least-outstanding (power of two choices)', () => {
  test('the two compared are distinct, and the busier of them never wins', () => {
    const random = seeded(1);
    const c = cands([5, 0, 9, 2]);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[leastOfTwo(c, random)]++;
    // The busiest one can only be picked against itself, which distinct choices rule out.
    expect(counts[2]).toBe(0);
    // The idlest wins every comparison it is part of: half of all draws (it is in 3 of the 6 pairs).
    expect(counts[1] / 4000).toBeGreaterThan(0.45);
    expect(counts[1]).toBeGreaterThan(counts[3]);
    expect(counts[3]).toBeGreaterThan(counts[0]);
  });

  test('two candidates: always the idler one', () => {
    const c = cands([3, 1]);
    for (let i = 0; i < 50; i++) expect(pick({ strategy: 'least-outstanding', candidates: c, turn: i })).toBe(1);
  });
});

describe('weighted', () => {
  test('shares follow the weights', () => {
    const random = seeded(7);
    const c = cands([0, 0, 0], [1, 3, 6]);
    const counts = [0, 0, 0];
    const n = 20_000;
    for (let i = 0; i < n; i++) counts[weighted(c, random)]++;
    expect(counts[0] / n).toBeCloseTo(0.1, 1);
    expect(counts[1] / n).toBeCloseTo(0.3, 1);
    expect(counts[2] / n).toBeCloseTo(0.6, 1);
  });
});

describe('session (consistent hashing)', () => {
  const ring = buildRing([1, 1, 1]);
  const keys = Array.from({ length: 3000 }, (_, i) => `session-${i}`);

  test('one key, one replica, every time; keys spread over all replicas', () => {
    const all = cands([0, 0, 0]);
    const owner = (k: string) => pick({ strategy: 'session', candidates: all, turn: 0, affinity: k, ring });
    for (const k of keys.slice(0, 50)) expect(new Set([1, 2, 3].map(() => owner(k))).size).toBe(1);
    const shares = [0, 0, 0];
    for (const k of keys) shares[owner(k)]++;
    for (const s of shares) expect(s / keys.length).toBeGreaterThan(0.2);
  });

  test('a replica taken out moves only its own keys, and they spread over the others', () => {
    const before = keys.map((k) => lookup(ring, k, () => true));
    const after = keys.map((k) => lookup(ring, k, (r) => r !== 1));
    const moved = new Set<number>();
    keys.forEach((_, i) => {
      if (before[i] !== 1) expect(after[i]).toBe(before[i]);
      else moved.add(after[i] as number);
    });
    expect([...moved].sort()).toEqual([0, 2]);
  });

  test('no usable replica: undefined; a call without a session key goes round-robin', () => {
    expect(lookup(ring, 'x', () => false)).toBeUndefined();
    const c = cands([0, 0, 0]);
    expect([0, 1, 2].map((turn) => pick({ strategy: 'session', candidates: c, turn, ring }))).toEqual([0, 1, 2]);
  });
});
