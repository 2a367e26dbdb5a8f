import { describe, expect, it } from 'vitest';
import {
  DEFAULT_YOUNG_GENERATION_POLICY,
  shouldGrow,
  type YoungGenerationRuntime,
  youngGenerationGovernor,
} from '../../src/youngGeneration.js';

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
  const scavenge = (gov: ReturnType<typeof youngGenerationGovernor>, ms: number, at: number) => {
    gov.onScavenge(ms, at);
    if (state.factor === 2) state.semi = Math.min(16, state.semi * 2);
  };
  return { state, runtime, scavenge };
}

describe('young generation governor', () => {
  const policy = DEFAULT_YOUNG_GENERATION_POLICY;

  it('grows only when scavenges take a noticeable share, and never past the cap', () => {
    expect(shouldGrow(policy, 0.005, 1)).toBe(false);
    expect(shouldGrow(policy, policy.growAt, 1)).toBe(true);
    expect(shouldGrow(policy, 0.5, policy.capMiB)).toBe(false);
  });

  it('keeps 2 x 1 MiB under light traffic (a scavenge now and then)', () => {
    const { state, runtime, scavenge } = fakeRuntime();
    const gov = youngGenerationGovernor(policy, runtime, 0);
    for (let t = 100; t <= 60_000; t += 500) scavenge(gov, 0.5, t); // 0.1% of the time
    expect(state.changes).toEqual([]);
    expect(state.semi).toBe(1);
  });

  it('grows under sustained scavenging, stops at the cap, and stays there', () => {
    const { state, runtime, scavenge } = fakeRuntime();
    const gov = youngGenerationGovernor(policy, runtime, 0);
    // 40 scavenges a second of 1 ms each: 4% of the time.
    for (let t = 25; t <= 10_000; t += 25) scavenge(gov, 1, t);
    expect(state.semi).toBe(policy.capMiB);
    expect(state.changes).toEqual([2, 1]);
    expect(gov.growing).toBe(false);
  });

  it('a short burst inside one window decides nothing until the window closes', () => {
    const { state, runtime, scavenge } = fakeRuntime();
    const gov = youngGenerationGovernor(policy, runtime, 0);
    for (let t = 10; t < 500; t += 10) scavenge(gov, 3, t);
    expect(state.changes).toEqual([]);
    scavenge(gov, 0.1, 5_000); // the window closes on a quiet scavenge: 147 ms of 5 s is 3%
    expect(state.changes).toEqual([2]);
  });
});
