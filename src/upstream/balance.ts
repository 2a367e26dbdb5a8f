/**
 * Which replica takes a call: pure functions over the replicas' current standing, so each strategy
 * can be checked on its own. The group (group.ts) says which replicas are up and how busy they are;
 * these only choose.
 */
import { createHash } from 'node:crypto';
import type { BalanceStrategy } from '../config/schemaScale.js';

/** What a strategy knows about one replica. */
export interface Candidate {
  /** Position in the configured list (stable across calls: hashing and round-robin rely on it). */
  index: number;
  weight: number;
  /** Calls in flight on it now. */
  outstanding: number;
}

export interface PickInput {
  strategy: BalanceStrategy;
  /** The replicas that may take the call (up, and primaries unless none is up). Never empty. */
  candidates: Candidate[];
  /** A counter the caller advances per call (round-robin). */
  turn: number;
  /** The downstream session's key (balance "session"); calls without one are spread round-robin. */
  affinity?: string;
  /** The ring of every configured replica (balance "session"); built once with buildRing. */
  ring?: HashRing;
  /** Uniform in [0, 1): Math.random unless a test fixes it. */
  random?: () => number;
}

/** The replica for one call, as its index in the configured list. */
export function pick(input: PickInput): number {
  const { candidates } = input;
  if (candidates.length === 1) return candidates[0].index;
  const random = input.random ?? Math.random;
  switch (input.strategy) {
    case 'least-outstanding':
      return leastOfTwo(candidates, random);
    case 'weighted':
      return weighted(candidates, random);
    case 'session':
      if (input.affinity !== undefined && input.ring) {
        const up = new Set(candidates.map((c) => c.index));
        const found = lookup(input.ring, input.affinity, (i) => up.has(i));
        if (found !== undefined) return found;
      }
      return roundRobin(candidates, input.turn);
    default:
      return roundRobin(candidates, input.turn);
  }
}

export function roundRobin(candidates: Candidate[], turn: number): number {
  return candidates[turn % candidates.length].index;
}

/**
 * Power of two choices: two distinct replicas at random, the one with fewer calls in flight (the
 * first on a tie). Close to the least loaded, without every caller herding onto the same one.
 */
export function leastOfTwo(candidates: Candidate[], random: () => number): number {
  const n = candidates.length;
  const a = Math.floor(random() * n);
  const b = (a + 1 + Math.floor(random() * (n - 1))) % n;
  const [x, y] = [candidates[a], candidates[b]];
  return y.outstanding < x.outstanding ? y.index : x.index;
}

/** At random, in proportion to the weights. */
export function weighted(candidates: Candidate[], random: () => number): number {
  const total = candidates.reduce((sum, c) => sum + c.weight, 0);
  let r = random() * total;
  for (const c of candidates) {
    r -= c.weight;
    if (r < 0) return c.index;
  }
  return candidates[candidates.length - 1].index;
}

/** A consistent-hash ring: each replica at many points, so removing one moves only its own keys. */
export interface HashRing {
  points: Uint32Array;
  owners: Uint16Array;
}

export const VIRTUAL_NODES = 160;

/** The ring of replicas 0..count-1, each weighted by its weight (more points, more keys). */
export function buildRing(weights: number[], virtualNodes = VIRTUAL_NODES): HashRing {
  const entries: [number, number][] = [];
  weights.forEach((w, replica) => {
    for (let v = 0; v < virtualNodes * Math.max(1, w); v++) entries.push([hash32(`${replica}#${v}`), replica]);
  });
  entries.sort((a, b) => a[0] - b[0]);
  return {
    points: Uint32Array.from(entries.map((e) => e[0])),
    owners: Uint16Array.from(entries.map((e) => e[1])),
  };
}

/** The first replica clockwise from the key's point that `usable` accepts; undefined when none does. */
export function lookup(ring: HashRing, key: string, usable: (replica: number) => boolean): number | undefined {
  const { points, owners } = ring;
  if (!points.length) return undefined;
  const h = hash32(key);
  // Binary search for the first point >= h.
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (points[mid] < h) lo = mid + 1;
    else hi = mid;
  }
  const tried = new Set<number>();
  for (let i = 0; i < points.length; i++) {
    const owner = owners[(lo + i) % points.length];
    if (tried.has(owner)) continue;
    if (usable(owner)) return owner;
    tried.add(owner);
  }
  return undefined;
}

function hash32(s: string): number {
  return createHash('md5').update(s).digest().readUInt32BE(0);
}
