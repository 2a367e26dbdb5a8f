/**
 * Shared setup for the Docker tests: makes sure an engine answers and the local base image exists
 * (scripts/docker-test-setup.sh, idempotent), and builds the test images once (the engine's layer
 * cache makes later builds cheap). When no engine can be had, `engine.ok` is false with a reason and
 * the tests are skipped LOUDLY (never passed silently).
 */
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BASE_IMAGE = process.env.MCP_PROXY_BASE_IMAGE ?? 'mcp-proxy-local/node-base:latest';
export const ECHO_IMAGE = 'mcp-proxy-test/docker-echo';
export const PROXY_IMAGE = 'mcp-proxy-test/proxy:latest';

const run = promisify(execFile);

export interface Engine {
  ok: boolean;
  reason?: string;
}

let cached: Engine | undefined;

/** Runs the engine setup script; returns 'ok' or the reason it failed. */
export function prepareEngine(): string {
  if (process.env.MCP_PROXY_DOCKER_TESTS === '0') return 'MCP_PROXY_DOCKER_TESTS=0';
  const r = spawnSync('bash', [path.join(ROOT, 'scripts/docker-test-setup.sh')], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (r.status === 0) return 'ok';
  return (
    (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').slice(-3).join(' / ') || 'setup failed'
  );
}

/** Runs the setup script once per worker; says LOUDLY why Docker tests are skipped. */
export function dockerEngine(file: string): Engine {
  if (!cached) {
    // The engine is prepared once per test run (test/globalSetup.ts) and the verdict handed to every
    // worker, so a missing engine costs one attempt, not one per test file.
    const verdict = process.env.MCP_PROXY_DOCKER_ENGINE;
    if (verdict) cached = verdict === 'ok' ? { ok: true } : { ok: false, reason: verdict };
  }
  if (!cached) {
    if (process.env.MCP_PROXY_DOCKER_TESTS === '0') {
      cached = { ok: false, reason: 'MCP_PROXY_DOCKER_TESTS=0' };
    } else {
      const r = spawnSync('bash', [path.join(ROOT, 'scripts/docker-test-setup.sh')], {
        encoding: 'utf8',
        timeout: 300_000,
      });
      cached =
        r.status === 0
          ? { ok: true }
          : {
              ok: false,
              reason: (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').slice(-3).join(' / '),
            };
    }
  }
  if (!cached.ok) {
    console.warn(
      `\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n` +
        `!!! DOCKER TESTS SKIPPED (${path.basename(file)}): no Docker engine: ${cached.reason}\n` +
        `!!! these tests did NOT run; start an engine (bash scripts/docker-test-setup.sh) to run them\n` +
        `!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n`,
    );
  }
  return cached;
}

export async function docker(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const { stdout } = await run('docker', args, {
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, DOCKER_BUILDKIT: '0', ...opts.env },
  });
  return stdout.trim();
}

/** test/fixtures/docker-echo-server.mjs bundled with esbuild into one file (no node_modules needed). */
export async function bundleEchoServer(): Promise<string> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [path.join(ROOT, 'test/fixtures/docker-echo-server.mjs')],
    write: false,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
  return result.outputFiles[0]?.text ?? '';
}

/**
 * Builds the docker-echo fixture image FROM the local base image. Tagged by content hash, so it is
 * built once and reused across tests and runs.
 */
export async function buildEchoImage(): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-docker-echo-'));
  try {
    const server = await bundleEchoServer();
    writeFileSync(path.join(dir, 'server.mjs'), server);
    const dockerfile = `FROM ${BASE_IMAGE}\nCOPY server.mjs /app/server.mjs\nUSER 1000:1000\nENTRYPOINT ["node", "/app/server.mjs"]\n`;
    writeFileSync(path.join(dir, 'Dockerfile'), dockerfile);
    const baseId = await docker(['image', 'inspect', '--format', '{{.Id}}', BASE_IMAGE]);
    const hash = createHash('sha256').update(server).update(dockerfile).update(baseId).digest('hex').slice(0, 12);
    const tag = `${ECHO_IMAGE}:${hash}`;
    const exists = await docker(['image', 'inspect', tag]).then(
      () => true,
      () => false,
    );
    if (!exists) await docker(['build', '-q', '-t', tag, dir]);
    return tag;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
