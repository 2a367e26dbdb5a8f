#!/usr/bin/env node
// The HTTP frontend's numbers: a Streamable HTTP client -> the proxy (the built bundle, `run --transport
// http`) -> a stdio upstream, in both memory profiles (see PROFILES) and both eras, beside the same client
// straight to the stdio server and an SDK server's own Streamable HTTP transport serving the same echo tool
// (the floor an HTTP proxy is measured against; test/fixtures/sdk-http-server.mjs). Each server is started
// fresh and measured at once: RSS idle and with 8 sessions open, p50 of its first calls (cold: V8 has not
// optimized the hot path yet); then left running, its sessions open. After warm-up rounds, the figures
// compared across rows (steady p50/p99, calls/s with the 8 sessions calling at once, server and client CPU
// per call) are taken interleaved (scripts/bench-rounds.mjs): all servers run at once and, in each of ROUNDS
// rounds, each gets a block of sequential calls, then each a block of the concurrent load, in an order that
// rotates per round; latencies pooled and CPU summed per server over its blocks. This machine's speed drifts
// minute to minute, which rows measured minutes apart would carry into their ratios; a server idle while
// another is measured costs nothing, so running them side by side is fair. RSS after load: after the rounds.
// Called by scripts/bench.mjs (`runHttpBench()`), or alone: `node scripts/bench-http.mjs` (also prints each
// round's ratios). Loops are bounded by count. Targets: p50 <= 1.5 ms, >= 1,200 calls/s with 8 sessions,
// RSS <= 80 MB with 8 sessions open; a 2025-session proxy p50 <= the SDK server's own Streamable HTTP p50
// (<= 1.0x); 2026-07-28 stateless proxy CPU per call within 10% of the 2025 sessions' (<= 1.1x).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { BUNDLE as bundle, cpuMs, ECHO as echo, percentile, ROOT as root, rssMb } from './bench.mjs';
import { inRounds, metered, share, tally, timedCalls, together } from './bench-rounds.mjs';

const sdkHttp = path.join(root, 'test/fixtures/sdk-http-server.mjs');
const SEQUENTIAL = Number(process.env.BENCH_HTTP_CALLS ?? 2000);
const PER_SESSION = Number(process.env.BENCH_HTTP_SESSION_CALLS ?? 500);
const SESSIONS = 8;
const WARMUP = 200;
/** Sequential calls on a fresh proxy, reported as the cold p50. */
const COLD = 500;
/** Rounds the interleaved measurement is split into: each server gets 1/ROUNDS of the calls per round. */
const ROUNDS = Number(process.env.BENCH_HTTP_ROUNDS ?? 5);
/**
 * Unmeasured rounds of the same shape first: V8 keeps optimizing a process's hot path over its first few
 * thousand calls, and a server that sat idle while the others started runs slower for a while; interleaved,
 * the warm-up ends for all of them at once, right before the measured rounds.
 */
const WARM_ROUNDS = Number(process.env.BENCH_HTTP_WARM_ROUNDS ?? 4);
/** Unmeasured sequential calls before each block: the server (and the client's connections to it) sat idle. */
const BLOCK_WARMUP = 20;

const args = { name: 'echo', arguments: { text: 'hello' } };

/** p50 and p99 of latencies in any order. */
function pcts(lat) {
  const sorted = [...lat].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

async function sequential(call, { warmup = WARMUP, calls = SEQUENTIAL } = {}) {
  await together([call], warmup);
  const t = tally();
  await timedCalls(t, call, calls);
  return pcts(t.lat);
}

/** Each caller does PER_SESSION calls back to back, all callers at once. */
async function concurrent(callers) {
  for (const c of callers) for (let i = 0; i < 20; i++) await c();
  const t0 = performance.now();
  await together(callers, PER_SESSION);
  return (callers.length * PER_SESSION) / ((performance.now() - t0) / 1000);
}

async function startProxy(configFile, v8Flags, codeCache) {
  const child = spawn(
    process.execPath,
    [
      bundle,
      'run',
      '--transport',
      'http',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--config',
      configFile,
      '--log-level',
      'warn',
      '--no-watch',
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        ...(codeCache ? { MCP_PROXY_CODE_CACHE: codeCache } : {}),
        ...(v8Flags !== undefined ? { MCP_PROXY_V8_FLAGS: v8Flags } : {}),
      },
    },
  );
  return listening(child, child.stderr, (text) => /listening on (http:\/\/\S+\/mcp)/.exec(text)?.[1], 'proxy');
}

