/**
 * Replicas of one server behind one name, with real child processes (the pool in process, each
 * replica a real stdio server): calls spread over the replicas; a replica killed under load loses only
 * the calls in flight on it (an error, never a hang) and the others take the rest; a call safe to
 * repeat is sent again elsewhere; backups wait until every primary is down; a session stays on its
 * replica; replicas that list different things are reported.
 */
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import type { UpstreamConfig } from '../../src/config/schema.js';
import { createLogger } from '../../src/observability/logger.js';
import type { UpstreamGroup } from '../../src/upstream/group.js';
import { UpstreamPool } from '../../src/upstream/pool.js';
import { FIXTURES, NODE } from '../helpers/paths.js';
import { waitFor } from '../helpers/wait.js';

const REPLICA = path.join(FIXTURES, 'replica-server.mjs');
const PROXY = {
  timeouts: { connect: 20_000, request: 20_000, shutdownGrace: 100 },
};
let pool: UpstreamPool | undefined;

afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

async function start(server: Record<string, unknown>): Promise<UpstreamGroup> {
  pool = new UpstreamPool({
    configs: { r: { type: 'stdio', command: NODE, args: [REPLICA], ...server } as UpstreamConfig },
    logger: createLogger({ level: 'silent', format: 'json' }),
    env: { PATH: process.env.PATH ?? '' },
    cwd: process.cwd(),
    onStderrLine: () => {},
    proxy: PROXY,
  });
  await pool.start();
  return pool.get('r') as UpstreamGroup;
}

const call = (g: UpstreamGroup, tool: string, args: Record<string, unknown> = {}, opts = {}) =>
  g
    .call((c: Client) => c.callTool({ name: tool, arguments: args }), opts)
    .then((r: any) => r.content[0].text as string);

