#!/usr/bin/env node
// Where the HTTP frontend's CPU goes per call, for one client era: the built proxy (`run --transport
// http`, in front of the stdio echo fixture) runs under `node --cpu-prof`; 8 clients warm it up, it
// idles, they call it concurrently, it idles again; the profile's samples between the two idle gaps
// (the load alone) are summed by function: top self and total time, in ms and per call.
//   node scripts/profile-http.mjs v1|v2 [calls per client, default 1500] [top, default 30]
// v1: 2025-11-25 sessions (the v1 SDK client); v2: 2026-07-28 stateless (the v2 client).
// MCP_PROXY_BENCH_BUNDLE profiles another build; MCP_PROXY_V8_FLAGS is passed on (memory profiles).
// The bundle's core is minified by line, so functions are told apart by name and line only.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundle = process.env.MCP_PROXY_BENCH_BUNDLE ?? path.join(root, 'dist/mcp-proxy.mjs');
const echo = path.join(root, 'test/fixtures/echo-server.mjs');
const [era = 'v2', callsArg = '1500', topArg = '30'] = process.argv.slice(2);
const CLIENTS = 8;
const CALLS = Number(callsArg);
/** Idle time around the load: the window is found between these gaps. */
const GAP_MS = 1200;
const args = { name: 'echo__echo', arguments: { text: 'hello' } };
const fetchWithoutSignal = (input, init) => fetch(input, { ...init, signal: undefined });

async function startProxy(dir) {
  const cfg = path.join(dir, 'config.json');
  writeFileSync(cfg, JSON.stringify({ mcpServers: { echo: { command: process.execPath, args: [echo] } } }));
  const child = spawn(
    process.execPath,
    [
      '--cpu-prof',
      `--cpu-prof-dir=${dir}`,
      '--cpu-prof-interval=200',
      bundle,
      ...['run', '--transport', 'http', '--host', '127.0.0.1', '--port', '0', '--config', cfg],
      ...['--log-level', 'warn', '--no-watch'],
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        ...(process.env.MCP_PROXY_V8_FLAGS !== undefined ? { MCP_PROXY_V8_FLAGS: process.env.MCP_PROXY_V8_FLAGS } : {}),
      },
    },
  );
  let stderr = '';
  const url = await new Promise((resolve, reject) => {
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      const m = /listening on (http:\/\/\S+\/mcp)/.exec(stderr);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`proxy exited with ${code}:\n${stderr}`)));
  });
  return { url, child };
}

async function open(url) {
  if (era === 'v1') {
    const client = new V1Client({ name: 'profile-v1', version: '1.0.0' });
    await client.connect(new V1Transport(new URL(url), { fetch: fetchWithoutSignal }));
    return client;
  }
  const client = new Client(
    { name: 'profile-v2', version: '1.0.0' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { fetch: fetchWithoutSignal }));
  return client;
}

/** Self and total time per function over the samples between the last two idle gaps. */
function summarize(profile, calls, top) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const idle = (id) => byId.get(id).callFrame.functionName === '(idle)';
  const times = [];
  let t = profile.startTime;
  for (const dt of profile.timeDeltas) {
    t += dt;
    times.push(t);
  }
  const gaps = [];
  let start = null;
  for (let i = 0; i <= profile.samples.length; i++) {
    if (i < profile.samples.length && idle(profile.samples[i])) start ??= i;
    else {
      if (start !== null && times[i - 1] - times[start] > (GAP_MS - 400) * 1000) gaps.push([start, i]);
      start = null;
    }
  }
  if (gaps.length < 2) throw new Error('no idle gaps around the load were found in the profile');
  const [from, to] = [gaps.at(-2)[1], gaps.at(-1)[0]];
  const key = (n) =>
    `${n.callFrame.functionName || '(anonymous)'} ${path.basename(n.callFrame.url)}:${n.callFrame.lineNumber}`;
  const self = new Map();
  const total = new Map();
  let busy = 0;
  for (let i = from; i < to; i++) {
    const id = profile.samples[i];
    const dt = profile.timeDeltas[i + 1] ?? 0;
    if (idle(id)) continue;
    busy += dt;
    const k = key(byId.get(id));
    self.set(k, (self.get(k) ?? 0) + dt);
    const seen = new Set();
    for (let x = id; x !== undefined; x = parent.get(x)) {
      const kk = key(byId.get(x));
      if (!seen.has(kk)) total.set(kk, (total.get(kk) ?? 0) + dt);
      seen.add(kk);
    }
  }
  console.log(
    `${era}: busy ${(busy / 1000).toFixed(0)} ms over ${calls} calls = ${(busy / calls).toFixed(1)} µs per call`,
  );
  for (const [label, m] of [
    ['self', self],
    ['total', total],
  ]) {
    console.log(`--- ${label}: ms, µs per call, function`);
    for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(`${(v / 1000).toFixed(0).padStart(6)} ${(v / calls).toFixed(2).padStart(7)}  ${k}`);
    }
  }
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-proxy-profile-'));
try {
  const { url, child } = await startProxy(dir);
  const clients = await Promise.all(Array.from({ length: CLIENTS }, () => open(url)));
  const load = (n) =>
    Promise.all(
      clients.map(async (c) => {
        for (let i = 0; i < n; i++) await c.callTool(args);
      }),
    );
  await load(400);
  await new Promise((r) => setTimeout(r, GAP_MS));
  await load(CALLS);
  await new Promise((r) => setTimeout(r, GAP_MS));
  for (const c of clients) await c.close().catch(() => {});
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGINT');
  await exited;
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('the proxy wrote no .cpuprofile');
  summarize(JSON.parse(readFileSync(path.join(dir, file), 'utf8')), CLIENTS * CALLS, Number(topArg));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
