/**
 * The official conformance suite (`server --suite all`), first against the HTTP layer alone (the fixture
 * server behind createHttpApp), then through the whole proxy: fixture upstream over stdio (prefix off)
 * -> pool -> aggregator -> HTTP frontend, with each upstream era. Every scenario must pass, DNS-rebinding
 * protection included.
 */
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { Aggregator } from '../../src/aggregator/server.js';
import { type HttpFrontend, startHttpFrontend } from '../../src/frontends/http/start.js';
import { silentLogger } from '../../src/observability/logger.js';
import { UpstreamPool } from '../../src/upstream/pool.js';
// @ts-expect-error a plain .mjs fixture without types
import { createConformanceServer } from '../fixtures/conformance-upstream.mjs';
import { REPO, runConformance } from './conformance.js';

const SCENARIOS = 32;
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c();
});

function expectAllPass(r: Awaited<ReturnType<typeof runConformance>>) {
  expect(r.failures, r.output.slice(-3000)).toEqual([]);
  expect(r.warnings).toEqual([]);
  expect(Object.keys(r.scenarios).length).toBe(SCENARIOS);
  expect(r.scenarios['dns-rebinding-protection'].map((c) => c.status)).toEqual(['SUCCESS', 'SUCCESS']);
  expect(r.exitCode).toBe(0);
}

describe('conformance suite', () => {
  test('against the HTTP layer with the fixture server wired directly', async () => {
    const fe: HttpFrontend = await startHttpFrontend({
      host: '127.0.0.1',
      port: 0,
      serverFactory: () => createConformanceServer(),
      status: () => ({ ready: true, upstreams: [] }),
      rateLimit: false,
    });
    closers.push(() => fe.close());
    const r = await runConformance(fe.url);
    expectAllPass(r);
  }, 240_000);

  // The suite's scenarios are 2025-era (sampling, elicitation, logging, subscriptions over a session): every
  // one of them must pass whichever era the proxy speaks to the upstream, and with the default (auto).
  test.each([['2025-11-25'], ['2026-07-28'], ['auto']] as const)(
    'through the proxy: fixture upstream over stdio, prefix off, upstream hop %s',
    async (protocol) => {
      const logger = silentLogger();
      const pool = new UpstreamPool({
        configs: {
          conformance: {
            type: 'stdio',
            command: process.execPath,
            args: [path.join(REPO, 'test/fixtures/conformance-upstream.mjs')],
            prefix: false,
            protocol,
          },
        },
        logger,
        env: process.env,
        cwd: REPO,
        onStderrLine: () => {},
      });
      closers.push(() => pool.close());
      await pool.start();
      expect(pool.snapshot().map((s) => s.state)).toEqual(['ready']);
      // auto speaks 2025-11-25 to a server that accepts it.
      expect(pool.snapshot()[0].protocolVersion).toBe(protocol === 'auto' ? '2025-11-25' : protocol);
      const agg = new Aggregator({ pool, logger, separator: '__' });
      const fe = await startHttpFrontend({
        host: '127.0.0.1',
        port: 0,
        serverFactory: ({ era }) => agg.createServer({ era, transient: era === 'modern' }),
        status: () => ({ ready: pool.firstRoundDone, upstreams: pool.snapshot() }),
        rateLimit: false,
      });
      closers.push(() => fe.close());
      const r = await runConformance(fe.url);
      expectAllPass(r);
    },
    240_000,
  );
});
