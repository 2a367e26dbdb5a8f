/**
 * Sparklines sampled from a real prom-client registry (the proxy's own metrics): each point is the
 * calls, errors and mean latency since the previous sample, per upstream; requests without an upstream
 * are not a server's; the series keeps a fixed number of points.
 */
import { describe, expect, test } from 'vitest';
import { Sparklines } from '../../src/dashboard/sparklines.js';
import { createMetrics } from '../../src/observability/prometheus.js';

describe('Sparklines', () => {
  test('one point per sample: the deltas since the last one', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const lines = new Sparklines(metrics);
    metrics.observeRequest('tools/call', 'github', 'ok', 0.1);
    metrics.observeRequest('tools/call', 'github', 'ok', 0.3);
    metrics.observeRequest('tools/call', 'github', 'error', 0.2);
    metrics.observeRequest('tools/call', 'memory', 'ok', 0.01);
    metrics.observeRequest('tools/list', '', 'ok', 0.5);
    await lines.sample();
    expect(lines.of('github')).toEqual([{ calls: 3, errors: 1, meanMs: expect.closeTo(200, 6) }]);
    expect(lines.of('memory')).toEqual([{ calls: 1, errors: 0, meanMs: expect.closeTo(10, 6) }]);
    expect(lines.of('')).toEqual([]);

    // Nothing happened: a zero point (not a repeat of the last).
    await lines.sample();
    expect(lines.of('github')[1]).toEqual({ calls: 0, errors: 0, meanMs: 0 });

    metrics.observeRequest('tools/call', 'github', 'timeout', 1);
    await lines.sample();
    expect(lines.of('github')[2]).toEqual({ calls: 1, errors: 1, meanMs: expect.closeTo(1000, 6) });
    expect(lines.of('unknown')).toEqual([]);
  });

  test('a fixed number of points per server, the newest kept', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const lines = new Sparklines(metrics, 4);
    for (let i = 1; i <= 7; i++) {
      for (let n = 0; n < i; n++) metrics.observeRequest('tools/call', 'echo', 'ok', 0.001);
      await lines.sample();
    }
    expect(lines.of('echo').map((p) => p.calls)).toEqual([4, 5, 6, 7]);
  });

  test('without metrics: no series, and start() schedules nothing', async () => {
    const lines = new Sparklines(undefined);
    lines.start(1);
    await lines.sample();
    expect(lines.of('echo')).toEqual([]);
    lines.stop();
  });
});
