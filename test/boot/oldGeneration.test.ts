import { describe, expect, it } from 'vitest';
import { DEFAULT_OLD_GENERATION_POLICY, oldGenerationGovernor } from '../../src/boot/oldGeneration.js';

const { relaxAt, calmAt, sustainWindows, windowMs } = DEFAULT_OLD_GENERATION_POLICY;

/** A governor and how often it relaxed and tightened; `collections(ms, every, from, to)` feeds it full collections. */
function setup() {
  const state = { relaxed: 0, tightened: 0 };
  const gov = oldGenerationGovernor(
    DEFAULT_OLD_GENERATION_POLICY,
    { relax: () => state.relaxed++, tighten: () => state.tightened++ },
    0,
  );
  const collections = (ms: number, every: number, from: number, to: number) => {
    for (let t = from; t <= to; t += every) gov.onCollection(ms, t);
  };
  return { state, gov, collections };
}

describe('old generation governor', () => {
  it('leaves the step alone under light traffic (a full collection now and then)', () => {
    const { state, collections } = setup();
    collections(10, 2000, 100, 120_000); // 0.5% of the time
    expect(state.relaxed).toBe(0);
  });

  it('loosens the step once, after full collections took their share for the windows in a row', () => {
    const { state, gov, collections } = setup();
    const busy = windowMs / 10;
    collections(busy * relaxAt * 2, busy, busy, sustainWindows * windowMs - busy);
    expect(state.relaxed).toBe(0);
    collections(busy * relaxAt * 2, busy, sustainWindows * windowMs, (sustainWindows + 2) * windowMs);
    expect(state.relaxed).toBe(1);
    expect(gov.relaxed).toBe(true);
    collections(busy, busy, (sustainWindows + 2) * windowMs, 60_000);
    expect(state.relaxed).toBe(1);
    expect(state.tightened).toBe(0);
  });

  it('stays loosened while full collections keep a share above the calm one (large messages still flowing)', () => {
    const { state, gov, collections } = setup();
    collections(windowMs * relaxAt * 2, windowMs, windowMs, (sustainWindows + 1) * windowMs);
    expect(gov.relaxed).toBe(true);
    // Loosened, the collections come less often: a share between calm and busy.
    const between = (calmAt + relaxAt) / 2;
    collections(2000 * between, 2000, (sustainWindows + 2) * windowMs, 120_000);
    expect(gov.relaxed).toBe(true);
    expect(state.tightened).toBe(0);
  });

  it('tightens the step again once full collections are rare, and loosens it again for the next burst', () => {
    const { state, gov, collections } = setup();
    const burst = (from: number) =>
      collections(windowMs * relaxAt * 2, windowMs, from, from + sustainWindows * windowMs);
    burst(windowMs);
    expect(state.relaxed).toBe(1);
    const calmFrom = (sustainWindows + 2) * windowMs;
    collections(5000 * calmAt * 0.5, 5000, calmFrom, calmFrom + (sustainWindows - 1) * 5000);
    expect(state.tightened).toBe(0); // not yet: one calm window short
    collections(5000 * calmAt * 0.5, 5000, calmFrom + sustainWindows * 5000, calmFrom + sustainWindows * 5000);
    expect(state.tightened).toBe(1);
    expect(gov.relaxed).toBe(false);
    burst(100_000);
    expect(state.relaxed).toBe(2);
  });

  it('loosens the step when full collections come several times a second, however short each is', () => {
    const { state, gov, collections } = setup();
    const every = 1000 / (DEFAULT_OLD_GENERATION_POLICY.relaxPerSecond + 1);
    // Each 0.1 ms: a share far under relaxAt; only the rate says the heap is under pressure.
    collections(0.1, every, every, (sustainWindows + 2) * windowMs);
    expect(state.relaxed).toBe(1);
    // Incremental marking steps as often count for the share only, not for the rate.
    const other = setup();
    for (let t = every; t <= (sustainWindows + 2) * windowMs; t += every) other.gov.onCollection(0.1, t, false);
    expect(other.state.relaxed).toBe(0);
    expect(gov.relaxed).toBe(true);
  });

  it('a busy start-up followed by light traffic never loosens it', () => {
    const { state, collections } = setup();
    const end = (sustainWindows - 1) * windowMs;
    collections(20, 50, 50, end); // 40% of the time, for less than the windows needed
    collections(5, 3000, end + 3000, 120_000);
    expect(state.relaxed).toBe(0);
  });

  it('busy windows must follow each other: a quiet one in between starts the count again', () => {
    const { state, collections } = setup();
    let t = 0;
    for (let round = 0; round < 10; round++) {
      collections(windowMs * relaxAt * 0.5, windowMs / 5, t + windowMs / 5, t + (sustainWindows - 1) * windowMs);
      t += (sustainWindows - 1) * windowMs;
      collections(1, windowMs * 2, t + windowMs * 2, t + windowMs * 4); // a quiet spell
      t += windowMs * 4;
    }
    expect(state.relaxed).toBe(0);
  });
});
