/**
 * Processes started early (before the pool exists) are the ones the pool's connections use: each
 * server still starts once, its stderr reaches the relay from the first byte (also when it died before
 * it was taken), and whatever nobody takes is stopped, group and all.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { UpstreamConfig } from '../../src/config/schema.js';
import { createLogger } from '../../src/observability/logger.js';
import { resolveStdio, type StdioParams } from '../../src/upstream/childProcess.js';
import { UpstreamPool } from '../../src/upstream/pool.js';
import { PrespawnRegistry, prespawnServers } from '../../src/upstream/prespawn.js';
import { isAlive } from '../../src/upstream/processTree.js';
import { treeAlive } from '../../src/upstream/serverTree.js';
import { tmpDir } from '../helpers/files.js';
import { ECHO, FIXTURES, NODE } from '../helpers/paths.js';
import { until } from '../helpers/wait.js';

const COUNTED = path.join(FIXTURES, 'counted-server.mjs');
const starts = (log: string) => readFileSync(log, 'utf8').split('\n').filter(Boolean).map(Number);

function counted(log: string, extra: Partial<UpstreamConfig> = {}): UpstreamConfig {
  return {
    type: 'stdio',
    command: NODE,
    args: [COUNTED],
    env: { START_LOG: log, COUNTED_TARGET: ECHO },
    ...extra,
  } as UpstreamConfig;
}

function startLog(): string {
  const log = path.join(tmpDir(), 'starts');
  writeFileSync(log, '');
  return log;
}

function paramsOf(config: UpstreamConfig): StdioParams {
  const r = resolveStdio(config as Extract<UpstreamConfig, { type: 'stdio' }>, process.env, process.cwd());
  if (!('params' in r)) throw new Error('not found');
  return r.params;
}

let pool: UpstreamPool | undefined;
let registry: PrespawnRegistry | undefined;
afterEach(async () => {
  await pool?.close();
  await registry?.close();
  pool = undefined;
  registry = undefined;
});

function makePool(configs: Record<string, UpstreamConfig>, prespawned: PrespawnRegistry, lines: string[] = []) {
  pool = new UpstreamPool({
    configs,
    logger: createLogger({ level: 'silent', format: 'json' }),
    env: process.env,
    cwd: process.cwd(),
    onStderrLine: (l) => lines.push(l),
    prespawned,
  });
  return pool;
}

describe('processes started early', () => {
  test('the connection takes the process started early: one start, that pid, and it serves', async () => {
    const log = startLog();
    registry = new PrespawnRegistry();
    const configs = { a: counted(log), b: counted(log, { args: [COUNTED, 'b'] }) };
    expect(prespawnServers(registry, configs, process.env, process.cwd())).toBe(2);
    expect(await until(() => starts(log).length === 2)).toBe(true);
    const early = starts(log);
    const p = makePool(configs, registry);
    await p.start();
    expect(registry.pending()).toEqual([]);
    for (const name of ['a', 'b']) {
      const conn = p.get(name)!;
      expect(conn.state).toBe('ready');
      const r = await conn.call((c) => c.callTool({ name: 'echo', arguments: { text: name } }));
      expect((r as any).content[0].text).toBe(name);
    }
    // No more starts than servers, and exactly the processes started early.
    expect(starts(log).sort()).toEqual(early.sort());
  });

  test('a process that died before it was taken is reported with its own stderr, relayed from the first byte', async () => {
    registry = new PrespawnRegistry();
    const config = {
      type: 'stdio',
      command: NODE,
      args: ['-e', 'process.stderr.write("early words: API_KEY is not set\\n"); process.exit(3)'],
    } as UpstreamConfig;
    prespawnServers(registry, { dead: config }, process.env, process.cwd());
    const [held] = registry.pending();
    expect(await until(() => held.hasExited)).toBe(true);
    const lines: string[] = [];
    const p = makePool({ dead: config }, registry, lines);
    await p.start();
    expect(lines).toContain('[dead] early words: API_KEY is not set');
    expect(p.get('dead')!.lastError).toMatch(/exited with code 3.*API_KEY is not set/);
  });

  test('a process with other parameters is not taken; the unused one is stopped after the first round', async () => {
    const log = startLog();
    registry = new PrespawnRegistry();
    prespawnServers(
      registry,
      { a: counted(log, { env: { START_LOG: log, COUNTED_TARGET: ECHO, V: '1' } }) },
      process.env,
      process.cwd(),
    );
    expect(await until(() => starts(log).length === 1)).toBe(true);
    const [stale] = starts(log);
    const p = makePool({ a: counted(log) }, registry);
    await p.start();
    expect(p.get('a')!.state).toBe('ready');
    expect(starts(log)).toHaveLength(2);
    expect(await until(() => !isAlive(stale) && !treeAlive(stale), 5000)).toBe(true);
  });

  test('close() stops every process nobody took, its whole tree included', async () => {
    registry = new PrespawnRegistry();
    // A shell with a child of its own that ignores stdin closing: only signals stop it.
    const config = {
      type: 'stdio',
      command: 'sh',
      args: ['-c', `"${NODE}" -e "process.on('SIGPIPE',()=>{});setInterval(()=>{},1e9)"; true`],
    } as UpstreamConfig;
    prespawnServers(registry, { s: config }, process.env, process.cwd());
    const [held] = registry.pending();
    expect(await until(() => held.child.pid !== undefined && treeAlive(held.child.pid))).toBe(true);
    const pid = held.child.pid as number;
    await registry.close();
    expect(treeAlive(pid)).toBe(false);
    expect(registry.pending()).toEqual([]);
    // A closed registry starts nothing more.
    prespawnServers(registry, { s: config }, process.env, process.cwd());
    expect(registry.pending()).toEqual([]);
  });

  test('only stdio servers that start with the proxy are started early', () => {
    registry = new PrespawnRegistry();
    const log = startLog();
    const servers = {
      plain: counted(log),
      lazy: counted(log, { lazy: true }),
      off: counted(log, { disabled: true }),
      missing: { type: 'stdio', command: 'no-such-command-xyz' } as UpstreamConfig,
      remote: { type: 'http', url: 'http://127.0.0.1:9/mcp' } as UpstreamConfig,
    };
    expect(prespawnServers(registry, servers, process.env, process.cwd())).toBe(1);
    expect(registry.pending().map((h) => h.params)).toEqual([paramsOf(servers.plain)]);
  });

  test('no more than the limit start early, the first ones in config order', () => {
    registry = new PrespawnRegistry();
    const log = startLog();
    const servers = {
      a: counted(log, { lazy: true }),
      b: counted(log, { args: [COUNTED, 'b'] }),
      c: counted(log, { args: [COUNTED, 'c'] }),
      d: counted(log, { args: [COUNTED, 'd'] }),
    };
    expect(prespawnServers(registry, servers, process.env, process.cwd(), 2)).toBe(2);
    expect(registry.pending().map((h) => h.params.args?.[1])).toEqual(['b', 'c']);
  });

  test('those the caller picks start early beyond the limit; the limit still bounds the others', () => {
    registry = new PrespawnRegistry();
    const log = startLog();
    const servers = {
      a: counted(log, { args: [COUNTED, 'a'] }),
      b: counted(log, { args: [COUNTED, 'b'] }),
      c: counted(log, { args: [COUNTED, 'c'] }),
      d: counted(log, { args: [COUNTED, 'd'] }),
      e: counted(log, { args: [COUNTED, 'e'], lazy: true }),
    };
    const picked = new Set(['c', 'd', 'e']);
    expect(prespawnServers(registry, servers, process.env, process.cwd(), 1, (name) => picked.has(name))).toBe(3);
    expect(registry.pending().map((h) => h.params.args?.[1])).toEqual(['a', 'c', 'd']);
  });
});
