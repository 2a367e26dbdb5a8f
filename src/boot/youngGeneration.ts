/**
 * Sizes V8's young generation to the traffic, at run time (`run` only; started by the launcher once the
 * core has loaded, see src/boot/v8flags.ts).
 *
 * V8 decides the young generation's size at each scavenge: when more bytes survived since the last
 * resize than it holds, it multiplies its size by `--semi-space-growth-factor`, up to 2 x 16 MiB, and
 * never gives the pages back while the process runs. Node's default factor (2) means any burst (the
 * core's own load, eight sessions opening at once) leaves 16-32 MiB of young generation committed for
 * good. A factor of 1 keeps it at 2 x 1 MiB, which costs throughput once calls arrive by the thousand:
 * a scavenge every MiB, and objects of calls still in flight copied and promoted.
 *
 * So the governor watches what scavenges cost (perf_hooks 'gc' entries) and lets the young generation
 * grow only while they take a noticeable share of the time (`growAt` of each `windowMs` window, for
 * `sustainWindows` windows in a row), and only up to `capMiB` per semi-space. A process that serves a
 * desktop client or a few sessions stays at 2 x 1 MiB, whatever its start-up cost; a busy one grows
 * within seconds and keeps that size. The cap is small: since hot requests are relayed as messages, a
 * call leaves little garbage, and larger semi-spaces bought no CPU per call measurable in `npm run bench`
 * while every MiB of them stays resident.
 */
import { lazyV8 as v8 } from '../util/builtin.js';
import { observeGarbageCollection } from './gcEntries.js';

export interface YoungGenerationPolicy {
  /** Share of wall time spent in scavenges at which a window counts as busy (0.02 = 2%). */
  growAt: number;
  /** Busy windows in a row before the young generation may grow (a start-up or a burst is not traffic). */
  sustainWindows: number;
  /** Largest semi-space the governor grows to, in MiB (V8's own maximum is 16). */
  capMiB: number;
  /** Window the share is measured over, in ms. */
  windowMs: number;
}

export const DEFAULT_YOUNG_GENERATION_POLICY: YoungGenerationPolicy = {
  growAt: 0.02,
  sustainWindows: 3,
  capMiB: 2,
  windowMs: 1000,
};

/** What the governor needs from the runtime (a port, so the policy is testable without V8). */
export interface YoungGenerationRuntime {
  /** Current size of one semi-space in MiB. */
  semiSpaceMiB(): number;
  setGrowthFactor(factor: 1 | 2): void;
}

/**
 * The decision loop, fed one scavenge at a time: `onScavenge(durationMs, nowMs)`. Starts with growth
 * off (the launcher loads the core with factor 1). A window closes at the first scavenge after it
 * ends, so a quiet spell is one long window with a small share.
 */
export function youngGenerationGovernor(
  policy: YoungGenerationPolicy,
  runtime: YoungGenerationRuntime,
  startMs: number,
) {
  let windowStart = startMs;
  let spent = 0;
  let busyWindows = 0;
  let growing = false;
  return {
    onScavenge(durationMs: number, nowMs: number): void {
      spent += durationMs;
      const elapsed = nowMs - windowStart;
      if (elapsed >= policy.windowMs) {
        busyWindows = spent / elapsed >= policy.growAt ? busyWindows + 1 : 0;
        windowStart = nowMs;
        spent = 0;
      } else if (!growing) {
        return;
      }
      // While growing, the cap is checked at every scavenge: V8 may double the size at any of them.
      const grow = busyWindows >= policy.sustainWindows && runtime.semiSpaceMiB() < policy.capMiB;
      if (grow !== growing) {
        growing = grow;
        runtime.setGrowthFactor(grow ? 2 : 1);
      }
    },
    get growing() {
      return growing;
    },
  };
}

const v8Runtime: YoungGenerationRuntime = {
  semiSpaceMiB() {
    const space = v8()
      .getHeapSpaceStatistics()
      .find((s) => s.space_name === 'new_space');
    // space_size is what both semi-spaces have committed.
    return space ? space.space_size / 2 / 1048576 : 0;
  },
  setGrowthFactor(factor) {
    v8().setFlagsFromString(`--semi-space-growth-factor=${factor}`);
  },
};

/** Governs this process's young generation for the rest of its life. */
export function governYoungGeneration(policy: YoungGenerationPolicy = DEFAULT_YOUNG_GENERATION_POLICY): void {
  const governor = youngGenerationGovernor(policy, v8Runtime, performance.now());
  observeGarbageCollection(({ kind, duration, startTime }) => {
    if (kind === 'minor') governor.onScavenge(duration, startTime);
  });
}
