// Start-up of `mcp-proxy run` over stdio, side by side with the servers alone, in one run:
//   1. spawn -> `initialize` answered, with a quick, a hanging and a failing upstream, against bare `node -e 0`
//      just before it (the median of each round's ratio; with V8's code cache of an earlier run, as every
//      start after the first; and without it), and the proxy's CPU time until it read that message against
//      bare Node's CPU time at its first line
//   2. one stdio upstream: spawn -> first successful tools/call, against the server started directly
//   3. 20 stdio upstreams: spawn -> every server's tools listed, against the 20 servers started directly
//      (the median of each round's ratio, direct and proxy back to back, in turns first), and with a warm
//      catalog cache: spawn -> the first tools/list (complete) answered; "no cache" empties the catalogs
//      before each run and keeps the servers' Node compile cache beside them, as between a user's starts.
//      The same 20 on Node 22.1+ (whose compile cache the proxy turns on) when one is at hand
//   4. how often each upstream process was started
// Raw JSON-RPC lines on both sides (no SDK client cost in either). Medians over interleaved runs.
//
//   import { runServeStartBench, formatServeStartRows } from './bench-serve-start.mjs';
// Run alone: node scripts/bench-serve-start.mjs [--runs 5]
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE as bundle, ECHO as echo, ROOT as root, STARTUP_ENV, STARTUP_ENV_NOTE } from './bench.mjs';

const counted = path.join(root, 'test/fixtures/counted-server.mjs');
const node = process.execPath;

const INIT = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench', version: '1' } },
};

/** A child speaking JSON-RPC lines on stdio; `request` resolves with the response to its id. */
function rpcChild(cmd, args, env) {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...STARTUP_ENV, ...env } });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (c) => {
    stderr += c;
  });
  const waiting = new Map();
  let buf = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (c) => {
    buf += c;
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      nl = buf.indexOf('\n');
      let msg;
      try {
        msg = JSON.parse(line);
      } catch {
        continue;
      }
      if (msg.id !== undefined && waiting.has(msg.id)) {
        waiting.get(msg.id)(msg);
        waiting.delete(msg.id);
      }
    }
  });
  let next = 1;
  return {
    child,
    stderr: () => stderr,
    request(method, params, id = next++) {
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
      });
    },
    async initialize() {
      const r = await new Promise((resolve) => {
        waiting.set(0, resolve);
        child.stdin.write(`${JSON.stringify(INIT)}\n`);
      });
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
      return r;
    },
    async stop() {
      const done = new Promise((r) => child.once('exit', r));
      child.stdin.end();
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      await done;
    },
  };
}

const now = () => performance.now();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function proxyArgs(config, dir) {
  const file = path.join(dir, 'mcp-proxy.json');
  fs.writeFileSync(file, JSON.stringify(config));
  return [bundle, 'run', '--config', file, '--no-watch', '--log-level', 'error'];
}

async function bareNode() {
  const t0 = now();
  await new Promise((r) => spawn(node, ['-e', '0'], { env: STARTUP_ENV }).once('exit', r));
  return now() - t0;
}

/** CPU time (user + system) a bare Node process has spent when its script runs. */
async function bareNodeCpu() {
  const script = 'const c = process.cpuUsage(); process.stdout.write(String((c.user + c.system) / 1000))';
  const child = spawn(node, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'], env: STARTUP_ENV });
  let out = '';
  child.stdout.on('data', (c) => {
    out += c;
  });
  await new Promise((r) => child.once('exit', r));
  return Number(out);
}

/** The proxy's CPU time when the client's first message was read (MCP_PROXY_TRACE_STARTUP's mark). */
function cpuAtFirstMessage(stderr) {
  const m = /cpu ([\d.]+) ms\) stdio: first message/.exec(stderr);
  return m ? Number(m[1]) : Number.NaN;
}

