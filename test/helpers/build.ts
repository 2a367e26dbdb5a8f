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
