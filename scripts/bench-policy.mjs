#!/usr/bin/env node
// The cost of the team gateway per call: the proxy's CPU per tools/call (the built bundle, `run
// --transport http`, 8 sessions of a 2025 client calling concurrently) with no policy and the shared
// token, against a named API key under a ~20-rule `proxy.access` policy. The two run alternately on fresh
// proxies, REPEAT times each; the median of each is reported. On a busy machine that difference is within
// the noise, so the policy's own work per call (the access check of a tools/call and the API key check,
// from src/gateway bundled on the fly) is also timed in-process and set against the proxy's CPU per call.
// Target: the policy adds < 5% of a call's CPU.
// Called by scripts/bench.mjs (`runPolicyBench()`), or alone: `node scripts/bench-policy.mjs`.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { BUNDLE as bundle, cpuMs, ECHO as echo, ROOT as root, runAlone } from './bench.mjs';

const SESSIONS = 8;
const PER_SESSION = Number(process.env.BENCH_POLICY_CALLS ?? 400);
const REPEAT = Number(process.env.BENCH_POLICY_REPEAT ?? 3);
const TOKEN = 'bench-policy-shared-token-0123456789';

/** ~20 rules: most name other roles or servers; the key's role is matched by a few, one denying a glob. */
function policy() {
  const rules = [];
  for (let i = 0; i < 16; i++) {
    rules.push({ who: { roles: [`team-${i}`] }, allow: { servers: ['echo'], tools: [`echo__tool_${i}_*`] } });
  }
  rules.push({ who: { claims: { groups: ['admins'] } }, allow: { servers: ['*'] } });
  rules.push({ who: { roles: ['dev'] }, allow: { tools: ['echo__e*', 'echo__add'] } });
  rules.push({ who: { roles: ['dev'] }, deny: { tools: ['echo__*delete*', 'echo__crash'] } });
  rules.push({ who: { keys: ['bench'] }, deny: { prompts: ['*'] } });
  return { rules, profiles: { small: { tools: ['echo__echo'] } } };
}

async function startProxy(config, home, env) {
  const child = spawn(
    process.execPath,
    [bundle, 'run', '--transport', 'http', '--port', '0', '--config', config, '--log-level', 'warn', '--no-watch'],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH ?? '', HOME: home, ...env } },
  );
  let stderr = '';
  const url = await new Promise((resolve, reject) => {
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c) => {
      stderr += c;
      const m = /listening on (http:\/\/\S+\/mcp)/.exec(stderr);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`proxy exited ${code}: ${stderr}`)));
  });
  return {
    url,
    pid: child.pid,
    stop: () => new Promise((r) => child.once('exit', r) && child.kill('SIGTERM')),
  };
}

const fetchWithoutSignal = (input, init) => fetch(input, { ...init, signal: undefined });

/** Proxy CPU ms per call with SESSIONS sessions calling at once (after a warm-up). */
async function measure(config, home, env, bearer) {
  const proxy = await startProxy(config, home, env);
  try {
    const sessions = await Promise.all(
      Array.from({ length: SESSIONS }, async () => {
        const client = new V1Client({ name: 'bench-policy', version: '1' });
        const transport = new StreamableHTTPClientTransport(new URL(proxy.url), {
          fetch: fetchWithoutSignal,
          requestInit: { headers: { authorization: `Bearer ${bearer}` } },
        });
        await client.connect(transport);
        return { client, call: () => client.callTool({ name: 'echo__echo', arguments: { text: 'hello' } }) };
      }),
    );
    const run = (n) =>
      Promise.all(
        sessions.map(async (s) => {
          for (let i = 0; i < n; i++) await s.call();
        }),
      );
    await run(200);
    const cpu0 = cpuMs(proxy.pid);
    await run(PER_SESSION);
    const perCall = (cpuMs(proxy.pid) - cpu0) / (SESSIONS * PER_SESSION);
    await Promise.all(sessions.map((s) => s.client.close()));
    return perCall;
  } finally {
    await proxy.stop();
  }
}

