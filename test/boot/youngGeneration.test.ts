import { describe, expect, it } from 'vitest';
import {
  DEFAULT_YOUNG_GENERATION_POLICY,
  type YoungGenerationRuntime,
  youngGenerationGovernor,
} from '../../src/boot/youngGeneration.js';

/** A young generation that grows like V8's: doubling at each scavenge while the factor is 2. */
function fakeRuntime() {
  const state = { semi: 1, factor: 1 as 1 | 2, changes: [] as number[] };
  const runtime: YoungGenerationRuntime = {
    semiSpaceMiB: () => state.semi,
    setGrowthFactor(f) {
      state.factor = f;
      state.changes.push(f);
    },
  };
  const gov = youngGenerationGovernor(DEFAULT_YOUNG_GENERATION_POLICY, runtime, 0);
  /** Scavenges of `ms` each, every `every` ms, from `from` to `to`. */
  const scavenges = (ms: number, every: number, from: number, to: number) => {
    for (let t = from; t <= to; t += every) {
      gov.onScavenge(ms, t);
      if (state.factor === 2) state.semi = Math.min(16, state.semi * 2);
    }
  };
  return { state, gov, scavenges };
}

describe('young generation governor', () => {
  const { capMiB, sustainWindows, windowMs } = DEFAULT_YOUNG_GENERATION_POLICY;

  it('keeps 2 x 1 MiB under light traffic (a scavenge now and then)', () => {
    const { state, scavenges } = fakeRuntime();
    scavenges(0.5, 500, 100, 60_000); // 0.1% of the time
    expect(state.changes).toEqual([]);
    expect(state.semi).toBe(1);
  });

  it('grows under sustained scavenging, stops at the cap, and stays there', () => {
    const { state, gov, scavenges } = fakeRuntime();
    scavenges(1, 25, 25, 10_000); // 40 scavenges a second of 1 ms each: 4% of the time
    expect(state.semi).toBe(capMiB);
    expect(state.changes).toEqual([2, 1]);
    expect(gov.growing).toBe(false);
  });

  it('waits for the share to last: nothing grows before the windows in a row are busy', () => {
    const { state, scavenges } = fakeRuntime();
    scavenges(1, 25, 25, sustainWindows * windowMs - 50);
    expect(state.changes).toEqual([]);
    scavenges(1, 25, sustainWindows * windowMs, (sustainWindows + 1) * windowMs);
    expect(state.changes[0]).toBe(2);
  });

  it('a busy start-up followed by light traffic never grows it', () => {
    const { state, scavenges } = fakeRuntime();
    scavenges(5, 20, 20, (sustainWindows - 1) * windowMs); // 25% of the time, for less than the windows needed
    scavenges(0.5, 700, (sustainWindows - 1) * windowMs + 700, 60_000);
    expect(state.changes).toEqual([]);
    expect(state.semi).toBe(1);
  });
});
