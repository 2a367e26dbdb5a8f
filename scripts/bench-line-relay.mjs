#!/usr/bin/env node
// `node scripts/bench-line-relay.mjs`: what forwarding a long line costs, by kind of relay, on the 256 KB
// row of `npm run bench` (a tool call with a 256 KB text argument echoed back). Side by side, in batches
// taken in turn so that a busy machine weighs on every row alike:
//  - the echo server called directly (the floor);
//  - a bare line relay that parses nothing, store-and-forward: each line written on once its newline came;
//  - the same relay cut-through: each chunk written on as it arrives;
//  - the proxy (dist/, `npm run build` first).
// The two bare relays bound what cut-through forwarding could win in the proxy: they differ in nothing else.
// Printed per row: calls/s (median and best batch), the median ratio to the direct batch just before,
// latency percentiles, and the relay's own CPU per call (its upstream excluded). Nothing here is a test.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUNDLE as bundle, connect, cpuMs, ECHO as echo, percentile } from './bench.mjs';

const BATCH = Number(process.env.BENCH_BATCH ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 12);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 5000);
/** 256 KB calls before the measured ones (as in bench.mjs: the large-message path settles over hundreds). */
const BIG_WARMUP = Number(process.env.BENCH_BIG_WARMUP ?? 1000);

/** The bare relay: `node -e RELAY server.mjs`, MODE=store or MODE=cut. */
const RELAY = `
const { spawn } = require('node:child_process');
const cut = process.env.MODE === 'cut';
const child = spawn(process.execPath, [process.argv[1]], { stdio: ['pipe', 'pipe', 'ignore'] });
function forward(src, dst) {
  let held = [];
  src.on('data', (chunk) => {
    if (cut) return void dst.write(chunk);
    let from = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, from)) {
      held.push(chunk.subarray(from, nl + 1));
      dst.cork();
      for (const part of held) dst.write(part);
      dst.uncork();
      held = [];
      from = nl + 1;
    }
    if (from < chunk.length) held.push(chunk.subarray(from));
  });
}
forward(process.stdin, child.stdin);
forward(child.stdout, process.stdout);
process.stdin.on('end', () => child.stdin.end());
child.on('exit', () => process.exit(0));
`;

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-proxy-bench-relay-'));
  const cfg = path.join(dir, 'bench.json');
  writeFileSync(
    cfg,
    JSON.stringify({ mcpServers: { echo: { command: process.execPath, args: [echo], protocol: '2025-11-25' } } }),
  );
  const rows = [
    { name: 'direct', args: [echo], tool: 'echo' },
    { name: 'bare relay, store-and-forward', args: ['-e', RELAY, echo], tool: 'echo', env: { MODE: 'store' } },
    { name: 'bare relay, cut-through', args: ['-e', RELAY, echo], tool: 'echo', env: { MODE: 'cut' } },
    {
      name: 'proxy',
      args: [bundle, 'run', '--config', cfg, '--log-level', 'warn', '--no-watch'],
      tool: 'echo__echo',
      env: { MCP_PROXY_CODE_CACHE: path.join(dir, 'code') },
    },
  ];
  const text = 'x'.repeat(256 * 1024);
  for (const row of rows) {
    row.client = await connect(process.execPath, row.args, row.env);
    for (let i = 0; i < WARMUP; i++) await row.client.callTool({ name: row.tool, arguments: { text: 'hi' } });
    for (let i = 0; i < BIG_WARMUP; i++) await row.client.callTool({ name: row.tool, arguments: { text } });
    Object.assign(row, { rates: [], latencies: [], cpu: 0 });
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const row of rows) {
      const cpu0 = cpuMs(row.client.pid);
      const t0 = performance.now();
      for (let i = 0; i < BATCH; i++) {
        const s = performance.now();
        await row.client.callTool({ name: row.tool, arguments: { text } });
        row.latencies.push(performance.now() - s);
      }
      row.rates.push(BATCH / ((performance.now() - t0) / 1000));
      row.cpu += (cpuMs(row.client.pid) ?? Number.NaN) - (cpu0 ?? Number.NaN);
    }
  }
  const direct = rows[0];
  const median = (xs) =>
    percentile(
      [...xs].sort((a, b) => a - b),
      50,
    );
  const out = [];
  for (const row of rows) {
    const lat = [...row.latencies].sort((a, b) => a - b);
    out.push({
      row: row.name,
      'calls/s median': Math.round(median(row.rates)),
      'calls/s best': Math.round(Math.max(...row.rates)),
      'x direct (median of batches)': median(row.rates.map((x, i) => x / direct.rates[i])).toFixed(2),
      'p10 ms': percentile(lat, 10).toFixed(2),
      'p50 ms': percentile(lat, 50).toFixed(2),
      'CPU/call ms': (row.cpu / (ROUNDS * BATCH)).toFixed(2),
    });
    await row.client.close();
  }
  console.table(out);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
