// What a stdio proxy's resident memory is made of, beside bare Node's: the `node` executable's own pages, the
// shared libraries, V8's heap by space, the main malloc arena and the rest of the anonymous memory (the
// malloc arenas of V8's and libuv's worker threads, thread stacks), read from /proc/<pid>/smaps and from V8
// inside the proxy (scripts/memory-probe.cjs, preloaded). The proxy fronts the echo fixture over stdio and
// is sampled after the same warm-up as the stdio rows of `npm run bench`, and again at rest: V8's memory
// reducer shrinks the heap some seconds after the traffic stops. Linux only (returns nothing elsewhere).
//
//   import { runMemoryBench } from './bench-memory.mjs';
// Run alone: node scripts/bench-memory.mjs
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUNDLE as bundle, connect, ECHO as echo, ROOT as root, runAlone } from './bench.mjs';

const probe = path.join(root, 'scripts/memory-probe.cjs');
const WARMUP = Number(process.env.BENCH_WARMUP ?? 5000);
/** Idle time before the "at rest" sample: V8's memory reducer runs about ten seconds after the last allocations. */
const REST_MS = Number(process.env.BENCH_MEMORY_REST_MS ?? 20_000);
const MB = 1024;

/** Resident kB of `pid` by kind of mapping. */
export function residentParts(pid) {
  const parts = { executable: 0, libraries: 0, mallocMain: 0, anonymous: 0, threadArenas: 0, total: 0 };
  const exe = fs.realpathSync(process.execPath);
  let current;
  const lines = fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n');
  const maps = [];
  for (const line of lines) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      current = { start: Number.parseInt(head[1], 16), perms: head[3], name: head[4], rss: 0 };
      maps.push(current);
    } else if (current && line.startsWith('Rss:')) current.rss = Number(/\d+/.exec(line)[0]);
  }
  for (const [i, m] of maps.entries()) {
    parts.total += m.rss;
    if (m.name === exe) parts.executable += m.rss;
    else if (m.name === '[heap]') parts.mallocMain += m.rss;
    else if (m.name.startsWith('/')) parts.libraries += m.rss;
    else if (m.name === '') {
      parts.anonymous += m.rss;
      // glibc reserves each thread arena as a 64 MiB-aligned region: used part rw-p, the rest ---p right after.
      const next = maps[i + 1];
      if (m.start % (64 * 1024 * 1024) === 0 && m.perms === 'rw-p' && next?.perms === '---p' && next.name === '') {
        parts.threadArenas += m.rss;
      }
    }
  }
  return parts;
}

async function v8Stats(pid, file) {
  fs.rmSync(file, { force: true });
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 100 && !fs.existsSync(file); i++) await new Promise((r) => setTimeout(r, 50));
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function sample(parts, stats) {
  const space = (name) => (stats?.spaces.find((s) => s.space_name === name)?.physical_space_size ?? 0) / 1024;
  const heap = stats ? stats.heap.total_physical_size / 1024 : undefined;
  return {
    parts,
    heap,
    young: space('new_space'),
    old: space('old_space'),
    code: space('code_space') + space('code_large_object_space'),
    large: space('large_object_space'),
    used: stats ? stats.heap.used_heap_size / 1024 : undefined,
  };
}

async function bareNode() {
  const child = spawn(process.execPath, ['-r', probe, '-e', 'setInterval(() => {}, 1e9)'], {
    stdio: 'ignore',
    env: { MCP_PROXY_MEMORY_PROBE: probeFile('bare') },
  });
  await new Promise((r) => setTimeout(r, 1000));
  const s = sample(residentParts(child.pid), await v8Stats(child.pid, probeFile('bare')));
  child.kill();
  return s;
}

function probeFile(name) {
  return path.join(os.tmpdir(), `mcp-proxy-mem-${name}-${process.pid}.json`);
}

async function proxy() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-proxy-bench-mem-'));
  const cfg = path.join(dir, 'config.json');
  fs.writeFileSync(cfg, JSON.stringify({ mcpServers: { echo: { command: process.execPath, args: [echo] } } }));
  // A code cache of this bench's own, written by a first short run: the shared one may belong to another build.
  const env = { MCP_PROXY_CODE_CACHE: path.join(dir, 'code'), MCP_PROXY_MEMORY_PROBE: probeFile('proxy') };
  const args = ['-r', probe, bundle, 'run', '--config', cfg, '--log-level', 'warn', '--no-watch'];
  await (await connect(process.execPath, args, env)).close();
  const client = await connect(process.execPath, args, env);
  for (let i = 0; i < WARMUP; i++) await client.callTool({ name: 'echo__echo', arguments: { text: 'hello' } });
  const busy = sample(residentParts(client.pid), await v8Stats(client.pid, env.MCP_PROXY_MEMORY_PROBE));
  await new Promise((r) => setTimeout(r, REST_MS));
  const rest = sample(residentParts(client.pid), await v8Stats(client.pid, env.MCP_PROXY_MEMORY_PROBE));
  await client.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return { busy, rest };
}

/** Rows: each part of the RSS in MB, bare Node beside the proxy after the warm-up and at rest. */
export async function runMemoryBench() {
  if (process.platform !== 'linux') return undefined;
  const bare = await bareNode();
  const { busy, rest } = await proxy();
  const coreBytes = fs.statSync(path.join(root, 'dist/mcp-proxy-core.cjs')).size;
  const launcherBytes = fs.statSync(bundle).size;
  const mb = (kb) => (kb === undefined ? '-' : (kb / MB).toFixed(1));
  const row = (part, f, note = '') => ({
    part,
    'bare node': mb(f(bare)),
    'proxy, after warm-up': mb(f(busy)),
    'proxy, at rest': mb(f(rest)),
    note,
  });
  const otherAnon = (s) => Math.max(0, s.parts.anonymous - s.heap - s.parts.threadArenas);
  return [
    row('RSS', (s) => s.parts.total),
    row(
      'node executable (file pages)',
      (s) => s.parts.executable,
      'shared with every Node process; more of it is touched as more of V8 runs (TurboFan)',
    ),
    row('shared libraries', (s) => s.parts.libraries),
    row('V8 heap (committed)', (s) => s.heap),
    row('  young generation', (s) => s.young, 'src/boot/youngGeneration.ts'),
    row('  old generation', (s) => s.old, 'what the last full collection kept, plus garbage up to the next one'),
    row('  code', (s) => s.code),
    row(
      '  large objects',
      (s) => s.large,
      `the core's source (${mb(coreBytes / 1024)} MB) and the launcher's text (${mb(launcherBytes / 1024)} MB), kept for lazy compilation`,
    ),
    row('  (used)', (s) => s.used),
    row('malloc, main arena', (s) => s.parts.mallocMain),
    row(
      'malloc, thread arenas',
      (s) => s.parts.threadArenas,
      "V8's compiler and GC threads; MALLOC_ARENA_MAX=2 caps them (the Docker image sets it)",
    ),
    row('other anonymous', otherAnon, 'thread stacks, V8 and libuv tables'),
  ];
}

runAlone(import.meta.url, runMemoryBench);
