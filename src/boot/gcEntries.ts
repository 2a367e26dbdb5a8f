/**
 * Each garbage collection of this process, as perf_hooks reports it, for the heap governors
 * (youngGeneration.ts, oldGeneration.ts). perf_hooks loads when the first one starts: the launcher loads
 * the governors' modules for every command, and only `run` starts them.
 */
import { lazyBuiltin } from '../util/builtin.js';

const perfHooks = lazyBuiltin<typeof import('node:perf_hooks')>('node:perf_hooks');

export type GcKind = 'minor' | 'major' | 'incremental' | 'other';

export interface GcEntry {
  kind: GcKind;
  duration: number;
  startTime: number;
}

/** Calls `fn` for every collection from now on, for the rest of the process's life. */
export function observeGarbageCollection(fn: (entry: GcEntry) => void): void {
  const { PerformanceObserver, constants } = perfHooks();
  const kinds = new Map<number, GcKind>([
    [constants.NODE_PERFORMANCE_GC_MINOR, 'minor'],
    [constants.NODE_PERFORMANCE_GC_MAJOR, 'major'],
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental'],
  ]);
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      fn({
        kind: (kind !== undefined && kinds.get(kind)) || 'other',
        duration: entry.duration,
        startTime: entry.startTime,
      });
    }
  });
  observer.observe({ entryTypes: ['gc'] });
}