/**
 * As every start after the first: V8's code cache (src/boot/codeCache.ts) and the `initialize` answer
 * (src/cli/run/rememberedOffer.ts) kept by an earlier run. `codeCache` false: as on a first start,
 * with neither.
 */
async function initializeMixed(dir, codeCache = true) {
  const config = {
    mcpServers: {
      quick: { command: node, args: [echo] },
      hanging: { command: node, args: ['-e', 'setInterval(() => {}, 1e9)'] },
      failing: { command: node, args: ['-e', 'process.exit(1)'] },
    },
  };
  const t0 = now();
  const p = rpcChild(node, proxyArgs(config, dir), {
    HOME: dir,
    MCP_PROXY_CACHE_DIR: codeCache ? path.join(dir, 'init-cache') : 'off',
    MCP_PROXY_TRACE_STARTUP: '1',
    ...(codeCache ? {} : { MCP_PROXY_CODE_CACHE: 'off' }),
  });
  await p.initialize();
  const ms = now() - t0;
  await p.stop();
  return { ms, cpu: cpuAtFirstMessage(p.stderr()) };
}

async function firstCallDirect() {
  const t0 = now();
  const s = rpcChild(node, [echo]);
  await s.initialize();
  const r = await s.request('tools/call', { name: 'echo', arguments: { text: 'x' } });
  const ms = now() - t0;
  await s.stop();
  if (r.error) throw new Error(`direct call failed: ${JSON.stringify(r.error)}`);
  return ms;
}

async function firstCallProxy(dir) {
  const t0 = now();
  const p = rpcChild(node, proxyArgs({ mcpServers: { echo: { command: node, args: [echo] } } }, dir), {
    HOME: dir,
    MCP_PROXY_CACHE_DIR: 'off',
  });
  await p.initialize();
  const r = await p.request('tools/call', { name: 'echo__echo', arguments: { text: 'x' } });
  const ms = now() - t0;
  await p.stop();
  if (r.error) throw new Error(`proxy call failed: ${JSON.stringify(r.error)}`);
  return ms;
}

const N = 20;

/**
 * The same 20 server commands as the proxy's (the start-counting wrapper included: ~15 ms of CPU each), run
 * by `serverNode`.
 */
async function listedDirect(log, serverNode = node) {
  const t0 = now();
  const servers = Array.from({ length: N }, () =>
    rpcChild(serverNode, [counted], { START_LOG: log, COUNTED_TARGET: echo }),
  );
  await Promise.all(
    servers.map(async (s) => {
      await s.initialize();
      await s.request('tools/list', {});
    }),
  );
  const ms = now() - t0;
  await Promise.all(servers.map((s) => s.stop()));
  return ms;
}

/**
 * Spawn -> a tools/list that has every server's tools (asked again until it does). Also counts starts.
 * `cold`: no catalog is known (the cache folder's catalogs are removed first; the servers' Node compile cache
 * beside them stays, as between a user's starts).
 */
async function listedProxy(dir, cacheDir, log, { cold = false, serverNode = node } = {}) {
  if (cold) {
    fs.mkdirSync(cacheDir, { recursive: true });
    for (const f of fs.readdirSync(cacheDir)) if (f.endsWith('.json')) fs.rmSync(path.join(cacheDir, f));
  }
  const mcpServers = {};
  for (let i = 0; i < N; i++) {
    mcpServers[`s${i}`] = { command: serverNode, args: [counted], env: { START_LOG: log, COUNTED_TARGET: echo } };
  }
  const t0 = now();
  const p = rpcChild(node, proxyArgs({ mcpServers }, dir), { HOME: dir, MCP_PROXY_CACHE_DIR: cacheDir });
  await p.initialize();
  let first;
  let tries = 0;
  for (;;) {
    const r = await p.request('tools/list', {});
    first ??= now() - t0;
    tries++;
    const servers = new Set((r.result?.tools ?? []).map((t) => t.name.split('__')[0]));
    if (servers.size === N) break;
    await new Promise((res) => setTimeout(res, 10));
  }
  const all = now() - t0;
  await p.stop();
  return { first, all, complete: tries === 1 };
}

