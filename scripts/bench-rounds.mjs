// Interleaved measurement for benches whose targets compare rows of one run. This machine's speed drifts
// from minute to minute, so two rows measured one after the other carry that drift into their ratio. Instead
// every process of the comparison runs at once and each gets a block of calls in turn, over several rounds in
// an order that rotates per round; each row's latencies are pooled and its CPU summed over its blocks. A
// process left idle while another is measured costs nothing, so running them side by side is fair.
// Used by bench.mjs (stdio) and bench-http.mjs; nothing here knows about MCP.

/** `items` in the order of round `r`: rotated by `r`, so each item takes each place in turn. */
export function rotated(items, r) {
  const k = r % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/** The size of round `r`'s block out of `total` calls split over `rounds` (the first blocks take the remainder). */
export function share(total, rounds, r) {
  return Math.floor(total / rounds) + (r < total % rounds ? 1 : 0);
}

/**
 * Runs `rounds` rounds; in each, every block function in turn, `block(item, r)`, for every item, one at a time,
 * in an order that rotates per round. So with blocks (sequential, concurrent), all items' sequential blocks of
 * a round run back to back, then their concurrent blocks: the blocks two rows compare lie close in time.
 */
export async function inRounds(items, rounds, ...blocks) {
  for (let r = 0; r < rounds; r++) {
    for (const block of blocks) {
      for (const item of rotated(items, r)) await block(item, r);
    }
  }
}

/**
 * One row's figures pooled over its blocks: latencies of its sequential calls, and for its metered blocks the
 * calls, wall seconds, the measured process's CPU ms (undefined when /proc is not readable) and this
 * process's own CPU ms.
 */
export function tally() {
  return { lat: [], calls: 0, secs: 0, cpuMs: 0, ownCpuMs: 0 };
}

/** `n` sequential calls of `call`, each one's latency (ms) pushed to `t.lat`. */
export async function timedCalls(t, call, n) {
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await call();
    t.lat.push(performance.now() - s);
  }
}

/**
 * Runs `block()`, which makes `calls` calls, and adds its wall time and CPU to `t`: `readCpu()` gives the
 * measured process's CPU ms so far (10 ms ticks, so the per-block deltas are summed, not averaged).
 */
export async function metered(t, calls, readCpu, block) {
  const cpu0 = readCpu();
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  await block();
  t.secs += (performance.now() - t0) / 1000;
  const own = process.cpuUsage(own0);
  const cpu1 = readCpu();
  t.cpuMs = t.cpuMs === undefined || cpu0 === undefined || cpu1 === undefined ? undefined : t.cpuMs + cpu1 - cpu0;
  t.ownCpuMs += (own.user + own.system) / 1000;
  t.calls += calls;
}

/** Every caller in `callers` makes `n` calls back to back, all callers at once. */
export function together(callers, n) {
  return Promise.all(
    callers.map(async (call) => {
      for (let i = 0; i < n; i++) await call();
    }),
  );
}
