// Start-up benchmark: `mcp-proxy version` and `--help` against a bare `node -e 0` on the same machine.
// The budget (issue 6) is 1.5x bare Node. Runs are interleaved round-robin, so load on a shared machine
// hits every command alike; the mean is taken over the runs after dropping the slowest 10%.
//
//   import { runStartupBench } from './bench-startup.mjs';
//   const rows = await runStartupBench();   // [{ name, meanMs, ratio, baseline, budget, ok }]
//
// Run alone: node scripts/bench-startup.mjs [--runs 30]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT as root, STARTUP_ENV } from './bench.mjs';

export const STARTUP_BUDGET = 1.5;

function timeOnce(cmd, args, env = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, {
    stdio: 'ignore',
    cwd: root,
    env: { ...STARTUP_ENV, MCP_PROXY_DEPLOYMENT: 'node', ...env },
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}`);
  return ms;
}

function trimmedMean(xs) {
  const sorted = [...xs].sort((a, b) => a - b);
  const keep = sorted.slice(0, Math.max(1, Math.ceil(sorted.length * 0.9)));
  return keep.reduce((a, b) => a + b, 0) / keep.length;
}

/**
 * Measures each case and returns one row per case: {name, meanMs, ratio} (ratio against its baseline:
 * `node -e 0` for the bundle, the binary's own Node version for the standalone binary), plus baseline,
 * budget (1.5 where it applies, else null) and ok.
 */
export async function runStartupBench({ runs = 20, warmup = 3 } = {}) {
  const bundle = path.join(root, 'dist/mcp-proxy.mjs');
  if (!fs.existsSync(bundle)) throw new Error('dist/mcp-proxy.mjs is missing: run `npm run build` first');
  const node = process.execPath;
  const cases = [
    { name: 'node -e 0', cmd: node, args: ['-e', '0'] },
    { name: 'mcp-proxy version', cmd: node, args: [bundle, 'version'], baseline: 'node -e 0', budget: STARTUP_BUDGET },
    { name: 'mcp-proxy --help', cmd: node, args: [bundle, '--help'], baseline: 'node -e 0', budget: STARTUP_BUDGET },
    // For reference: the same commands through the full CLI (yargs, pino, the 5 MB core parsed).
    {
      name: 'mcp-proxy version (full CLI)',
      cmd: node,
      args: [bundle, 'version'],
      env: { MCP_PROXY_NO_FAST_PATH: '1' },
      baseline: 'node -e 0',
    },
  ];
  const core = path.join(root, 'dist/mcp-proxy-core.cjs');
  if (fs.existsSync(core)) {
    cases.push({
      name: 'core bundle loaded whole: version',
      cmd: node,
      args: [core, 'version'],
      baseline: 'node -e 0',
    });
  }
  const host = `${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`;
  const binary = path.join(root, 'dist/binaries', `mcp-proxy-${host}${host.startsWith('win') ? '.exe' : ''}`);
  if (fs.existsSync(binary)) {
    const { NODE_VERSION, TARGETS } = await import('./build-binaries.mjs');
    const t = TARGETS[host];
    const seaNode = t && path.join(root, '.cache/node-dist', `${t.pkg}-${NODE_VERSION}`, 'package', t.bin);
    if (seaNode && fs.existsSync(seaNode)) {
      cases.push({ name: `node ${NODE_VERSION} -e 0`, cmd: seaNode, args: ['-e', '0'] });
      const base = `node ${NODE_VERSION} -e 0`;
      cases.push({ name: 'binary version', cmd: binary, args: ['version'], baseline: base, budget: STARTUP_BUDGET });
      cases.push({ name: 'binary --help', cmd: binary, args: ['--help'], baseline: base, budget: STARTUP_BUDGET });
    }
  }
  const run = (c) => timeOnce(c.cmd, c.args, c.env);
  for (let i = 0; i < warmup; i++) for (const c of cases) run(c);
  const samples = new Map(cases.map((c) => [c.name, []]));
  for (let i = 0; i < runs; i++) for (const c of cases) samples.get(c.name).push(run(c));
  const means = new Map(cases.map((c) => [c.name, trimmedMean(samples.get(c.name))]));
  return cases.map((c) => {
    const meanMs = Math.round(means.get(c.name) * 10) / 10;
    const ratio = c.baseline ? Math.round((means.get(c.name) / means.get(c.baseline)) * 100) / 100 : 1;
    const budget = c.budget ?? null;
    return {
      name: c.name,
      meanMs,
      ratio,
      baseline: c.baseline ?? null,
      budget,
      ok: budget === null || ratio <= budget,
    };
  });
}

export function formatStartupRows(rows) {
  const w = Math.max(...rows.map((r) => r.name.length));
  return rows
    .map((r) => {
      const against = r.baseline ? ` x${r.ratio.toFixed(2)} of ${r.baseline}` : '';
      const verdict = r.budget === null ? '' : r.ok ? `  ok (<= ${r.budget}x)` : `  OVER BUDGET (${r.budget}x)`;
      return `${r.name.padEnd(w)}  ${r.meanMs.toFixed(1).padStart(7)} ms${against}${verdict}`;
    })
    .join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--runs');
  const rows = await runStartupBench({ runs: i > 0 ? Number(process.argv[i + 1]) : 20 });
  console.log(formatStartupRows(rows));
  if (rows.some((r) => !r.ok)) process.exitCode = 1;
}
