/**
 * Latency and error-rate history per upstream for the dashboard's sparklines, sampled from the
 * proxy's own metrics (the same counters /metrics serves): every interval, the calls, errors and
 * summed latency since the previous sample. A fixed number of points per server is kept.
 */
import type { RenderableMetrics } from '../observability/metrics.js';

export interface Point {
  /** Requests in the interval. */
  calls: number;
  /** Of those, failed (any outcome but ok). */
  errors: number;
  /** Mean latency in the interval, ms (0 when there were no calls). */
  meanMs: number;
}

interface Totals {
  calls: number;
  errors: number;
  seconds: number;
}

export class Sparklines {
  private readonly series = new Map<string, Point[]>();
  private last = new Map<string, Totals>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly metrics: RenderableMetrics | undefined,
    private readonly points = 30,
  ) {}

  start(intervalMs: number): void {
    if (!this.metrics || this.timer) return;
    this.timer = setInterval(() => void this.sample(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  of(upstream: string): Point[] {
    return this.series.get(upstream) ?? [];
  }

  async sample(): Promise<void> {
    if (!this.metrics) return;
    const now = await totals(this.metrics);
    for (const [upstream, t] of now) {
      const before = this.last.get(upstream) ?? { calls: 0, errors: 0, seconds: 0 };
      const calls = t.calls - before.calls;
      const point: Point = {
        calls,
        errors: t.errors - before.errors,
        meanMs: calls > 0 ? ((t.seconds - before.seconds) / calls) * 1000 : 0,
      };
      const list = this.series.get(upstream) ?? [];
      list.push(point);
      if (list.length > this.points) list.shift();
      this.series.set(upstream, list);
    }
    this.last = now;
  }
}

async function totals(metrics: RenderableMetrics): Promise<Map<string, Totals>> {
  const out = new Map<string, Totals>();
  const at = (u: string) => {
    const t = out.get(u) ?? { calls: 0, errors: 0, seconds: 0 };
    out.set(u, t);
    return t;
  };
  type Values = { values: { labels: Record<string, unknown>; value: number; metricName?: string }[] };
  const metricNamed = (suffix: string) =>
    metrics.registry.getMetricsAsArray().find((m) => m.name.endsWith(suffix)) as { get(): Promise<Values> } | undefined;
  const requests = await metricNamed('requests_total')?.get();
  for (const v of requests?.values ?? []) {
    const upstream = String(v.labels.upstream ?? '');
    if (!upstream) continue;
    at(upstream).calls += v.value;
    if (v.labels.outcome !== 'ok') at(upstream).errors += v.value;
  }
  const latency = await metricNamed('request_duration_seconds')?.get();
  for (const v of latency?.values ?? []) {
    const upstream = String(v.labels.upstream ?? '');
    if (upstream && (v as { metricName?: string }).metricName?.endsWith('_sum')) at(upstream).seconds += v.value;
  }
  return out;
}
