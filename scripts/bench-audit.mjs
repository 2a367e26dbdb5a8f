#!/usr/bin/env node
// The CPU cost of the audit log per call: the proxy (the built bundle over stdio, in front of the echo
// fixture) without proxy.audit, with the JSON Lines sink, and with the arguments recorded too. The
// number is the proxy process's own CPU time (user + system, from /proc) per tools/call, so the client
// and the upstream do not count; rounds alternate between the set-ups and the median is kept, as the
// machine is shared. Called by scripts/bench.mjs (`runAuditBench()`), or alone: `node scripts/bench-audit.mjs`.
// Target: auditing adds < 5% to the proxy's CPU per call, judged on the hook's own cost (hookMicros) over
// the proxy's CPU per call: the end-to-end difference is shown too, but on a busy machine it moves by
// more than the cost it would measure. Linux only (reads /proc/<pid>/stat).
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { BUNDLE as bundle, cpuMs, ECHO as echo, ROOT as root } from './bench.mjs';

const CALLS = Number(process.env.BENCH_AUDIT_CALLS ?? 3000);
const ROUNDS = Number(process.env.BENCH_AUDIT_ROUNDS ?? 3);
const WARMUP = 500;

/** A stdio client, and the pid of the process it started (whose CPU time is read). */
async function connectStdio(command, args) {
  const client = new Client({ name: 'bench-audit', version: '1.0.0' });
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
  const transport = new StdioClientTransport({ command, args, env, stderr: 'ignore' });
  await client.connect(transport);
  return { client, pid: transport.pid };
}

/** CPU time of `pid` in microseconds. */
function cpuMicros(pid) {
  return cpuMs(pid) * 1000;
}

async function cpuPerCall(dir, name, audit) {
  const cfg = path.join(dir, `${name}.json`);
  const config = { mcpServers: { echo: { command: process.execPath, args: [echo] } } };
  if (audit) config.proxy = { audit };
  writeFileSync(cfg, JSON.stringify(config));
  const { client, pid } = await connectStdio(process.execPath, [
    bundle,
    'run',
    '--config',
    cfg,
    '--no-watch',
    '--log-level',
    'warn',
  ]);
  const call = (i) => client.callTool({ name: 'echo__echo', arguments: { text: `hello ${i}`, n: i } });
  for (let i = 0; i < WARMUP; i++) await call(i);
  const before = cpuMicros(pid);
  for (let i = 0; i < CALLS; i++) await call(i);
  const used = cpuMicros(pid) - before;
  await client.close();
  return used / CALLS;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * The hook and the JSON Lines sink alone, in this process (bundled from src/ with esbuild): CPU per
 * call with and without the hook around the same trivial call. Less exposed to a busy machine than
 * the end-to-end figure, and what that figure's difference is made of.
 */
async function hookMicros(dir, withArguments) {
  const esbuild = await import('esbuild');
  const out = path.join(dir, 'audit-hook.mjs');
  await esbuild.build({
    stdin: {
      contents:
        "export { createCallAuditor } from './src/audit/recorder.ts'; export { JsonlSink } from './src/audit/jsonl.ts';",
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: out,
    logLevel: 'silent',
  });
  const { createCallAuditor, JsonlSink } = await import(pathToFileURL(out).href);
  const sink = new JsonlSink({ file: path.join(dir, 'hook.jsonl'), rotate: { maxBytes: 64 << 20, keep: 1 } });
  const hook = createCallAuditor({ sink, withArguments, redact: (t) => t });
  const caller = { identity: { id: 'token:0123456789abcdef', kind: 'token', roles: [] }, session: '0123456789abcdef' };
  const result = { content: [{ type: 'text', text: 'hello' }] };
  const run = async () => result;
  const N = 100_000;
  const loop = async (wrapped) => {
    const t = process.cpuUsage();
    for (let i = 0; i < N; i++) {
      const info = { method: 'tools/call', upstream: 'echo', name: 'echo', caller, args: { text: `hello ${i}`, n: i } };
      await (wrapped ? hook(info, run) : run());
      if (i % 1000 === 999) await sink.flush();
    }
    const d = process.cpuUsage(t);
    return (d.user + d.system) / N;
  };
  await loop(true);
  const bare = median([await loop(false), await loop(false), await loop(false)]);
  const hooked = median([await loop(true), await loop(true), await loop(true)]);
  await sink.close();
  return hooked - bare;
}

export async function runAuditBench() {
  if (process.platform !== 'linux') return [{ note: 'skipped: reads /proc (Linux only)' }];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-proxy-bench-audit-'));
  const setups = [
    ['off', undefined],
    ['JSON Lines', { file: path.join(dir, 'a.jsonl') }],
    ['JSON Lines + arguments', { file: path.join(dir, 'b.jsonl'), arguments: true }],
  ];
  const samples = Object.fromEntries(setups.map(([n]) => [n, []]));
  try {
    for (let r = 0; r < ROUNDS; r++) {
      for (const [name, audit] of setups) samples[name].push(await cpuPerCall(dir, name.replace(/\W+/g, '-'), audit));
    }
    if (process.env.BENCH_AUDIT_SAMPLES) console.error(samples);
    const off = median(samples.off);
    const isolated = {
      'JSON Lines': await hookMicros(dir, false),
      'JSON Lines + arguments': await hookMicros(dir, true),
    };
    const lines = statSync(path.join(dir, 'a.jsonl')).size > 0;
    return setups.map(([name]) => {
      const us = median(samples[name]);
      const extra = ((us - off) / off) * 100;
      return {
        setup: name,
        'proxy CPU per call (us)': us.toFixed(1),
        'vs off': name === 'off' ? '-' : `${extra >= 0 ? '+' : ''}${extra.toFixed(1)}%`,
        'hook alone (us)': name === 'off' ? '-' : isolated[name].toFixed(2),
        'hook / off': name === 'off' ? '-' : `${((isolated[name] / off) * 100).toFixed(2)}%`,
        'target < 5%': name === 'off' ? '-' : isolated[name] / off < 0.05 ? 'met' : 'NOT met',
        ...(name !== 'off' && !lines ? { note: 'no records written?' } : {}),
      };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (!existsSync(bundle)) throw new Error('dist/mcp-proxy.mjs is missing: run `npm run build` first');
  console.table(await runAuditBench());
}
