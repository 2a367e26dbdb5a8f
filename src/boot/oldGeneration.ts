/**
 * Loosens the old generation's growing step under sustained full collections (`run` only; started by
 * the launcher beside the young generation's governor, see src/boot/v8flags.ts).
 *
 * `--heap-growing-percent=20` keeps an idle or lightly used proxy's heap close to what it holds. A
 * proxy relaying large messages, though, starts a full mark-compact of its whole heap every few calls
 * (the Buffers each call moves count towards the limit), which then costs more than everything else
 * the call does. So the governor watches what full collections cost (perf_hooks 'gc' entries,
 * incremental marking included) and how often they come, and once they take a noticeable share of the
 * time, or come several times a second, for a few windows in a row, lets the old generation grow by
 * `relaxedPercent` over what the last collection kept. When
 * full collections are rare again (a share under `calmAt` for as many windows in a row: the large
 * messages have stopped), the tight step comes back, so a burst of large messages does not leave the
 * proxy at twice its heap for the rest of its life. Light traffic never loosens it.
 */
import { lazyV8 as v8 } from '../util/builtin.js';
import { observeGarbageCollection } from './gcEntries.js';
import { HEAP_GROWING_PERCENT } from './v8flags.js';

export interface OldGenerationPolicy {
  /** Share of wall time spent in full collections at which a window counts as busy (0.05 = 5%). */
  relaxAt: number;
  /** Full collections a second at which a window counts as busy, whatever their share. */
  relaxPerSecond: number;
  /** Once loosened: full collections a second under which (and a share under `calmAt`) a window counts as calm. */
  calmPerSecond: number;
  /** Busy windows in a row before the step is loosened. */
  sustainWindows: number;
  /** Window the share is measured over, in ms. */
  windowMs: number;
  /** The growing step once loosened (`--heap-growing-percent`). */
  relaxedPercent: number;
  /** Once loosened: share under which a window counts as calm; `sustainWindows` calm ones in a row tighten it. */
  calmAt: number;
  /** The tight step, restored once calm (the launcher's `--heap-growing-percent`, src/boot/v8flags.ts). */
  tightPercent: number;
}

export const DEFAULT_OLD_GENERATION_POLICY: OldGenerationPolicy = {
  relaxAt: 0.05,
  relaxPerSecond: 3,
  calmPerSecond: 1,
  sustainWindows: 3,
  windowMs: 500,
  relaxedPercent: 100,
  calmAt: 0.01,
  tightPercent: HEAP_GROWING_PERCENT,
};

/** What the governor does to the runtime (a port, so the policy is testable without V8). */
export interface OldGenerationRuntime {
  relax(): void;
  tighten(): void;
}

/**
 * The decision loop, fed one full collection (or incremental marking step, `full` false) at a time;
 * `relax` is called when the share or the rate has lasted, `tighten` when, loosened, the collections
 * have been rare as long. A window closes at the first collection after it ends, so a quiet spell is
 * one long window with a small share and a low rate.
 */
export function oldGenerationGovernor(policy: OldGenerationPolicy, runtime: OldGenerationRuntime, startMs: number) {
  let windowStart = startMs;
  let spent = 0;
  let full = 0;
  let inARow = 0;
  let relaxed = false;
  return {
    onCollection(durationMs: number, nowMs: number, isFull = true): void {
      spent += durationMs;
      if (isFull) full++;
      const elapsed = nowMs - windowStart;
      if (elapsed < policy.windowMs) return;
      const share = spent / elapsed;
      const perSecond = (full * 1000) / elapsed;
      windowStart = nowMs;
      spent = 0;
      full = 0;
      const busy = share >= policy.relaxAt || perSecond >= policy.relaxPerSecond;
      const calm = share < policy.calmAt && perSecond < policy.calmPerSecond;
      // Counts busy windows while tight, calm ones while loosened.
      inARow = (relaxed ? calm : busy) ? inARow + 1 : 0;
      if (inARow < policy.sustainWindows) return;
      inARow = 0;
      relaxed = !relaxed;
      if (relaxed) runtime.relax();
      else runtime.tighten();
    },
    get relaxed() {
      return relaxed;
    },
  };
}

/** Governs this process's old generation step for the rest of its life. */
export function governOldGeneration(policy: OldGenerationPolicy = DEFAULT_OLD_GENERATION_POLICY): void {
  const governor = oldGenerationGovernor(
    policy,
    {
      relax: () => v8().setFlagsFromString(`--heap-growing-percent=${policy.relaxedPercent}`),
      tighten: () => v8().setFlagsFromString(`--heap-growing-percent=${policy.tightPercent}`),
    },
    performance.now(),
  );
  observeGarbageCollection(({ kind, duration, startTime }) => {
    if (kind === 'major' || kind === 'incremental') governor.onCollection(duration, startTime, kind === 'major');
  });
}
