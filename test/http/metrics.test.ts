import { describe, expect, test } from 'vitest';
import { isRenderable, noopMetrics } from '../../src/observability/metrics.js';
import { createMetrics } from '../../src/observability/prometheus.js';

describe('createMetrics', () => {
  test('records requests, latency, upstream state, restarts and sessions in Prometheus text', async () => {
    const m = createMetrics({ processMetrics: false });
    m.observeRequest('tools/call', 'alpha', 'ok', 0.0008);
    m.observeRequest('tools/call', 'alpha', 'tool_error', 0.2);
    m.setUpstreamUp('alpha', true);
    m.setUpstreamUp('beta', false);
    m.setBreakerState('beta', 'open');
    m.incUpstreamRestarts('beta');
    m.setOpenSessions('sse', 3);
    const text = await m.render();
    expect(m.contentType).toContain('text/plain');
    expect(text).toContain('mcp_proxy_requests_total{method="tools/call",upstream="alpha",outcome="ok"} 1');
    expect(text).toContain('mcp_proxy_requests_total{method="tools/call",upstream="alpha",outcome="tool_error"} 1');
    expect(text).toContain(
      'mcp_proxy_request_duration_seconds_bucket{le="0.001",method="tools/call",upstream="alpha"} 1',
    );
    expect(text).toContain('mcp_proxy_request_duration_seconds_count{method="tools/call",upstream="alpha"} 2');
    expect(text).toContain('mcp_proxy_upstream_up{upstream="alpha"} 1');
    expect(text).toContain('mcp_proxy_upstream_up{upstream="beta"} 0');
    expect(text).toContain('mcp_proxy_upstream_breaker_state{upstream="beta"} 2');
    expect(text).toContain('mcp_proxy_upstream_restarts_total{upstream="beta"} 1');
    expect(text).toContain('mcp_proxy_open_sessions{transport="sse"} 3');
    expect(text).not.toContain('process_cpu');
  });

  test('each instance has its own registry (two proxies in one process never collide)', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.observeRequest('ping', '', 'ok', 0.001);
    expect(await a.render()).toContain('mcp_proxy_requests_total{method="ping",upstream="",outcome="ok"} 1');
    expect(await b.render()).not.toContain('method="ping"');
    expect(await b.render()).toContain('mcp_proxy_process_cpu_user_seconds_total');
  });

  test('noopMetrics is not renderable', () => {
    expect(isRenderable(noopMetrics)).toBe(false);
    expect(isRenderable(createMetrics({ processMetrics: false }))).toBe(true);
  });
});
