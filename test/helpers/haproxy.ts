/**
 * A real HAProxy (Debian's `haproxy`) for the scale tests and the bench: started in the foreground on
 * loopback ports with the shipped config file, its parameters given through the environment as the file
 * documents. `haproxyMissing()` says why it cannot run here, for a loud skip.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { ROOT } from './paths.js';

export const HAPROXY_CFG = path.join(ROOT, 'deploy/haproxy/haproxy.cfg');

/** Why HAProxy cannot be used here (undefined when it can). */
export function haproxyMissing(): string | undefined {
  const r = spawnSync('haproxy', ['-v'], { encoding: 'utf8' });
  if (r.error) return `haproxy is not installed (${(r.error as NodeJS.ErrnoException).code}): apt-get install haproxy`;
  if (r.status !== 0) return `haproxy -v failed: ${r.stderr}`;
  return undefined;
}

/** A port free now on 127.0.0.1 (HAProxy cannot be told to pick one itself). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

export interface Haproxy {
  child: ChildProcess;
  /** Where clients connect: http://127.0.0.1:PORT/mcp. */
  url: string;
  output(): string;
  /** Each server of the backend and its state as HAProxy sees it (UP, DOWN, ...). */
  states(): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

/** Starts haproxy -db with `cfg`; `servers` become MCP_PROXY_1..N (host:port). */
export async function startHaproxy(
  servers: string[],
  opts: { cfg?: string; checkInter?: string } = {},
): Promise<Haproxy> {
  const [bind, stats] = [await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    MCP_PROXY_LB_BIND: `127.0.0.1:${bind}`,
    MCP_PROXY_LB_STATS: `127.0.0.1:${stats}`,
    MCP_PROXY_CHECK_INTER: opts.checkInter ?? '200ms',
  };
  servers.forEach((s, i) => {
    env[`MCP_PROXY_${i + 1}`] = s;
  });
  const child = spawn('haproxy', ['-db', '-f', opts.cfg ?? HAPROXY_CFG], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  const statsUrl = `http://127.0.0.1:${stats}/stats;csv`;
  const states = async () => {
    const csv = await (await fetch(statsUrl)).text();
    const rows = csv.split('\n').map((l) => l.split(','));
    const head = rows[0] ?? [];
    const col = head.indexOf('status');
    return Object.fromEntries(
      rows.filter((r) => r[0] === 'mcp_proxies' && r[1] !== 'BACKEND').map((r) => [r[1], r[col] ?? '']),
    );
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited ${child.exitCode}: ${out}`);
    try {
      await states();
      break;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`haproxy did not start: ${out} ${String(e)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    child,
    url: `http://127.0.0.1:${bind}/mcp`,
    output: () => out,
    states,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
