#!/usr/bin/env node
// The HTTP frontend's numbers: a Streamable HTTP client -> the proxy (the built bundle, `run --transport
// http`) -> a stdio upstream, against the same client straight to the stdio server and against the same
// echo tool served by an SDK server's own Streamable HTTP transport (no proxy: the floor an HTTP proxy is
// measured against; test/fixtures/sdk-http-server.mjs, a transport per session). For each, on a fresh
// proxy: its RSS idle and with 8 sessions open; p50 of the first sequential calls (cold: V8 has not
// optimized the hot path yet); then, after a warm-up, p50/p99 of sequential calls and calls/s with the
// 8 sessions calling concurrently, and the RSS after that load; in both memory profiles (see PROFILES).
// Called by scripts/bench.mjs (`runHttpBench()`), or run alone: `node scripts/bench-http.mjs`.
// Loops are bounded by count. Targets: p50 <= 1.5 ms, >= 1,200 calls/s with 8 sessions, RSS <= 80 MB
// with 8 sessions open; a 2025-session proxy p50 <= the SDK server's own Streamable HTTP p50 (<= 1.0x);
// 2026-07-28 stateless proxy CPU per call within 10% of the 2025 sessions' (<= 1.1x).
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

const sdkHttp = path.join(root, 'test/fixtures/sdk-http-server.mjs');
const SEQUENTIAL = Number(process.env.BENCH_HTTP_CALLS ?? 2000);
const PER_SESSION = Number(process.env.BENCH_HTTP_SESSION_CALLS ?? 500);
const SESSIONS = 8;
const WARMUP = 200;
/** Sequential calls on a fresh proxy, reported as the cold p50. */
const COLD = 500;
/** Calls per session, all sessions at once, between the cold and the steady-state measurements. */
const WARM_PER_SESSION = 250;

const args = { name: 'echo', arguments: { text: 'hello' } };

async function sequential(call, { warmup = WARMUP, calls = SEQUENTIAL } = {}) {
  for (let i = 0; i < warmup; i++) await call();
  const lat = [];
  for (let i = 0; i < calls; i++) {
    const s = performance.now();
    await call();
    lat.push(performance.now() - s);
  }
  lat.sort((a, b) => a - b);
  return { p50: percentile(lat, 50), p99: percentile(lat, 99) };
}

/** Each caller does PER_SESSION calls back to back, all callers at once. */
async function concurrent(callers) {
  for (const c of callers) for (let i = 0; i < 20; i++) await c();
  const t0 = performance.now();
  await Promise.all(
    callers.map(async (c) => {
      for (let i = 0; i < PER_SESSION; i++) await c();
    }),
  );
  return (callers.length * PER_SESSION) / ((performance.now() - t0) / 1000);
}

async function startProxy(configFile, v8Flags) {
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
    const timer = setTimeout(() => reject(new Error(`${what} did not start:\n${text}`)), 30_000);
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
 * One row's figures on a fresh server process (the proxy, or the SDK's own HTTP server): RSS idle and with
 * SESSIONS sessions open, the cold p50, then after a warm-up the steady p50/p99, calls/s with every session
 * calling at once, the server process's CPU per call during that load (its upstream, if any, excluded) and
 * the client's own.
 */
