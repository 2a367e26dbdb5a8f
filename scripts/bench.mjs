#!/usr/bin/env node
// `npm run bench`: the proxy's numbers, measured side by side in one run.
//  1. stdio: an MCP client calling a tool directly on a stdio server vs through the proxy (stdio in,
//     stdio out): p50/p99 latency, sequential and concurrent calls/s, and the ratios.
//  2. the other benches, when present: HTTP frontend, start-up time, tools/list token sizes, HAProxy.
// Loops are bounded by count. Targets are printed next to the numbers; nothing here is a test.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { inRounds, metered, share, tally, timedCalls, together } from './bench-rounds.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The proxy measured; MCP_PROXY_BENCH_BUNDLE: another build (a copy of an older dist/mcp-proxy.mjs) to compare. */
export const BUNDLE = process.env.MCP_PROXY_BENCH_BUNDLE ?? path.join(ROOT, 'dist/mcp-proxy.mjs');
/** The stdio echo server every bench calls. */
export const ECHO = path.join(ROOT, 'test/fixtures/echo-server.mjs');

/**
 * The environment start-up is measured in (every process alike: bare Node, the proxy, its servers):
 * without NODE_EXTRA_CA_CERTS. Node before 22 reads and parses that bundle as it starts (about 50 ms of
 * CPU on this machine, whose TLS is intercepted, for every process), which would hide a start-up's own
 * cost inside bare Node's. Nothing measured here needs a certificate: everything is local.
 */
export const STARTUP_ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_EXTRA_CA_CERTS'));
/** A row's note when the machine sets it. */
export const STARTUP_ENV_NOTE =
  process.env.NODE_EXTRA_CA_CERTS === undefined
    ? undefined
    : 'NODE_EXTRA_CA_CERTS is set here: every process below runs without it';
const root = ROOT;
const bundle = BUNDLE;
const echo = ECHO;
const SEQUENTIAL = Number(process.env.BENCH_CALLS ?? 3000);
const CONCURRENT_TOTAL = Number(process.env.BENCH_CONCURRENT_CALLS ?? 6000);
const CONCURRENCY = 8;
/**
 * Calls before the measured ones, in every row alike (the direct server's too): V8 compiles a process's hot
 * path over its first few thousand calls (CPU per call falls about threefold meanwhile), and a proxy runs for
 * hours, so the figures are the steady state. BENCH_WARMUP=300 shows the warming-up figures instead.
 */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 5000);
const BIG_CALLS = Number(process.env.BENCH_BIG_CALLS ?? 200);
/**
 * 256 KB calls before the measured ones, in every row alike: a process's large-message path settles over its
 * first several hundred such calls, after the small calls' warm-up (the proxy's CPU per 256 KB call falls about
 * twofold meanwhile), so the row is the steady state as the others are. BENCH_BIG_WARMUP=20 shows the early figures.
 */
const BIG_WARMUP = Number(process.env.BENCH_BIG_WARMUP ?? 1000);
/** Calls after the measured ones over which the proxy's memory is watched (the issue asks 100,000). */
const GROWTH_CALLS = Number(process.env.BENCH_GROWTH_CALLS ?? 100_000);

export async function connect(command, args, env = {}) {
  const client = new Client({ name: 'bench', version: '1.0.0' });
  const transport = new StdioClientTransport({
    command,
    args,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stderr: 'ignore',
  });
  await client.connect(transport);
  client.pid = transport.pid;
  return client;
}

/** CPU time (user + system) process `pid` has used so far, in ms (Linux /proc; undefined elsewhere). */
export function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10; // clock ticks of 10 ms (USER_HZ)
  } catch {
    return undefined;
  }
}

/** Resident memory of process `pid` in MB (Linux /proc; undefined elsewhere). */
export function rssMb(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
  } catch {
    return undefined;
  }
}

