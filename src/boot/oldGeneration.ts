/**
 * Loosens the old generation's growing step under sustained full collections (`run` only; started by
 * the launcher beside the young generation's governor, see src/boot/v8flags.ts).
 *
 * `--heap-growing-percent=20` keeps an idle or lightly used proxy's heap close to what it holds. A
 * proxy relaying large messages, though, starts a full mark-compact of its whole heap every few calls
 * (the Buffers each call moves count towards the limit), which then costs more than everything else
 * the call does. So the governor watches what full collections cost (perf_hooks 'gc' entries,
 * incremental marking included) and, once they take a noticeable share of the time for a few windows
 * in a row, lets the old generation grow by `relaxedPercent` over what the last collection kept, for
 * the rest of the process's life (as the young generation keeps the size it grew to). Light traffic
 * never triggers it.
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';

export interface OldGenerationPolicy {
  /** Share of wall time spent in full collections at which a window counts as busy (0.05 = 5%). */
  relaxAt: number;
  /** Busy windows in a row before the step is loosened. */
  sustainWindows: number;
  /** Window the share is measured over, in ms. */
  windowMs: number;
  /** The growing step once loosened (`--heap-growing-percent`). */
  relaxedPercent: number;
}

export const DEFAULT_OLD_GENERATION_POLICY: OldGenerationPolicy = {
  relaxAt: 0.05,
  sustainWindows: 3,
  windowMs: 500,
  relaxedPercent: 100,
};

/**
 * The decision loop, fed one full collection (or incremental marking step) at a time; `relax` is
 * called once, when the share has lasted. A window closes at the first collection after it ends, so
 * a quiet spell is one long window with a small share.
 */
export function oldGenerationGovernor(policy: OldGenerationPolicy, relax: () => void, startMs: number) {
  let windowStart = startMs;
  let spent = 0;
  let busyWindows = 0;
  let relaxed = false;
  return {
    onCollection(durationMs: number, nowMs: number): void {
      if (relaxed) return;
      spent += durationMs;
      const elapsed = nowMs - windowStart;
      if (elapsed < policy.windowMs) return;
      busyWindows = spent / elapsed >= policy.relaxAt ? busyWindows + 1 : 0;
      windowStart = nowMs;
      spent = 0;
      if (busyWindows >= policy.sustainWindows) {
        relaxed = true;
        relax();
      }
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
    () => {
      v8.setFlagsFromString(`--heap-growing-percent=${policy.relaxedPercent}`);
      observer.disconnect();
    },
    performance.now(),
  );
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR || kind === constants.NODE_PERFORMANCE_GC_INCREMENTAL) {
        governor.onCollection(entry.duration, entry.startTime);
      }
    }
  });
  observer.observe({ entryTypes: ['gc'] });
}
