#!/usr/bin/env node
// Replicas behind one name: calls/s through the proxy (the built bundle over stdio) to a slow
// upstream that handles one request at a time (10 ms each: test/fixtures/replica-server.mjs `serial`),
// with one replica and with 3 (`"replicas": 3`, round-robin and least-outstanding), 12 calls in
// flight. The proxy's CPU per call is shown beside it. Target: 3 replicas >= 2.7x the calls/s of one.
// Called by scripts/bench.mjs (`runReplicaBench()`), or alone: `node scripts/bench-replicas.mjs`.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { BUNDLE as bundle, cpuMs, ROOT as root, runAlone } from './bench.mjs';

const replica = path.join(root, 'test/fixtures/replica-server.mjs');
const CALLS = Number(process.env.BENCH_REPLICA_CALLS ?? 600);
const IN_FLIGHT = 12;
const MS = 10;

async function run(dir, replicas, balance) {
  const cfg = path.join(dir, `replicas-${replicas}-${balance}.json`);
  const server = { command: process.execPath, args: [replica], ...(replicas > 1 ? { replicas, balance } : {}) };
  writeFileSync(cfg, JSON.stringify({ mcpServers: { slow: server } }));
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [bundle, 'run', '--config', cfg, '--log-level', 'warn', '--no-watch'],
    env: { PATH: process.env.PATH ?? '', HOME: dir },
    stderr: 'ignore',
  });
  const client = new Client({ name: 'bench-replicas', version: '1.0.0' });
  await client.connect(transport);
  const call = () => client.callTool({ name: 'slow__serial', arguments: { ms: MS } });
  // Every replica connected and warm before the clock starts.
  for (let i = 0; i < 3 * replicas; i++) await call();
  const cpu0 = existsSync(`/proc/${transport.pid}/stat`) ? cpuMs(transport.pid) : undefined;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < CALLS) {
        next++;
        await call();
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  const cpu = cpu0 === undefined ? undefined : (cpuMs(transport.pid) - cpu0) / CALLS;
  await client.close();
  return { perSec: CALLS / secs, cpu };
}

export async function runReplicaBench() {
  if (!existsSync(bundle)) throw new Error('dist/mcp-proxy.mjs is missing: run `npm run build` first');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-proxy-bench-replicas-'));
  try {
    const one = await run(dir, 1);
    const rr = await run(dir, 3, 'round-robin');
    const lo = await run(dir, 3, 'least-outstanding');
    const fmt = (r) => (r.cpu === undefined ? 'n/a' : r.cpu.toFixed(3));
    const row = (setup, r) => ({
      setup,
      'calls/s': r.perSec.toFixed(0),
      'x one': (r.perSec / one.perSec).toFixed(2),
      'proxy CPU ms/call': fmt(r),
    });
    const best = Math.max(rr.perSec, lo.perSec) / one.perSec;
    return [
      row(`1 replica (${MS} ms per call, one at a time)`, one),
      row('3 replicas, round-robin', rr),
      row('3 replicas, least-outstanding', lo),
      { setup: `target: 3 replicas >= 2.7x one: ${best >= 2.7 ? 'met' : 'NOT met'} (${best.toFixed(2)}x)` },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

runAlone(import.meta.url, runReplicaBench);