/**
 * A Node 22.1+ to run servers with, other than this one (this one's rows already show it when it is one):
 * $MCP_PROXY_BENCH_NODE22, else the one the tests fetch into .cache/node22 (test/helpers/node22.ts).
 */
function newerNode() {
  if (compileCacheNode(process.version)) return undefined;
  const bin = process.env.MCP_PROXY_BENCH_NODE22 || path.join(root, '.cache/node22/package/bin/node');
  return fs.existsSync(bin) ? bin : undefined;
}

const compileCacheNode = (version) => {
  const [major, minor] = version.replace(/^v/, '').split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 1);
};

function nodeVersion(bin) {
  return spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim().replace(/^v/, '');
}

/**
 * Direct and proxy back to back, in turns first (round `i`): the machine's speed drifts within a round too.
 * Resolves with [direct, proxied].
 */
async function backToBack(i, direct, proxied) {
  if (i % 2 === 0) return [await direct(), await proxied()];
  const p = await proxied();
  return [await direct(), p];
}

export async function runServeStartBench({ runs = 5 } = {}) {
  if (!fs.existsSync(bundle)) throw new Error('dist/mcp-proxy.mjs is missing: run `npm run build` first');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-proxy-bench-start-'));
  const log = path.join(dir, 'starts');
  const s = {
    node: [],
    nodeCpu: [],
    init: [],
    initCpu: [],
    initCold: [],
    callDirect: [],
    callProxy: [],
    listDirect: [],
    listProxy: [],
    warmFirst: [],
  };
  const coldStarts = [];
  /** Whether each warm run's first tools/list had every server's tools. */
  const warmComplete = [];
  /**
   * Proxy against direct, per round: the ratio is their median. The machine's speed drifts between rounds
   * by more than the difference measured (the rounds' medians would compare different moments).
   */
  const listRatios = [];
  /** The same for `initialize` against bare Node, measured just before it. */
  const initRatios = [];
  /** 20 servers on Node 22.1+ (their compile cache warm through the proxy), when one is at hand. */
  const node22 = newerNode();
  const list22 = { direct: [], proxy: [], ratios: [] };
  try {
    await bareNode();
    await initializeMixed(dir); // leaves what every later start finds: V8's code cache, the answer kept
    if (node22) await listedProxy(dir, path.join(dir, 'cold-cache-22'), log, { cold: true, serverNode: node22 });
    for (let i = 0; i < runs; i++) {
      const nodeMs = await bareNode();
      s.node.push(nodeMs);
      s.nodeCpu.push(await bareNodeCpu());
      const warmInit = await initializeMixed(dir);
      s.init.push(warmInit.ms);
      initRatios.push(warmInit.ms / nodeMs);
      s.initCpu.push(warmInit.cpu);
      s.initCold.push((await initializeMixed(dir, false)).ms);
      s.callDirect.push(await firstCallDirect());
      s.callProxy.push(await firstCallProxy(dir));
      fs.writeFileSync(log, '');
      const [listDirect, cold] = await backToBack(
        i,
        () => listedDirect(path.join(dir, 'direct-starts')),
        () => listedProxy(dir, path.join(dir, 'cold-cache'), log, { cold: true }),
      );
      s.listDirect.push(listDirect);
      s.listProxy.push(cold.all);
      listRatios.push(cold.all / listDirect);
      // Counted where every server had to answer live. A warm run may end before the last servers were
      // started at all (its client had the complete list from the cache and left).
      coldStarts.push(fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).length);
      const cache = path.join(dir, `cache-${i}`);
      await listedProxy(dir, cache, log); // fills the cache
      fs.writeFileSync(log, '');
      const warm = await listedProxy(dir, cache, log);
      s.warmFirst.push(warm.first);
      warmComplete.push(warm.complete);
      if (node22) {
        const [d, p] = await backToBack(
          i,
          () => listedDirect(path.join(dir, 'direct-starts'), node22),
          () => listedProxy(dir, path.join(dir, 'cold-cache-22'), log, { cold: true, serverNode: node22 }),
        );
        list22.direct.push(d);
        list22.proxy.push(p.all);
        list22.ratios.push(p.all / d);
      }
    }
    const starts = Math.max(...coldStarts);
    const m = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, median(v)]));
    return [
      ...(STARTUP_ENV_NOTE ? [{ name: STARTUP_ENV_NOTE, ms: undefined, value: '-' }] : []),
      { name: 'bare node -e 0', ms: m.node },
      {
        name: 'spawn -> initialize answered (quick + hanging + failing upstream)',
        ms: m.init,
        ratio: median(initRatios),
        target: '<= 2.5x node -e 0',
        ok: median(initRatios) <= 2.5,
      },
      {
        // CPU is what a busy shared machine distorts least: the proxy's own, against bare Node's at its first line.
        name: "  the proxy's CPU until the first message is read (vs bare node's)",
        ms: m.initCpu,
        ratio: m.initCpu / m.nodeCpu,
      },
      {
        name: '  the same on a first start (no V8 code cache, no answer kept yet)',
        ms: m.initCold,
        ratio: m.initCold / m.node,
      },
      { name: 'one stdio server directly: spawn -> first tools/call', ms: m.callDirect },
      {
        name: 'through the proxy: spawn -> first tools/call',
        ms: m.callProxy,
        extra: m.callProxy - m.callDirect,
        target: '<= direct + 150 ms',
        ok: m.callProxy - m.callDirect <= 150,
      },
      { name: `${N} stdio servers directly: all tools listed`, ms: m.listDirect },
      {
        name: `through the proxy (no cache): all ${N} servers' tools listed`,
        ms: m.listProxy,
        ratio: median(listRatios),
        target: '<= 1.1x direct',
        ok: median(listRatios) <= 1.1,
      },
      {
        name: `through the proxy (warm cache): first tools/list, complete`,
        ms: m.warmFirst,
        target: '<= 300 ms',
        ok: m.warmFirst <= 300 && warmComplete.every(Boolean),
      },
      ...(node22
        ? [
            {
              name: `${N} stdio servers on Node ${nodeVersion(node22)} directly: all tools listed`,
              ms: median(list22.direct),
            },
            {
              name: '  through the proxy (no catalog cache; their compile cache warm)',
              ms: median(list22.proxy),
              ratio: median(list22.ratios),
            },
          ]
        : [
            {
              name: `${N} stdio servers on Node 22.1+: skipped (none found; MCP_PROXY_BENCH_NODE22 names one)`,
              ms: undefined,
              value: '-',
            },
          ]),
      {
        name: 'starts per upstream (runs without cache, the most)',
        ms: undefined,
        value: starts / N,
        target: 'exactly 1',
        ok: coldStarts.every((n) => n === N),
      },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function formatServeStartRows(rows) {
  const w = Math.max(...rows.map((r) => r.name.length));
  return rows
    .map((r) => {
      const v = r.ms !== undefined ? `${r.ms.toFixed(0).padStart(6)} ms` : `${String(r.value).padStart(6)}   `;
      const rel =
        r.ratio !== undefined ? ` x${r.ratio.toFixed(2)}` : r.extra !== undefined ? ` +${r.extra.toFixed(0)} ms` : '';
      const verdict = r.target ? `  target ${r.target}: ${r.ok ? 'ok' : 'MISSED'}` : '';
      return `${r.name.padEnd(w)}  ${v}${rel}${verdict}`;
    })
    .join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--runs');
  const rows = await runServeStartBench({ runs: i > 0 ? Number(process.argv[i + 1]) : 5 });
  console.log(formatServeStartRows(rows));
}
