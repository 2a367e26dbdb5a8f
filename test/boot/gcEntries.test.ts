/**
 * The heap governors' feed (src/boot/gcEntries.ts): each collection of this process arrives, with its
 * kind, as perf_hooks reports it.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { expect, test } from 'vitest';
import { type GcEntry, observeGarbageCollection } from '../../src/boot/gcEntries.js';

test('scavenges arrive as minor, a full collection as major, each with its duration and start', async () => {
  const seen: GcEntry[] = [];
  observeGarbageCollection((e) => seen.push(e));
  let keep: object[] = [];
  // Short-lived garbage well past any young generation's size: scavenges.
  for (let i = 0; i < 3e6; i++) {
    keep.push({ i });
    if (keep.length > 1e5) keep = [];
  }
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
  for (let i = 0; i < 50 && !seen.some((e) => e.kind === 'major'); i++) await new Promise((r) => setTimeout(r, 20));
  expect(seen.some((e) => e.kind === 'minor')).toBe(true);
  expect(seen.some((e) => e.kind === 'major')).toBe(true);
  for (const e of seen) {
    expect(e.duration).toBeGreaterThanOrEqual(0);
    expect(e.startTime).toBeGreaterThan(0);
  }
});
