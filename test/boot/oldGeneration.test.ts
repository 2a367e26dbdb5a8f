import { describe, expect, it } from 'vitest';
import { DEFAULT_OLD_GENERATION_POLICY, oldGenerationGovernor } from '../../src/boot/oldGeneration.js';

const { relaxAt, sustainWindows, windowMs } = DEFAULT_OLD_GENERATION_POLICY;

/** A governor and how often it relaxed; `collections(ms, every, from, to)` feeds it full collections. */
function setup() {
  const state = { relaxed: 0 };
  const gov = oldGenerationGovernor(DEFAULT_OLD_GENERATION_POLICY, () => state.relaxed++, 0);
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