async function measureServer(server, open) {
  await new Promise((r) => setTimeout(r, 300));
  const rssIdle = rssMb(server.pid);
  const sessions = await Promise.all(Array.from({ length: SESSIONS }, () => open(server.url)));
  await new Promise((r) => setTimeout(r, 300));
  const rssOpen = rssMb(server.pid);
  const cold = await sequential(sessions[0].call, { warmup: 0, calls: COLD });
  await Promise.all(
    sessions.map(async (s) => {
      for (let i = 0; i < WARM_PER_SESSION; i++) await s.call();
    }),
  );
  const lat = await sequential(sessions[0].call);
  const cpu0 = cpuMs(server.pid);
  const own0 = process.cpuUsage();
  const perSec = await concurrent(sessions.map((s) => s.call));
  const own = process.cpuUsage(own0);
  const cpu1 = cpuMs(server.pid);
  const rssLoad = rssMb(server.pid);
  const calls = SESSIONS * (PER_SESSION + 20);
  await Promise.all(sessions.map((s) => s.close()));
  return {
    coldP50Ms: r3(cold.p50),
    p50Ms: r3(lat.p50),
    p99Ms: r3(lat.p99),
    callsPerSec: Math.round(perSec),
    rssIdleMb: r1(rssIdle),
    rssOpenMb: r1(rssOpen),
    rssLoadMb: r1(rssLoad),
    cpuMsPerCall: cpu0 === undefined ? null : r3((cpu1 - cpu0) / calls),
    clientCpuMsPerCall: r3((own.user + own.system) / 1000 / calls),
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

export async function runHttpBench() {
  if (!existsSync(bundle)) throw new Error('dist/mcp-proxy.mjs is missing: run `npm run build` first');
  const rows = [];

  // Baseline: the same v2 client straight to the stdio server (8 calls in flight on one connection).
  {
    const client = new Client({ name: 'bench-direct', version: '1.0.0' });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [echo],
      env: { PATH: process.env.PATH ?? '' },
      stderr: 'ignore',
    });
    await client.connect(transport);
    const call = () => client.callTool(args);
    const lat = await sequential(call);
    const perSec = await concurrent(Array.from({ length: SESSIONS }, () => call));
    rows.push({
      name: 'direct: client -> stdio server',
      coldP50Ms: null,
      p50Ms: r3(lat.p50),
      p99Ms: r3(lat.p99),
      callsPerSec: Math.round(perSec),
      rssIdleMb: null,
      rssOpenMb: null,
      rssLoadMb: r1(transport.pid ? rssMb(transport.pid) : undefined),
    });
    await client.close();
  }

  // The floor: the same v1 client and sessions straight to an SDK server's own Streamable HTTP transport.
  {
    const server = await startSdkHttpServer();
    try {
      const m = await measureServer(server, (url) => v1Session(url, 'echo'));
      rows.push({ name: `direct: SDK server's own Streamable HTTP, 2025, ${SESSIONS} sessions`, ...m });
    } finally {
      await server.stop();
    }
  }

  const dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-proxy-bench-http-'));
  const cfg = path.join(dir, 'bench.json');
  writeFileSync(cfg, JSON.stringify({ mcpServers: { echo: { command: process.execPath, args: [echo] } } }));
  try {
    for (const profile of PROFILES) {
      for (const [label, open] of [
        ['2025 sessions (v1 client)', v1Session],
        ['2026-07-28 (v2 client)', v2ModernSession],
      ]) {
        // A fresh proxy per row: each era's memory is its own.
        const proxy = await startProxy(cfg, profile.v8Flags);
        try {
          const m = await measureServer(proxy, open);
          rows.push({ name: `proxy HTTP [${profile.label}], ${label}, ${SESSIONS} sessions`, ...m });
        } finally {
          await proxy.stop();
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return withRatios(rows);
}

const x2 = (a, b) => (a && b ? Math.round((a / b) * 100) / 100 : null);
const verdict = (ratio, target) => (ratio === null ? 'n/a' : ratio <= target ? 'met' : 'NOT met');

/**
 * The targets that compare rows of the same run: a 2025-session proxy's p50 against the SDK server's own
 * Streamable HTTP p50 (<= 1.0x), and a 2026-07-28 proxy's CPU per call against the 2025 row of the same
 * memory profile (<= 1.1x).
 */
function withRatios(rows) {
  const floor = rows.find((r) => r.name.startsWith("direct: SDK server's own"));
  return rows.map((r, i) => {
    if (!r.name.startsWith('proxy')) return r;
    if (r.name.includes('2025 sessions')) {
      const ratio = x2(r.p50Ms, floor?.p50Ms);
      return { ...r, vs: `p50 ${ratio}x SDK HTTP (target <= 1.0x: ${verdict(ratio, 1)})` };
    }
    const ratio = x2(r.cpuMsPerCall, rows[i - 1]?.cpuMsPerCall);
    return { ...r, vs: `CPU/call ${ratio}x 2025 sessions (target <= 1.1x: ${verdict(ratio, 1.1)})` };
  });
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  runHttpBench().then(
    (rows) => {
      console.table(rows);
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