/** The SDK's own Streamable HTTP server (no proxy) on 127.0.0.1, port 0; it prints "listening <port>". */
async function startSdkHttpServer() {
  const child = spawn(process.execPath, [sdkHttp], {
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { PATH: process.env.PATH ?? '' },
  });
  return listening(
    child,
    child.stdout,
    (text) => {
      const port = /listening (\d+)/.exec(text)?.[1];
      return port && `http://127.0.0.1:${port}/mcp`;
    },
    'the SDK HTTP server',
  );
}

/** Waits for `child` to say on `stream` where it listens (`urlIn` finds the URL in what it wrote so far). */
async function listening(child, stream, urlIn, what) {
  let text = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`${what} did not start:\n${text}`));
    }, 30_000);
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      text += chunk;
      const found = urlIn(text);
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}:\n${text}`));
    });
  });
  return {
    url,
    pid: child.pid,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * The clients' fetch, without the transport's connection-wide abort signal: on Node 20, undici leaves one
 * abort listener per request on it for the connection's life, which slows the client as a run goes on
 * (and prints MaxListenersExceededWarning). The bench never aborts a call.
 */
const fetchWithoutSignal = (input, init) => fetch(input, { ...init, signal: undefined });

async function v1Session(url, tool = 'echo__echo') {
  const client = new V1Client({ name: 'bench-v1', version: '1.0.0' });
  const transport = new V1StreamableHTTPClientTransport(new URL(url), { fetch: fetchWithoutSignal });
  await client.connect(transport);
  return {
    call: () => client.callTool({ ...args, name: tool }),
    close: async () => {
      await transport.terminateSession().catch(() => {});
      await client.close();
    },
  };
}

async function v2ModernSession(url) {
  const client = new Client(
    { name: 'bench-v2', version: '1.0.0' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { fetch: fetchWithoutSignal }));
  return { call: () => client.callTool({ ...args, name: 'echo__echo' }), close: () => client.close() };
}

const r3 = (x) => (x === undefined || x === null ? null : Math.round(x * 1000) / 1000);
const r1 = (x) => (x === undefined || x === null ? null : Math.round(x * 10) / 10);

/**
 * A freshly started server's own figures (the proxy, or the SDK's own HTTP server): RSS idle and with
 * SESSIONS sessions open, and the cold p50; it is then a participant of the rounds, its sessions left open.
 */
async function startParticipant(name, server, open) {
  await new Promise((r) => setTimeout(r, 300));
  const rssIdle = rssMb(server.pid);
  const sessions = await Promise.all(Array.from({ length: SESSIONS }, () => open(server.url)));
  await new Promise((r) => setTimeout(r, 300));
  const rssOpen = rssMb(server.pid);
  const cold = await sequential(sessions[0].call, { warmup: 0, calls: COLD });
  return {
    name,
    server,
    sessions,
    fresh: { coldP50Ms: r3(cold.p50), rssIdleMb: r1(rssIdle), rssOpenMb: r1(rssOpen) },
    seq: tally(),
    load: tally(),
    rounds: [],
  };
}

/** A participant's sequential block of round `r`: its share of the sequential calls, on one session. */
async function sequentialBlock(p, r) {
  const first = p.sessions[0].call;
  await together([first], BLOCK_WARMUP);
  const from = p.seq.lat.length;
  await timedCalls(p.seq, first, share(SEQUENTIAL, ROUNDS, r));
  p.rounds[r] = { ...p.rounds[r], p50: pcts(p.seq.lat.slice(from)).p50 };
}

/**
 * A participant's concurrent block of round `r`: its share of the load, every session calling at once, metered
 * for the server's CPU (its upstream, if any, excluded) and the client's.
 */
async function loadBlock(p, r) {
  const callers = p.sessions.map((s) => s.call);
  await together(callers, 1);
  const n = share(PER_SESSION, ROUNDS, r);
  const { cpuMs: cpu0, calls: calls0 } = p.load;
  await metered(
    p.load,
    SESSIONS * n,
    () => cpuMs(p.server.pid),
    () => together(callers, n),
  );
  const cpu = p.load.cpuMs === undefined ? undefined : (p.load.cpuMs - cpu0) / (p.load.calls - calls0);
  p.rounds[r] = { ...p.rounds[r], cpu };
}

/** A participant's row once the rounds are over: its fresh figures, the pooled ones, and its RSS now. */
function rowOf(p) {
  const lat = pcts(p.seq.lat);
  const { calls, secs, cpuMs: cpu, ownCpuMs } = p.load;
  return {
    name: p.name,
    coldP50Ms: p.fresh.coldP50Ms,
    p50Ms: r3(lat.p50),
    p99Ms: r3(lat.p99),
    callsPerSec: Math.round(calls / secs),
    rssIdleMb: p.fresh.rssIdleMb,
    rssOpenMb: p.fresh.rssOpenMb,
    rssLoadMb: r1(rssMb(p.server.pid)),
    cpuMsPerCall: cpu === undefined ? null : r3(cpu / calls),
    clientCpuMsPerCall: r3(ownCpuMs / calls),
  };
}

/**
 * The proxy's two memory profiles: the default (src/boot/v8flags.ts, src/boot/youngGeneration.ts: the young
 * generation grows only under heavy load) and the small heap (`MCP_PROXY_V8_FLAGS`, docs/http.md: it
 * never grows), which trades GC work for memory under load.
 */
const PROFILES = [
  { label: 'default', v8Flags: undefined },
  { label: 'small heap', v8Flags: '--semi-space-growth-factor=1 --heap-growing-percent=20' },
];

/** The same v2 client straight to the stdio server (8 calls in flight on one connection); in no ratio. */
async function directStdioRow() {
  const client = new Client({ name: 'bench-direct', version: '1.0.0' });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [echo],
    env: { PATH: process.env.PATH ?? '' },
    stderr: 'ignore',
  });
  await client.connect(transport);
  try {
    const call = () => client.callTool(args);
    const lat = await sequential(call);
    const perSec = await concurrent(Array.from({ length: SESSIONS }, () => call));
    return {
      name: 'direct: client -> stdio server',
      coldP50Ms: null,
      p50Ms: r3(lat.p50),
      p99Ms: r3(lat.p99),
      callsPerSec: Math.round(perSec),
      rssIdleMb: null,
      rssOpenMb: null,
      rssLoadMb: r1(transport.pid ? rssMb(transport.pid) : undefined),
    };
  } finally {
    await client.close();
  }
}

const ERAS = [
  ['2025 sessions (v1 client)', v1Session],
  ['2026-07-28 (v2 client)', v2ModernSession],
];

/**
 * Every row, and each interleaved row's p50 and CPU per call in each round. The floor (the SDK server's own
 * Streamable HTTP) and a fresh proxy per profile and era are started one after the other, each measured
 * fresh as it starts; then all of them are measured in rounds.
 */
export async function measureHttp() {
  if (!existsSync(bundle)) throw new Error('dist/mcp-proxy.mjs is missing: run `npm run build` first');
  const rows = [await directStdioRow()];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-proxy-bench-http-'));
  const cfg = path.join(dir, 'bench.json');
  writeFileSync(cfg, JSON.stringify({ mcpServers: { echo: { command: process.execPath, args: [echo] } } }));
  const servers = [];
  const participants = [];
  // V8's code cache of this bench's own, written by a first start that ends before the measured ones (the
  // cache is saved at exit): every proxy measured then starts warm, as every start after a user's first.
  // Without it the proxies, all up at once, would all start cold and keep megabytes more resident. One per
  // memory profile: V8 rejects a cache made under other flags.
  const codeCache = (profile) => path.join(dir, `code-${PROFILES.indexOf(profile)}`);
  for (const profile of PROFILES) await (await startProxy(cfg, profile.v8Flags, codeCache(profile))).stop();
  try {
    const sdk = await startSdkHttpServer();
    servers.push(sdk);
    const floorName = `direct: SDK server's own Streamable HTTP, 2025, ${SESSIONS} sessions`;
    participants.push(await startParticipant(floorName, sdk, (url) => v1Session(url, 'echo')));
    for (const profile of PROFILES) {
      for (const [label, open] of ERAS) {
        // A fresh proxy per row: each era's memory is its own.
        const proxy = await startProxy(cfg, profile.v8Flags, codeCache(profile));
        servers.push(proxy);
        const name = `proxy HTTP [${profile.label}], ${label}, ${SESSIONS} sessions`;
        participants.push(await startParticipant(name, proxy, open));
      }
    }
    await inRounds(participants, WARM_ROUNDS, sequentialBlock, loadBlock);
    for (const p of participants) Object.assign(p, { seq: tally(), load: tally(), rounds: [] });
    await inRounds(participants, ROUNDS, sequentialBlock, loadBlock);
    rows.push(...participants.map(rowOf));
    await Promise.all(participants.flatMap((p) => p.sessions.map((s) => s.close())));
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
  return { rows: withRatios(rows), rounds: participants.map((p) => ({ name: p.name, rounds: p.rounds })) };
}

