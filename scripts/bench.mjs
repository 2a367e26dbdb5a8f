#!/usr/bin/env node
// `npm run bench`: the proxy's numbers, measured side by side in one run.
//  1. stdio: an MCP client calling a tool directly on a stdio server vs through the proxy (stdio in,
//     stdio out): p50/p99 latency, sequential and concurrent calls/s, and the ratios.
//  2. the other benches, when present: HTTP frontend, start-up time, tools/list token sizes, HAProxy.
// Loops are bounded by count. Targets are printed next to the numbers; nothing here is a test.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundle = path.join(root, 'dist/mcp-proxy.mjs');
const echo = path.join(root, 'test/fixtures/echo-server.mjs');
const SEQUENTIAL = Number(process.env.BENCH_CALLS ?? 3000);
const CONCURRENT_TOTAL = Number(process.env.BENCH_CONCURRENT_CALLS ?? 6000);
const CONCURRENCY = 8;
const WARMUP = 300;

export async function connect(command, args, env = {}) {
  const client = new Client({ name: 'bench', version: '1.0.0' });
  const transport = new StdioClientTransport({
    command,
    args,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stderr: 'ignore',
  });
  await client.connect(transport);
  return client;
}

/** The p-th percentile of sorted latencies (also used by bench-http.mjs). */
export function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function measure(client, tool) {
  const call = () => client.callTool({ name: tool, arguments: { text: 'hello' } });
  for (let i = 0; i < WARMUP; i++) await call();
  const lat = [];
  const t0 = performance.now();
  for (let i = 0; i < SEQUENTIAL; i++) {
    const s = performance.now();
    await call();
    lat.push(performance.now() - s);
  }
  const seqSecs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  let next = 0;
  const t1 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < CONCURRENT_TOTAL) {
        next++;
        await call();
      }
    }),
  );
  const conSecs = (performance.now() - t1) / 1000;
  return {
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    seqPerSec: SEQUENTIAL / seqSecs,
    conPerSec: CONCURRENT_TOTAL / conSecs,
  };
}

async function stdioBench() {
  const direct = await connect(process.execPath, [echo]);
  const d = await measure(direct, 'echo');
  await direct.close();

  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const os = await import('node:os');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-proxy-bench-'));
  // The direct client speaks 2025-11-25; the proxy's upstream hop is measured in both eras (`auto`
  // speaks 2025-11-25 to a server that accepts it, so the 2026 hop is pinned).
  const results = {};
  for (const protocol of ['2026-07-28', '2025-11-25']) {
    const cfg = path.join(dir, `bench-${protocol}.json`);
    writeFileSync(cfg, JSON.stringify({ mcpServers: { echo: { command: process.execPath, args: [echo], protocol } } }));
    const proxied = await connect(process.execPath, [
      bundle,
      'run',
      '--config',
      cfg,
      '--log-level',
      'warn',
      '--no-watch',
    ]);
    results[protocol] = await measure(proxied, 'echo__echo');
    await proxied.close();
  }
  return { d, auto: results['2026-07-28'], legacy: results['2025-11-25'] };
}

function row(cells, widths) {
  return cells.map((c, i) => String(c).padEnd(widths[i])).join('  ');
}

async function optional(file, fn) {
  const full = path.join(root, 'scripts', file);
  if (!existsSync(full)) return undefined;
  const mod = await import(pathToFileURL(full).href);
  return typeof mod[fn] === 'function' ? mod[fn]() : undefined;
}

async function main() {
  if (!existsSync(bundle)) throw new Error('dist/mcp-proxy.mjs is missing: run `npm run build` first');
  console.log(
    `\n## stdio: client -> server directly vs client -> proxy -> server (${SEQUENTIAL} sequential, ${CONCURRENT_TOTAL} with ${CONCURRENCY} in flight)\n`,
  );
  const { d, auto, legacy } = await stdioBench();
  const w = [34, 10, 10, 14, 14];
  const fmt = (name, r) =>
    row([name, r.p50.toFixed(3), r.p99.toFixed(3), r.seqPerSec.toFixed(0), r.conPerSec.toFixed(0)], w);
  console.log(row(['', 'p50 (ms)', 'p99 (ms)', 'sequential/s', 'concurrent/s'], w));
  console.log(fmt('direct (2025-11-25)', d));
  console.log(fmt('proxy, upstream 2026-07-28', auto));
  console.log(fmt('proxy, upstream 2025-11-25 (auto)', legacy));
  for (const [name, p] of [
    ['2026-07-28', auto],
    ['2025-11-25', legacy],
  ]) {
    console.log(
      `ratio proxy (${name}) / direct: p50 ${(p.p50 / d.p50).toFixed(2)}x, sequential ${(p.seqPerSec / d.seqPerSec).toFixed(2)}x, concurrent ${(p.conPerSec / d.conPerSec).toFixed(2)}x`,
    );
  }
  for (const [name, p] of [
    ['2026-07-28', auto],
    ['2025-11-25', legacy],
  ]) {
    const okP50 = p.p50 <= 2 * d.p50;
    const okSeq = p.seqPerSec >= 1200;
    console.log(
      `targets (upstream ${name}): p50 <= 2x direct: ${okP50 ? 'met' : 'NOT met'} (${(p.p50 / d.p50).toFixed(2)}x); >= 1,200 sequential calls/s: ${okSeq ? 'met' : 'NOT met'} (${p.seqPerSec.toFixed(0)})`,
    );
  }

  for (const [title, file, fn] of [
    ['HTTP frontend', 'bench-http.mjs', 'runHttpBench'],
    ['start-up', 'bench-startup.mjs', 'runStartupBench'],
    ['run start-up: serving, first call, 20 servers, catalog cache', 'bench-serve-start.mjs', 'runServeStartBench'],
    ['tools/list size: all vs dynamic mode', 'bench-tokens.mjs', 'runTokenBench'],
    ['team gateway: CPU per call with a ~20-rule policy vs none', 'bench-policy.mjs', 'runPolicyBench'],
    ['audit log: proxy CPU per call, off vs on', 'bench-audit.mjs', 'runAuditBench'],
    ['replicas: 3 copies of a slow upstream vs one', 'bench-replicas.mjs', 'runReplicaBench'],
    ['several proxies behind HAProxy: 2026 clients, 1 proxy vs 3', 'bench-haproxy.mjs', 'runHaproxyBench'],
  ]) {
    try {
      const rows = await optional(file, fn);
      if (!rows) continue;
      console.log(`\n## ${title}\n`);
      console.table(rows);
    } catch (e) {
      console.log(`\n## ${title}: failed: ${e?.message ?? e}`);
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