/** The p-th percentile of sorted latencies (also used by bench-http.mjs). */
/** For a bench file run alone (`node scripts/bench-x.mjs`): runs it, prints its rows, exits 0 (1 on failure). */
export function runAlone(moduleUrl, run) {
  if (moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  run().then(
    (rows) => {
      if (rows) console.table(rows);
      process.exit(0);
    },
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}

export function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * Rows compared by ratio are measured interleaved (scripts/bench-rounds.mjs): every process up for the whole
 * run, each row a block of calls per round in an order that rotates. The warm-up is rounds of the same shape,
 * unmeasured, so no row comes to its first measured block after idling while the others warmed up.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const WARM_ROUNDS = 4;
const callOf = (row, text) => () => row.client.callTool({ name: row.tool, arguments: { text } });
/** Calls before each block, unmeasured: the process sat idle while the other rows took their blocks. */
const REWARM = 20;

/**
 * p50/p99, sequential and concurrent calls/s, the server process's CPU per sequential call (the proxy's,
 * its upstream excluded, or the direct server's; the load generator's does not count) and RSS, for each of
 * `rows` ({ client, tool }).
 */
async function measureRows(rows) {
  const items = rows.map((row) => ({ row, call: callOf(row, 'hello'), seq: tally(), con: tally() }));
  const cpu = (item) => () => cpuMs(item.row.client.pid);
  const concurrently = (item, n) =>
    together(
      Array.from({ length: CONCURRENCY }, () => item.call),
      Math.ceil(n / CONCURRENCY),
    );
  const warmPerRound = Math.ceil(WARMUP / WARM_ROUNDS / 2);
  await inRounds(
    items,
    WARM_ROUNDS,
    (item) => together([item.call], warmPerRound),
    (item) => concurrently(item, warmPerRound),
  );
  const idleRss = items.map((item) => rssMb(item.row.client.pid));
  await inRounds(
    items,
    ROUNDS,
    async (item, r) => {
      await together([item.call], REWARM);
      const n = share(SEQUENTIAL, ROUNDS, r);
      await metered(item.seq, n, cpu(item), () => timedCalls(item.seq, item.call, n));
    },
    async (item, r) => {
      const n = share(CONCURRENT_TOTAL, ROUNDS, r);
      await metered(item.con, Math.ceil(n / CONCURRENCY) * CONCURRENCY, cpu(item), () => concurrently(item, n));
    },
  );
  return items.map((item, i) => {
    const { seq, con } = item;
    seq.lat.sort((a, b) => a - b);
    return {
      cpuPerCall: seq.cpuMs === undefined ? undefined : seq.cpuMs / seq.calls,
      idleRss: idleRss[i],
      rss: rssMb(item.row.client.pid),
      p50: percentile(seq.lat, 50),
      p99: percentile(seq.lat, 99),
      seqPerSec: seq.calls / seq.secs,
      conPerSec: con.calls / con.secs,
    };
  });
}

/** Sequential calls/s with a 256 KB text argument echoed back (256 KB each way), for each row. */
async function bigThroughputRows(rows) {
  const text = 'x'.repeat(256 * 1024);
  const items = rows.map((row) => ({ call: callOf(row, text), t: tally() }));
  await inRounds(items, WARM_ROUNDS, (item) => together([item.call], Math.ceil(BIG_WARMUP / WARM_ROUNDS)));
  await inRounds(items, ROUNDS, async (item, r) => {
    await item.call();
    const n = share(BIG_CALLS, ROUNDS, r);
    await metered(
      item.t,
      n,
      () => undefined,
      () => together([item.call], n),
    );
  });
  return items.map(({ t }) => t.calls / t.secs);
}

/**
 * The proxy's RSS over GROWTH_CALLS more calls, sampled at each tenth: the memory a long run keeps. The young
 * generation grows with the load in the first tenth (src/boot/youngGeneration.ts); a leak would keep rising.
 */
async function growth(client, tool) {
  const samples = [rssMb(client.pid)];
  const step = Math.max(1, Math.floor(GROWTH_CALLS / 10));
  for (let i = 1; i <= GROWTH_CALLS; i++) {
    await client.callTool({ name: tool, arguments: { text: `call ${i}` } });
    if (i % step === 0) samples.push(rssMb(client.pid));
  }
  return { before: samples[0], after: samples.at(-1), samples };
}

function proxyArgs(cfg) {
  return [bundle, 'run', '--config', cfg, '--log-level', 'warn', '--no-watch'];
}

async function stdioBench() {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const os = await import('node:os');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-proxy-bench-'));
  // V8's code cache of this bench's own, written by a first short run: every row is then a warm start, as
  // every start after a user's first. The shared one may hold another build's (each build's replaces it),
  // and a start without it keeps megabytes more resident for the process's life (bench-memory.mjs).
  const cache = { MCP_PROXY_CODE_CACHE: path.join(dir, 'code') };
  // The direct client speaks 2025-11-25; the proxy's upstream hop is measured in both eras (`auto`
  // speaks 2025-11-25 to a server that accepts it, so the 2026 hop is pinned).
  const proxied = {};
  for (const protocol of ['2026-07-28', '2025-11-25']) {
    const cfg = path.join(dir, `bench-${protocol}.json`);
    writeFileSync(cfg, JSON.stringify({ mcpServers: { echo: { command: process.execPath, args: [echo], protocol } } }));
    if (protocol === '2026-07-28') await (await connect(process.execPath, proxyArgs(cfg), cache)).close();
    proxied[protocol] = { client: await connect(process.execPath, proxyArgs(cfg), cache), tool: 'echo__echo' };
  }
  const rows = [
    { client: await connect(process.execPath, [echo]), tool: 'echo' },
    // The floor of anything in the middle: a process that only copies bytes between the same two pipes.
    { client: await connect(process.execPath, [path.join(root, 'scripts/byte-relay.mjs'), echo]), tool: 'echo' },
    // The floor of anything that reads the messages: each line parsed, its id swapped, written again.
    { client: await connect(process.execPath, [path.join(root, 'scripts/json-relay.mjs'), echo]), tool: 'echo' },
    proxied['2026-07-28'],
    proxied['2025-11-25'],
  ];
  const measured = await measureRows(rows);
  const big = await bigThroughputRows(rows);
  for (const [i, r] of measured.entries()) r.big = big[i];
  const [d, relay, json, auto, legacy] = measured;
  if (GROWTH_CALLS > 0) legacy.growth = await growth(proxied['2025-11-25'].client, 'echo__echo');
  await Promise.all(rows.map((r) => r.client.close()));
  return { d, relay, json, auto, legacy };
}

/** The stdio table, the ratios to direct, and each target of the fast path with whether it is met. */
function printStdio({ d, relay, json, auto, legacy }) {
  const w = [34, 9, 9, 13, 13, 11, 10, 13];
  const n = (x, digits) => (x === undefined ? '-' : x.toFixed(digits));
  const fmt = (name, r) =>
    row(
      [
        name,
        n(r.p50, 3),
        n(r.p99, 3),
        n(r.seqPerSec, 0),
        n(r.conPerSec, 0),
        n(r.cpuPerCall, 3),
        `${n(r.idleRss, 0)}/${n(r.rss, 0)}`,
        n(r.big, 0),
      ],
      w,
    );
  console.log(row(['', 'p50 (ms)', 'p99 (ms)', 'sequential/s', 'concurrent/s', 'CPU/call', 'RSS MB', '256 KB/s'], w));
  console.log(fmt('direct (2025-11-25)', d));
  console.log(fmt('byte relay (no MCP, the floor)', relay));
  console.log(fmt('JSON-RPC line relay (no MCP)', json));
  console.log(fmt('proxy, upstream 2026-07-28', auto));
  console.log(fmt('proxy, upstream 2025-11-25 (auto)', legacy));
  console.log(
    'CPU/call: ms of the server process (the proxy, its upstream excluded); RSS: after warm-up / after the calls',
  );
  console.log(
    `a byte relay between the same processes (scripts/byte-relay.mjs): p50 ${(relay.p50 / d.p50).toFixed(2)}x direct, 256 KB ${(relay.big / d.big).toFixed(2)}x: what the extra hop alone costs here`,
  );
  console.log(
    `a JSON-RPC line relay (scripts/json-relay.mjs: parses each line, swaps the id, writes it again): p50 ${(json.p50 / d.p50).toFixed(2)}x direct, CPU/call ${n(json.cpuPerCall, 3)} ms, RSS ${n(json.rss, 0)} MB: the floor of any relay that reads the messages`,
  );
  const verdict = (ok) => (ok === undefined ? 'n/a' : ok ? 'met' : 'NOT met');
  for (const [name, p] of [
    ['2026-07-28', auto],
    ['2025-11-25', legacy],
  ]) {
    console.log(
      `ratio proxy (${name}) / direct: p50 ${(p.p50 / d.p50).toFixed(2)}x, sequential ${(p.seqPerSec / d.seqPerSec).toFixed(2)}x, concurrent ${(p.conPerSec / d.conPerSec).toFixed(2)}x, 256 KB ${(p.big / d.big).toFixed(2)}x`,
    );
    const targets = [
      `p50 <= 1.5x direct: ${verdict(p.p50 <= 1.5 * d.p50)} (${(p.p50 / d.p50).toFixed(2)}x)`,
      `proxy CPU/call <= 0.15 ms: ${verdict(p.cpuPerCall === undefined ? undefined : p.cpuPerCall <= 0.15)} (${n(p.cpuPerCall, 3)})`,
      `RSS <= 50 MB: ${verdict(p.rss === undefined ? undefined : p.rss <= 50)} (${n(p.rss, 0)})`,
      `256 KB >= 0.8x direct: ${verdict(p.big >= 0.8 * d.big)} (${(p.big / d.big).toFixed(2)}x)`,
    ];
    console.log(`targets (upstream ${name}): ${targets.join('; ')}`);
  }
  if (legacy.growth) {
    const { before, after } = legacy.growth;
    console.log(
      `memory over ${GROWTH_CALLS} more calls (upstream 2025-11-25): RSS ${n(before, 1)} -> ${n(after, 1)} MB, at each tenth ${legacy.growth.samples.map((x) => n(x, 0)).join(' ')}; from the second tenth on: ${n(legacy.growth.samples[1], 1)} -> ${n(after, 1)} MB (target: no growth)`,
    );
  }
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
    `\n## stdio: client -> server directly vs client -> proxy -> server (${SEQUENTIAL} sequential, ${CONCURRENT_TOTAL} with ${CONCURRENCY} in flight; the rows interleaved in ${ROUNDS} rounds)\n`,
  );
  printStdio(await stdioBench());
  // BENCH_ONLY=stdio: the table above alone (comparing builds without the slower benches).
  if (process.env.BENCH_ONLY === 'stdio') return;

  for (const [title, file, fn] of [
    ['HTTP frontend', 'bench-http.mjs', 'runHttpBench'],
    ['start-up', 'bench-startup.mjs', 'runStartupBench'],
    ['run start-up: serving, first call, 20 servers, catalog cache', 'bench-serve-start.mjs', 'runServeStartBench'],
    ['memory of a stdio proxy in front of one server, beside bare Node (MB)', 'bench-memory.mjs', 'runMemoryBench'],
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