export async function runHttpBench() {
  return (await measureHttp()).rows;
}

const x2 = (a, b) => (a && b ? Math.round((a / b) * 100) / 100 : null);
const verdict = (ratio, target) => (ratio === null ? 'n/a' : ratio <= target ? 'met' : 'NOT met');

/**
 * The row a proxy row is compared with, and on which figure: a 2025-session proxy's p50 against the SDK
 * server's own Streamable HTTP p50 (<= 1.0x), a 2026-07-28 proxy's CPU per call against the 2025 row of the
 * same memory profile, just before it (<= 1.1x).
 */
function pairOf(rows, i) {
  if (!rows[i].name.startsWith('proxy')) return undefined;
  if (rows[i].name.includes('2025 sessions')) {
    const base = rows.find((r) => r.name.startsWith("direct: SDK server's own"));
    return { base, key: 'p50Ms', roundKey: 'p50', what: 'p50', of: 'SDK HTTP', target: 1 };
  }
  return {
    base: rows[i - 1],
    key: 'cpuMsPerCall',
    roundKey: 'cpu',
    what: 'CPU/call',
    of: '2025 sessions',
    target: 1.1,
  };
}

function withRatios(rows) {
  return rows.map((r, i) => {
    const pair = pairOf(rows, i);
    if (!pair) return r;
    const ratio = x2(r[pair.key], pair.base?.[pair.key]);
    return {
      ...r,
      vs: `${pair.what} ${ratio}x ${pair.of} (target <= ${pair.target.toFixed(1)}x: ${verdict(ratio, pair.target)})`,
    };
  });
}

