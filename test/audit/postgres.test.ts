/**
 * The PostgreSQL audit store against a real PostgreSQL (a private cluster started here; skipped, loudly,
 * when none can be started): the BUILT proxy with 8 concurrent sessions per phase, the database
 * stopped for a whole phase and started again during the next. Every call has exactly one row: the
 * records of the outage were buffered on disk and replayed, and a batch sent twice is stored once.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PostgresSink } from '../../src/audit/postgres.js';
import { type AuditRecord, recordIds } from '../../src/audit/record.js';
import { runSessions } from '../helpers/auditCalls.js';
import { ensureBuilt, runBundle } from '../helpers/build.js';
import { tempDir, writeConfig } from '../helpers/files.js';
import { startHttpProxy } from '../helpers/httpProxy.js';
import { ECHO } from '../helpers/paths.js';
import { type PostgresCluster, startPostgres } from '../helpers/postgres.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = 'audit-pg-token-0123456789abcdef';
const SESSIONS = 8;
const ROUNDS = 2;
const PER_SESSION = ROUNDS * 6;
const tmp = tempDir('mcp-proxy-audit-pg-');
let cluster: PostgresCluster | undefined;
let reason = '';

beforeAll(async () => {
  const r = await startPostgres();
  cluster = r.cluster;
  if (!cluster) {
    reason = r.reason ?? 'unknown';
    console.warn(`\n!!! PostgreSQL audit tests SKIPPED: ${reason}\n`);
  }
}, 120_000);

afterAll(() => {
  cluster?.destroy();
  tmp.cleanup();
});

async function rows(sql: string): Promise<any[]> {
  const c = new pg.Client(cluster!.url);
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

async function count(): Promise<number> {
  try {
    return Number((await rows('SELECT count(*) AS n FROM mcp_proxy_audit'))[0].n);
  } catch {
    return -1;
  }
}

describe('audit log in PostgreSQL', () => {
  test('one row per call under 8 concurrent sessions, also while PostgreSQL restarts', async (ctx) => {
    if (!cluster) return ctx.skip(`PostgreSQL could not be started: ${reason}`);
    ensureBuilt();
    const cfg = writeConfig(tmp.dir, {
      mcpServers: { echo: { command: process.execPath, args: [ECHO] } },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${VAR} reference
      proxy: { audit: { postgres: { url: '${AUDIT_DB_URL}', spool: 'spool/audit.spool' } } },
    });
    const env = { PATH: process.env.PATH ?? '', HOME: tmp.dir, MCP_PROXY_TOKEN: TOKEN, AUDIT_DB_URL: cluster.url };
    const proxy = await startHttpProxy(['--config', cfg, '--no-watch'], { env });
    const spool = path.join(tmp.dir, 'spool', 'audit.spool');
    try {
      // 1. The database is up: the table is created and the rows arrive.
      await runSessions(proxy.url, TOKEN, { sessions: SESSIONS, rounds: ROUNDS });
      await waitFor(async () => (await count()) === SESSIONS * PER_SESSION, 'the first phase in the database');

      // 2. The database is down for a whole phase: the proxy keeps serving, records go to the spool.
      await cluster.stop();
      await runSessions(proxy.url, TOKEN, { sessions: SESSIONS, rounds: ROUNDS });
      await waitFor(() => fs.existsSync(spool) && fs.statSync(spool).size > 0, 'records buffered on disk');

      // 3. It comes back while the next phase runs: the spool is replayed, the new records follow.
      await Promise.all([cluster.start(), runSessions(proxy.url, TOKEN, { sessions: SESSIONS, rounds: ROUNDS })]);
      await waitFor(() => !fs.existsSync(spool), 'the spool replayed', 60_000);
    } finally {
      await proxy.stop();
    }
    expect(proxy.stderr()).toContain('buffering records on disk');
    const all = await rows('SELECT id, session, method, outcome FROM mcp_proxy_audit');
    expect(all.length).toBe(3 * SESSIONS * PER_SESSION);
    expect(new Set(all.map((r) => r.id)).size).toBe(all.length);
    const perSession = new Map<string, number>();
    for (const r of all) perSession.set(r.session, (perSession.get(r.session) ?? 0) + 1);
    expect(perSession.size).toBe(3 * SESSIONS);
    for (const n of perSession.values()) expect(n).toBe(PER_SESSION);

    // The same store through the CLI.
    const q = runBundle(['audit', 'query', '--config', cfg, '--tool', 'echo__fail', '--json'], { env, cwd: tmp.dir });
    expect(q.stderr).toBe('');
    expect(q.stdout.trim().split('\n')).toHaveLength(3 * SESSIONS * ROUNDS);
  }, 180_000);

  test('a batch stored twice (a lost acknowledgement, then the replay) is one row per record', async (ctx) => {
    if (!cluster) return ctx.skip(`PostgreSQL could not be started: ${reason}`);
    const ids = recordIds();
    const batch: AuditRecord[] = Array.from({ length: 5 }, (_, i) => ({
      id: ids(),
      time: new Date().toISOString(),
      identity: 'dup-test',
      kind: 'key',
      method: 'tools/call',
      server: 's',
      name: `t${i}`,
      outcome: 'ok',
      durationMs: 1,
      argBytes: 0,
      arguments: { n: i },
    }));
    const sink = new PostgresSink({ url: cluster.url, spoolFile: path.join(tmp.dir, 'dup.spool'), flushMs: 1 });
    for (const r of [...batch, ...batch]) sink.write(r);
    await sink.flush();
    for (const r of batch) sink.write(r);
    await sink.close();
    const got = await rows("SELECT name, arguments FROM mcp_proxy_audit WHERE identity = 'dup-test' ORDER BY name");
    expect(got.map((r) => r.name)).toEqual(['t0', 't1', 't2', 't3', 't4']);
    expect(got[2].arguments).toEqual({ n: 2 });
  });
});
