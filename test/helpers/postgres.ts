/**
 * A private PostgreSQL cluster for the audit store's tests: initdb in a temporary directory, pg_ctl
 * on a free port from the ephemeral range, trust auth on 127.0.0.1 only. As root the cluster runs as
 * the `postgres` user (PostgreSQL refuses to run as root). `startPostgres()` resolves to undefined,
 * with the reason, when no PostgreSQL can be had: the caller skips loudly.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { tmpDir } from './files.js';

export interface PostgresCluster {
  url: string;
  port: number;
  /** pg_ctl stop -m fast / start, without blocking the event loop (clients in this process keep going). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes its directory. */
  destroy(): void;
}

/** pg_ctl and initdb: on PATH, or in Debian's versioned directory. */
function pgBin(name: string): string | undefined {
  const onPath = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  if (onPath) return onPath;
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base) ? fs.readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const p = path.join(base, v, 'bin', name);
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

async function freePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    const ok = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error('no free port found');
}

export async function startPostgres(): Promise<{ cluster?: PostgresCluster; reason?: string }> {
  const initdb = pgBin('initdb');
  const pgCtl = pgBin('pg_ctl');
  if (!initdb || !pgCtl) return { reason: 'initdb/pg_ctl not found (apt-get install -y postgresql)' };
  const root = process.getuid?.() === 0;
  const asUser = (cmd: string, args: string[]) =>
    (root ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]) as [string, string[]];
  const dir = tmpDir('mcp-proxy-pg-');
  const data = path.join(dir, 'data');
  try {
    if (root) execFileSync('chown', ['postgres', dir]);
    const run = (cmd: string, args: string[]) => {
      const [c, a] = asUser(cmd, args);
      execFileSync(c, a, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir, timeout: 60_000 });
    };
    run(initdb, ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
    const port = await freePort();
    const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    const startArgs = ['-D', data, '-o', opts, '-l', path.join(dir, 'log'), '-w', '-t', '30', 'start'];
    const stopArgs = ['-D', data, '-m', 'fast', '-w', 'stop'];
    const runAsync = async (args: string[]) => {
      const [c, a] = asUser(pgCtl, args);
      await promisify(execFile)(c, a, { cwd: dir, timeout: 60_000 });
    };
    run(pgCtl, startArgs);
    return {
      cluster: {
        url: `postgres://postgres@127.0.0.1:${port}/postgres`,
        port,
        start: () => runAsync(startArgs),
        stop: () => runAsync(stopArgs),
        destroy() {
          try {
            run(pgCtl, stopArgs);
          } catch {}
          fs.rmSync(dir, { recursive: true, force: true });
        },
      },
    };
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    fs.rmSync(dir, { recursive: true, force: true });
    return { reason: `PostgreSQL did not start: ${err.stderr?.toString().trim() || err.message}` };
  }
}
