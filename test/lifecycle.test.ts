import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Lifecycle } from '../src/lifecycle.js';
import { createLogger } from '../src/observability/logger.js';

function setup(opts: { graceMs?: number; closeTimeoutMs?: number; inflight?: () => number } = {}) {
  let logs = '';
  const destination = new Writable({
    write(chunk, _enc, cb) {
      logs += chunk.toString();
      cb();
    },
  });
  const logger = createLogger({ level: 'debug', format: 'json', destination } as never);
  const signals = new EventEmitter();
  const forced: number[] = [];
  const order: string[] = [];
  let reloads = 0;
  const lc = new Lifecycle({
    logger,
    graceMs: opts.graceMs ?? 1000,
    closeTimeoutMs: opts.closeTimeoutMs,
    inflight: opts.inflight,
    forceExit: (code) => forced.push(code),
    onReload: () => reloads++,
    signals,
  });
  lc.installSignalHandlers();
  return { lc, signals, forced, order, logs: () => logs, reloads: () => reloads };
}

describe('Lifecycle', () => {
  it('stops intake first, waits for in-flight calls, then runs closers in order', async () => {
    let inflight = 2;
    const t = setup({ inflight: () => inflight });
    t.lc.addStopAccepting('listener', () => t.order.push('stop accepting'));
    t.lc.add('sessions', async () => t.order.push(`sessions (inflight ${inflight})`));
    t.lc.add('upstreams', async () => t.order.push('upstreams'));
    t.signals.emit('SIGTERM');
    await new Promise((r) => setTimeout(r, 60));
    expect(t.order).toEqual(['stop accepting']);
    inflight = 0;
    await t.lc.done;
    expect(t.order).toEqual(['stop accepting', 'sessions (inflight 0)', 'upstreams']);
    expect(t.forced).toEqual([]);
  });

  it('gives up waiting when the grace period ends', async () => {
    const t = setup({ graceMs: 50, inflight: () => 1 });
    // The frontend's view of the same call: one call in flight, not two.
    t.lc.addInflight(() => 1);
    t.lc.add('upstreams', async () => t.order.push('upstreams'));
    t.signals.emit('SIGINT');
    await t.lc.done;
    expect(t.order).toEqual(['upstreams']);
    expect(t.logs()).toMatch(/grace period over/);
    expect(t.logs()).toMatch(/"inflight":1,/);
    expect(t.logs()).not.toMatch(/"inflight":2/);
  });

  it('a second signal forces the exit with 130; a closer that throws does not stop the others', async () => {
    const t = setup({ graceMs: 10_000, inflight: () => 1 });
    t.lc.add('broken', async () => {
      throw new Error('boom');
    });
    t.lc.add('upstreams', async () => t.order.push('upstreams'));
    t.signals.emit('SIGINT');
    t.signals.emit('SIGINT');
    expect(t.forced).toEqual([130]);
    const t2 = setup();
    t2.lc.add('broken', async () => {
      throw new Error('boom');
    });
    t2.lc.add('upstreams', async () => t2.order.push('upstreams'));
    await t2.lc.shutdown('test');
    expect(t2.order).toEqual(['upstreams']);
    await new Promise((r) => setTimeout(r, 20));
    expect(t2.logs()).toMatch(/error while closing/);
  });

  it('forces the exit when the closers hang past grace + close timeout', async () => {
    const t = setup({ graceMs: 10, closeTimeoutMs: 50 });
    t.lc.add('hangs', () => new Promise(() => {}));
    void t.lc.shutdown('test');
    await new Promise((r) => setTimeout(r, 150));
    expect(t.forced).toEqual([1]);
    expect(t.logs()).toMatch(/taking too long/);
  });

  it.skipIf(process.platform === 'win32')('SIGHUP asks for a reload, but not during shutdown', async () => {
    const t = setup();
    t.signals.emit('SIGHUP');
    expect(t.reloads()).toBe(1);
    await t.lc.shutdown('test');
    t.signals.emit('SIGHUP');
    expect(t.reloads()).toBe(1);
  });
});
