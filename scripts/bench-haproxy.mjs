#!/usr/bin/env node
// Several proxies behind HAProxy: 2026-07-28 clients (stateless, so every request may go to any proxy)
// calling a tool, against one proxy reached directly and three proxies behind haproxy with the shipped
// deploy/haproxy/haproxy.cfg. Each proxy is the built bundle over HTTP in front of the echo fixture.
// Reported: calls/s, and CPU per call (user + system from /proc) of the proxies together, of haproxy and
// of this client process, because on a small machine the CPUs, not the proxies, set the ceiling: with 2
// cores shared by client, haproxy, proxies and upstreams, three proxies cannot give three times the calls.
// Called by scripts/bench.mjs (`runHaproxyBench()`), or alone: `node scripts/bench-haproxy.mjs`.
// Skipped (with a line saying so) when haproxy is not installed. Loops are bounded by count.
// Target: calls/s with 3 proxies behind haproxy above 1 proxy reached directly (the balancer's own hop
// included), approaching 3x only with a core per proxy to spare; CPU per call shown alongside. Per call,
// three proxies cost more CPU than one: each process warms up its JIT and collects garbage on its own.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { BUNDLE as bundle, cpuMs, ECHO as echo, ROOT as root, runAlone } from './bench.mjs';

const cfgFile = path.join(root, 'deploy/haproxy/haproxy.cfg');
const CLIENTS = Number(process.env.BENCH_LB_CLIENTS ?? 12);
const PER_CLIENT = Number(process.env.BENCH_LB_CALLS ?? 300);
const WARMUP = 30;

/** CPU of a process and all its descendants (a proxy and its upstream), in ms. */
function treeCpuMs(pid) {
  let total = 0;
  const children = new Map();
  for (const e of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(e));
    } catch {}
  }
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop();
    try {
      total += cpuMs(p);
    } catch {}
    stack.push(...(children.get(p) ?? []));
  }
  return total;
}

async function freePort() {
  const srv = createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

async function startProxy(dir, name) {
  const config = path.join(dir, `${name}.json`);
  writeFileSync(config, JSON.stringify({ mcpServers: { echo: { command: process.execPath, args: [echo] } } }));
  const child = spawn(
    process.execPath,
    [bundle, 'run', '--transport', 'http', '--port', '0', '--config', config, '--no-watch', '--log-level', 'warn'],
    { env: { PATH: process.env.PATH ?? '', HOME: dir }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  const url = await new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      err += d;
      const m = /listening on (http:\/\/\S+\/mcp)/.exec(err);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`proxy exited ${code}: ${err}`)));
  });
  return { child, url, host: new URL(url).host };
}

async function startHaproxy(servers) {
  const [bind, stats] = [await freePort(), await freePort()];
  const env = {
    PATH: process.env.PATH,
    MCP_PROXY_LB_BIND: `127.0.0.1:${bind}`,
    MCP_PROXY_LB_STATS: `127.0.0.1:${stats}`,
    MCP_PROXY_CHECK_INTER: '1s',
  };
  servers.forEach((s, i) => {
    env[`MCP_PROXY_${i + 1}`] = s;
  });
  const child = spawn('haproxy', ['-db', '-f', cfgFile], { env, stdio: ['ignore', 'ignore', 'ignore'] });
  const statsUrl = `http://127.0.0.1:${stats}/stats;csv`;
  for (let i = 0; i < 200; i++) {
    try {
      const csv = await (await fetch(statsUrl)).text();
      const up = csv.split('\n').filter((l) => l.startsWith('mcp_proxies,proxy') && l.split(',')[17] === 'UP');
      if (up.length === servers.length) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, url: `http://127.0.0.1:${bind}/mcp` };
}

async function load(url, pids) {
  const clients = [];
  for (let i = 0; i < CLIENTS; i++) {
    const c = new Client({ name: 'bench-lb', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await c.connect(new StreamableHTTPClientTransport(new URL(url)));
    clients.push(c);
  }
  const call = (c) => c.callTool({ name: 'echo__echo', arguments: { text: 'hello' } });
  await Promise.all(
    clients.map(async (c) => {
      for (let i = 0; i < WARMUP; i++) await call(c);
    }),
  );
  const before = pids.map(treeCpuMs);
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (c) => {
      for (let i = 0; i < PER_CLIENT; i++) await call(c);
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  const self = process.cpuUsage(self0);
  const used = pids.map((p, i) => treeCpuMs(p) - before[i]);
  await Promise.all(clients.map((c) => c.close()));
  const calls = CLIENTS * PER_CLIENT;
  return { calls, secs, used, clientMs: (self.user + self.system) / 1000 };
}

export async function runHaproxyBench() {
  if (!existsSync(bundle)) throw new Error('dist/mcp-proxy.mjs is missing: run `npm run build` first');
  if (spawnSync('haproxy', ['-v']).error) {
    console.log('\n## several proxies behind HAProxy: SKIPPED (haproxy is not installed: apt-get install haproxy)');
    return undefined;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-haproxy-'));
  const procs = [];
  try {
    const proxies = [];
    for (const n of ['p1', 'p2', 'p3']) {
      const p = await startProxy(dir, n);
      procs.push(p.child);
      proxies.push(p);
    }
    const lb = await startHaproxy(proxies.map((p) => p.host));
    procs.push(lb.child);
    const rows = [];
    const one = await load(proxies[0].url, [proxies[0].child.pid]);
    rows.push(row('1 proxy, direct', one, one.used[0], 0));
    const three = await load(lb.url, [...proxies.map((p) => p.child.pid), lb.child.pid]);
    rows.push(
      row(
        '3 proxies behind haproxy',
        three,
        three.used.slice(0, 3).reduce((a, b) => a + b, 0),
        three.used[3],
      ),
    );
    const ratio = rows[1]['calls/s'] / rows[0]['calls/s'];
    const met = ratio > 1 ? 'met' : 'NOT met';
    rows.push({ setup: `ratio 3 / 1: ${ratio.toFixed(2)}x on ${os.cpus().length} CPUs (target > 1x: ${met})` });
    return rows;
  } finally {
    for (const c of procs) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One table row: throughput and CPU per call (proxies with their upstreams, haproxy, this client). */
function row(setup, r, proxiesMs, lbMs) {
  const per = (ms) => Number(((ms * 1000) / r.calls).toFixed(0));
  return {
    setup,
    clients: CLIENTS,
    calls: r.calls,
    'calls/s': Number((r.calls / r.secs).toFixed(0)),
    'proxies+upstreams CPU µs/call': per(proxiesMs),
    'haproxy CPU µs/call': per(lbMs),
    'client CPU µs/call': per(r.clientMs),
  };
}

runAlone(import.meta.url, runHaproxyBench);