/** Each compared row's ratio in each round, from the same blocks the pooled ratio is taken over. */
function roundLines(rounds) {
  return rounds.flatMap((r, i) => {
    const pair = pairOf(rounds, i);
    if (!pair?.base) return [];
    const each = r.rounds.map((x, k) => x2(x[pair.roundKey], pair.base.rounds[k][pair.roundKey]));
    return [`${r.name}: ${pair.what} / ${pair.of}, per round: ${each.join(' ')}`];
  });
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  measureHttp().then(
    ({ rows, rounds }) => {
      console.table(rows);
      for (const line of roundLines(rounds)) console.log(line);
      const proxied = rows.filter((r) => r.name.startsWith('proxy') && r.callsPerSec !== null);
      for (const r of proxied) {
        console.log(
          `${r.name}: p50 ${r.p50Ms} ms (target <= 1.5: ${r.p50Ms <= 1.5 ? 'met' : 'NOT met'}; cold ${r.coldP50Ms} ms), ` +
            `${r.vs}, ` +
            `${r.callsPerSec} calls/s (target >= 1200: ${r.callsPerSec >= 1200 ? 'met' : 'NOT met'}), ` +
            `RSS with ${SESSIONS} sessions open ${r.rssOpenMb} MB (target <= 80: ${r.rssOpenMb <= 80 ? 'met' : 'NOT met'}), ` +
            `after the load ${r.rssLoadMb} MB`,
        );
      }
      process.exit(0);
    },
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
