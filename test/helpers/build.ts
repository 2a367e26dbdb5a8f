/** The built bundle, for tests that run it. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { BUNDLE, NODE, ROOT } from './paths.js';

/** Builds dist/mcp-proxy.mjs when it is missing (npm test builds first; a bare vitest run may not). */
export function ensureBuilt(): void {
  if (existsSync(BUNDLE)) return;
  const r = spawnSync(NODE, [path.join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed: ${r.stderr || r.error?.message}`);
}

export interface BundleResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI to completion, as a user would: stdin empty unless `input` says otherwise. */
export function runBundle(
  args: string[],
  opts: { cwd?: string; env: NodeJS.ProcessEnv; input?: string; timeout?: number },
): BundleResult {
  const r = spawnSync(NODE, [BUNDLE, ...args], {
    cwd: opts.cwd,
    encoding: 'utf8',
    input: opts.input ?? '',
    env: opts.env,
    timeout: opts.timeout,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
