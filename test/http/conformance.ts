/**
 * Runs the official conformance suite (@modelcontextprotocol/conformance `server --suite all`) against a
 * URL. Its CLI needs Node >= 22 (test/helpers/node22.ts).
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { node22 } from '../helpers/node22.js';

const run = promisify(execFile);
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(REPO, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');

export interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | string;
  errorMessage?: string;
}

export interface ConformanceResult {
  exitCode: number;
  /** scenario -> its checks */
  scenarios: Record<string, Check[]>;
  failures: string[];
  warnings: string[];
  passed: number;
  output: string;
}

export async function runConformance(url: string, extraArgs: string[] = []): Promise<ConformanceResult> {
  const node = await node22();
  const out = await mkdtemp(path.join(tmpdir(), 'conformance-'));
  let exitCode = 0;
  let output = '';
  try {
    const r = await run(node, [CLI, 'server', '--url', url, '--suite', 'all', '-o', out, ...extraArgs], {
      timeout: 240_000,
      maxBuffer: 32 * 1024 * 1024,
    });
    output = r.stdout + r.stderr;
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    exitCode = typeof err.code === 'number' ? err.code : 1;
    output = (err.stdout ?? '') + (err.stderr ?? '');
  }
  const scenarios: Record<string, Check[]> = {};
  for (const dir of readdirSync(out)) {
    const name = dir.replace(/^server-/, '').replace(/-\d{4}-\d{2}-\d{2}T.*$/, '');
    const file = path.join(out, dir, 'checks.json');
    if (existsSync(file)) scenarios[name] = JSON.parse(readFileSync(file, 'utf8')) as Check[];
  }
  rmSync(out, { recursive: true, force: true });
  const failures: string[] = [];
  const warnings: string[] = [];
  let passed = 0;
  for (const [name, checks] of Object.entries(scenarios)) {
    for (const c of checks) {
      if (c.status === 'FAILURE') failures.push(`${name}/${c.id}: ${c.errorMessage ?? ''}`);
      if (c.status === 'WARNING') warnings.push(`${name}/${c.id}: ${c.errorMessage ?? ''}`);
      if (c.status === 'SUCCESS') passed++;
    }
  }
  return { exitCode, scenarios, failures, warnings, passed, output };
}