/** µs per call of the gateway's own work, timed in this process on src/gateway (bundled with esbuild). */
async function gatewayWork(dir) {
  const { build } = await import('esbuild');
  await build({
    entryPoints: [path.join(root, 'src/gateway/policy.ts'), path.join(root, 'src/gateway/keys.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outdir: path.join(dir, 'gw'),
    outExtension: { '.js': '.mjs' },
    logLevel: 'silent',
  });
  const { compilePolicy, accessView, itemOf } = await import(pathToFileURL(path.join(dir, 'gw/policy.mjs')).href);
  const { createKey, KeyStore } = await import(pathToFileURL(path.join(dir, 'gw/keys.mjs')).href);
  const identity = { id: 'key:bench', kind: 'key', roles: ['dev'], claims: { name: 'bench' } };
  const entry = { upstream: 'echo', original: 'echo', item: { name: 'echo__echo' } };
  const compiled = compilePolicy(policy());
  const time = (n, fn) => {
    for (let i = 0; i < 1000; i++) fn(i);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn(i);
    return Number(process.hrtime.bigint() - t0) / 1000 / n;
  };
  const view = accessView(compiled, identity);
  const check = time(200_000, () => view.allows(itemOf('tool', entry)));
  // A name never asked before: every rule is evaluated (the first call of each tool in a session).
  const uncached = time(50_000, (i) => view.allows({ kind: 'tool', server: 'echo', name: `echo__e${i}` }));
  const keysFile = path.join(dir, 'micro-keys.json');
  const { key } = createKey(keysFile, { name: 'bench' });
  const store = new KeyStore(keysFile);
  const verify = time(100_000, () => store.verify(key));
  return { check, uncached, verify };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function runPolicyBench() {
  if (!existsSync(bundle)) throw new Error('dist/mcp-proxy.mjs is missing: run `npm run build` first');
  if (!existsSync('/proc/self/stat')) return [{ name: 'policy cost', note: 'needs Linux /proc' }];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-proxy-bench-policy-'));
  try {
    const server = { echo: { command: process.execPath, args: [echo] } };
    const plain = path.join(dir, 'plain.json');
    const guarded = path.join(dir, 'policy.json');
    writeFileSync(plain, JSON.stringify({ mcpServers: server }));
    writeFileSync(
      guarded,
      JSON.stringify({ mcpServers: server, proxy: { auth: { keysFile: 'keys.json' }, access: policy() } }),
    );
    const key = execFileSync(
      process.execPath,
      [bundle, 'keys', 'create', 'bench', '--role', 'dev', '--keys-file', path.join(dir, 'keys.json')],
      { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: dir }, stdio: ['ignore', 'pipe', 'ignore'] },
    ).trim();
    const none = [];
    const withPolicy = [];
    for (let i = 0; i < REPEAT; i++) {
      none.push(await measure(plain, dir, { MCP_PROXY_TOKEN: TOKEN }, TOKEN));
      withPolicy.push(await measure(guarded, dir, {}, key));
    }
    const a = median(none);
    const b = median(withPolicy);
    const overhead = ((b - a) / a) * 100;
    const work = await gatewayWork(dir);
    // Per call: one access check (a repeated name) and one key check (the shared token's check it replaces
    // costs about the same: one SHA-256 of the presented credential).
    const workPct = ((work.check + work.verify) / 1000 / a) * 100;
    return [
      { name: 'no policy, shared token', proxyCpuMsPerCall: round(a), runs: none.map(round).join(' ') },
      {
        name: `API key, ${policy().rules.length}-rule policy`,
        proxyCpuMsPerCall: round(b),
        runs: withPolicy.map(round).join(' '),
        overheadPct: Math.round(overhead * 10) / 10,
      },
      {
        name: 'in-process: access check + API key check per call',
        usPerCall: round(work.check + work.verify),
        accessCheckUs: round(work.check),
        firstCallOfANameUs: round(work.uncached),
        keyCheckUs: round(work.verify),
        pctOfProxyCpuPerCall: Math.round(workPct * 100) / 100,
        target: `< 5%: ${workPct < 5 ? 'met' : 'NOT met'}`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (x) => Math.round(x * 1000) / 1000;

runAlone(import.meta.url, runPolicyBench);