describe('replicas of one server', () => {
  it('round-robin spreads calls evenly over 3 processes; status lists each replica', async () => {
    const g = await start({ replicas: 3 });
    const pids = await Promise.all(Array.from({ length: 9 }, () => call(g, 'slow_read', { ms: 0 })));
    const counts = new Map<string, number>();
    for (const p of pids) counts.set(p, (counts.get(p) ?? 0) + 1);
    expect([...counts.values()]).toEqual([3, 3, 3]);
    const s = g.status();
    expect(s.state).toBe('ready');
    expect(s.balance).toBe('round-robin');
    expect(s.tools).toBe(5);
    expect(s.replicas?.map((r) => [r.name, r.state, r.backup])).toEqual([
      ['r#1', 'ready', false],
      ['r#2', 'ready', false],
      ['r#3', 'ready', false],
    ]);
    expect(s.catalogMismatch).toBeUndefined();
  });

  it('a replica killed under load: only its calls in flight fail (never hang); the others take the load', async () => {
    const g = await start({ replicas: 3, balance: 'least-outstanding' });
    // The group serves once one replica is up; the load below is meant for all three.
    await waitFor(() => g.status().replicas?.every((r) => r.state === 'ready'), 'every replica ready');
    // least-outstanding picks the lesser of two random replicas: a few rounds reach all three.
    const pids = new Set<string>();
    for (let round = 0; round < 20 && pids.size < 3; round++) {
      for (const pid of await Promise.all(Array.from({ length: 6 }, () => call(g, 'slow_read', { ms: 0 })))) {
        pids.add(pid);
      }
    }
    expect(pids.size).toBe(3);
    const victim = Number([...pids][0].slice(4));
    let stop = false;
    const outcomes: { ok: boolean; pid?: string; after: boolean }[] = [];
    let killedAt = 0;
    // 6 workers calling a tool that may have side effects (never repeated), 150 ms each.
    const workers = Array.from({ length: 6 }, async () => {
      while (!stop) {
        const sent = performance.now();
        try {
          const pid = await call(g, 'slow', { ms: 150 });
          outcomes.push({ ok: true, pid, after: killedAt > 0 && sent > killedAt });
        } catch {
          outcomes.push({ ok: false, after: killedAt > 0 && sent > killedAt + 100 });
        }
      }
    });
    await new Promise((r) => setTimeout(r, 400));
    // Killed while every replica has calls in flight (on a busy machine one may be between calls at a
    // fixed moment, and a kill that hits no call proves nothing).
    await waitFor(() => g.status().replicas?.every((r) => r.outstanding > 0), 'calls in flight on every replica');
    process.kill(victim, 'SIGKILL');
    killedAt = performance.now();
    await new Promise((r) => setTimeout(r, 800));
    stop = true;
    await Promise.all(workers);
    const failed = outcomes.filter((o) => !o.ok);
    // At most the calls that were on the victim when it died (a third of 6 workers, rounded up, with slack).
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length).toBeLessThanOrEqual(4);
    // Sent once the victim was known dead: every one answered, by the two that are left.
    const later = outcomes.filter((o) => o.after);
    expect(later.length).toBeGreaterThan(10);
    expect(later.every((o) => o.ok && o.pid !== `pid:${victim}`)).toBe(true);
    const s = g.status();
    expect(s.state).toBe('ready');
    // The victim restarts on its own (its own restart policy); the group counts it.
    expect(s.restarts).toBe(1);
  });

  it('a call safe to repeat is sent to another replica when its own dies under it; one that is not, fails', async () => {
    const g = await start({ replicas: 2 });
    const [first, second] = await Promise.all([call(g, 'slow_read', { ms: 0 }), call(g, 'slow_read', { ms: 0 })]);
    // Round-robin from here: replica 1, 2, 1.
    const retried = call(g, 'slow_read', { ms: 2000 }, { retryable: true });
    const unsafeElsewhere = call(g, 'slow', { ms: 2000 });
    const unsafeOnVictim = call(g, 'slow', { ms: 2000 });
    await new Promise((r) => setTimeout(r, 300));
    process.kill(Number(first.slice(4)), 'SIGKILL');
    const [r1, r2, r3] = await Promise.allSettled([retried, unsafeElsewhere, unsafeOnVictim]);
    expect(r1).toEqual({ status: 'fulfilled', value: second });
    expect(r2).toEqual({ status: 'fulfilled', value: second });
    expect(r3.status).toBe('rejected');
    expect(String((r3 as PromiseRejectedResult).reason)).toMatch(/upstream "r#1" .*connection closed during the call/);
  });

  it('backups take calls only while every primary is down', async () => {
    const g = await start({ replicas: [{}, { backup: true }] });
    const primary = await call(g, 'slow_read', { ms: 0 });
    for (let i = 0; i < 5; i++) expect(await call(g, 'slow_read', { ms: 0 })).toBe(primary);
    process.kill(Number(primary.slice(4)), 'SIGKILL');
    await waitFor(() => g.replicas[0].conn.state !== 'ready', 'the primary down', 5000);
    const backup = await call(g, 'slow_read', { ms: 0 });
    expect(backup).not.toBe(primary);
    expect(g.status().replicas?.map((r) => [r.name, r.backup])).toEqual([
      ['r#1', false],
      ['r#2', true],
    ]);
  });

  it('balance "session": one session key, one replica; keys spread over all', async () => {
    const g = await start({ replicas: 3, balance: 'session' });
    const seen = new Map<string, Set<string>>();
    for (let k = 0; k < 12; k++) {
      for (let i = 0; i < 3; i++) {
        const pid = await call(g, 'slow_read', { ms: 0 }, { affinity: `session:${k}` });
        seen.set(`${k}`, (seen.get(`${k}`) ?? new Set()).add(pid));
      }
    }
    for (const pids of seen.values()) expect(pids.size).toBe(1);
    expect(new Set([...seen.values()].map((s) => [...s][0])).size).toBeGreaterThan(1);
  });

  it('replicas that list different catalogs are reported', async () => {
    const g = await start({ replicas: [{}, { args: [REPLICA, '--extra'] }] });
    await waitFor(() => g.status().catalogMismatch !== undefined, 'the mismatch reported', 5000);
    expect(g.status().catalogMismatch).toBe('r#2 lists a different catalog than r#1');
  });
});
