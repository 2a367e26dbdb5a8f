/**
 * Shared setup for the Docker tests. They run only on explicit opt-in, MCP_PROXY_DOCKER_TESTS=1 (.ci/run
 * sets it after installing and starting an engine), so an ordinary `npm test` never installs or starts
 * anything. With the opt-in, test/globalSetup.ts checks once per run that the engine answers and builds
 * the local base image (scripts/docker-test-setup.sh), and hands the verdict to every worker.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { tmpDir } from './files.js';
import { ROOT } from './paths.js';

export const BASE_IMAGE = process.env.MCP_PROXY_BASE_IMAGE ?? 'mcp-proxy-local/node-base:latest';
export const ECHO_IMAGE = 'mcp-proxy-test/docker-echo';
export const PROXY_IMAGE = 'mcp-proxy-test/proxy:latest';

const run = promisify(execFile);

/** The opt-in, and how a skipped run says to give it. */
export const OPT_IN = 'MCP_PROXY_DOCKER_TESTS';
export const NOT_OPTED_IN =
  `not opted in: run them with ${OPT_IN}=1 and a Docker engine running ` +
  '(.ci/run installs and starts one, then sets it)';

export interface Engine {
  ok: boolean;
  reason?: string;
}

export function dockerTestsOptedIn(): boolean {
  return process.env[OPT_IN] === '1';
}

/**
 * Once per run: 'ok' when opted in and the engine and base image are ready, the reason to skip when
 * not opted in. Opted in without an engine throws: whoever asked for the Docker tests must not get a
 * green run that skipped them.
 */
export function prepareEngine(): string {
  if (!dockerTestsOptedIn()) return NOT_OPTED_IN;
  const r = spawnSync('bash', [path.join(ROOT, 'scripts/docker-test-setup.sh')], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (r.status === 0) return 'ok';
  const reason = (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').slice(-3).join(' / ');
  throw new Error(`${OPT_IN}=1 but the Docker engine is not ready: ${reason || 'setup failed'}`);
}

/** The verdict test/globalSetup.ts handed down: whether this file's Docker tests run. */
export function dockerEngine(): Engine {
  const verdict =
    process.env.MCP_PROXY_DOCKER_ENGINE ??
    (dockerTestsOptedIn() ? 'the vitest global setup did not run' : NOT_OPTED_IN);
  return verdict === 'ok' ? { ok: true } : { ok: false, reason: verdict };
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
  const dir = tmpDir('mcp-docker-echo-');
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

/**
 * Builds the project image (docker/Dockerfile, the legacy builder as on Debian's engine) as PROXY_IMAGE,
 * then removes what earlier builds left: the test image this one replaced, and the build stages of
 * earlier builds (dangling, labelled io.mcp-proxy.stage=build). The newest build stage stays: it is the
 * layer cache (`npm ci`) of the next build. With the vfs storage driver each layer is a full copy, and a
 * few runs filled the disk. A failed build throws with its log's tail and leaves the log in `logFile`.
 */
export async function buildProxyImage(logFile: string): Promise<void> {
  const previous = await docker(['image', 'inspect', '--format', '{{.Id}}', PROXY_IMAGE]).catch(() => '');
  try {
    const { stdout, stderr } = await run(
      'docker',
      ['build', '-f', 'docker/Dockerfile', '--build-arg', `NODE_IMAGE=${BASE_IMAGE}`, '-t', PROXY_IMAGE, '.'],
      { cwd: ROOT, env: { ...process.env, DOCKER_BUILDKIT: '0' }, maxBuffer: 256 * 1024 * 1024 },
    );
    writeFileSync(logFile, stdout + stderr);
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    const out = `${err.stdout ?? ''}${err.stderr ?? ''}`;
    writeFileSync(logFile, out);
    throw new Error(`docker build failed (log: ${logFile}):\n${out.slice(-3000)}`);
  }
  const current = await docker(['image', 'inspect', '--format', '{{.Id}}', PROXY_IMAGE]);
  const stages = (
    await docker([
      'images',
      '-q',
      '--no-trunc',
      '--filter',
      'dangling=true',
      '--filter',
      'label=io.mcp-proxy.stage=build',
    ])
  )
    .split('\n')
    .filter(Boolean);
  // Newest first; an image still in use (a container, a concurrent build) is not removed, which is fine.
  const old = [...stages.slice(1), ...(previous.trim() && previous.trim() !== current.trim() ? [previous.trim()] : [])];
  for (const id of old) await docker(['rmi', id]).catch(() => {});
}
