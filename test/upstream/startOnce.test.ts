/**
 * Each upstream process starts exactly once, for every `protocol` setting, in `run`'s pool, in `run`
 * itself (where it is started early, before the pool exists) and in `status`: `auto` speaks 2025-11-25 first, on the one process, and the SDK's throwaway probe process
 * is never used. Only a server that refuses `initialize` (2026-07-28 only) is started a second time,
 * for the 2026 handshake, and then probed in place.
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, test } from 'vitest';
import type { UpstreamConfig } from '../../src/config/schema.js';
import { createLogger } from '../../src/observability/logger.js';
import { UpstreamPool } from '../../src/upstream/pool.js';
import { BUNDLE, ECHO, FIXTURES, tmpDir, waitFor, writeConfig } from '../helpers/proxy.js';

const COUNTED = path.join(FIXTURES, 'counted-server.mjs');
const STRICT = path.join(FIXTURES, 'strict-server.mjs');
const MODERN_ONLY = path.join(FIXTURES, 'modern-only-server.mjs');
const MEMORY = path.join(path.dirname(BUNDLE), '../node_modules/@modelcontextprotocol/server-memory/dist/index.js');
const run = promisify(execFile);

function counted(target: string, log: string, protocol?: string): UpstreamConfig {
  return {
    type: 'stdio',
    command: process.execPath,
    args: [COUNTED],
    env: { START_LOG: log, COUNTED_TARGET: target },
    ...(protocol ? { protocol } : {}),
  } as UpstreamConfig;
}

const starts = (log: string) => readFileSync(log, 'utf8').split('\n').filter(Boolean).length;

let pool: UpstreamPool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

async function startPool(config: UpstreamConfig) {
  pool = new UpstreamPool({
    configs: { s: config },
    logger: createLogger({ level: 'silent', format: 'json' }),
    env: process.env,
    cwd: process.cwd(),
    onStderrLine: () => {},
  });
  await pool.start();
  return pool.get('s')!;
}

describe('each upstream starts once', () => {
  const cases: [string, string, string | undefined, string][] = [
    ['a both-era SDK v2 server, protocol auto', ECHO, undefined, '2025-11-25'],
    ['a server that exits on any request before initialize, protocol auto', STRICT, undefined, '2025-11-25'],
    ['a both-era SDK v2 server, protocol 2025-11-25', ECHO, '2025-11-25', '2025-11-25'],
    ['a both-era SDK v2 server, protocol 2026-07-28', ECHO, '2026-07-28', '2026-07-28'],
    ['an SDK v1 server (2025 only), protocol auto', MEMORY, undefined, '2025-11-25'],
  ];
  test.each(cases)('%s', async (_name, target, protocol, era) => {
    const log = path.join(tmpDir(), 'starts');
    writeFileSync(log, '');
    const conn = await startPool(counted(target, log, protocol));
    expect(conn.state).toBe('ready');
    expect(conn.status().protocolVersion).toBe(era);
    expect(starts(log)).toBe(1);
  });

  test('a server that refuses initialize is started once more, for 2026-07-28, and works', async () => {
    const log = path.join(tmpDir(), 'starts');
    writeFileSync(log, '');
    const conn = await startPool(counted(MODERN_ONLY, log));
    expect(conn.lastError).toBeUndefined();
    expect(conn.state).toBe('ready');
    expect(conn.status().protocolVersion).toBe('2026-07-28');
    expect(starts(log)).toBe(2);
    const r = await conn.call((c) => c.callTool({ name: 'era', arguments: {} }));
    expect((r as any).content[0].text).toBe('modern');
  });

  test('`run` over stdio starts each server once: the process started early is the one that serves', async () => {
    const dir = tmpDir();
    const log = path.join(dir, 'starts');
    writeFileSync(log, '');
    const cfg = writeConfig(dir, { mcpServers: { a: counted(ECHO, log), b: counted(MEMORY, log) } });
    const line = (m: object) => `${JSON.stringify({ jsonrpc: '2.0', ...m })}\n`;
    const init = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } };
    const child = spawn(process.execPath, [BUNDLE, 'run', '--config', cfg, '--no-watch'], {
      env: { PATH: process.env.PATH ?? '', HOME: dir, MCP_PROXY_CACHE_DIR: 'off', MCP_PROXY_TRACE_STARTUP: '1' },
    });
    const r = { stdout: '', stderr: '' };
    child.stdout.on('data', (c: Buffer) => (r.stdout += c));
    child.stderr.on('data', (c: Buffer) => (r.stderr += c));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.stdin.write(line({ id: 0, method: 'initialize', params: init }));
    child.stdin.write(line({ method: 'notifications/initialized' }));
    child.stdin.write(line({ id: 1, method: 'tools/call', params: { name: 'a__echo', arguments: { text: 'x' } } }));
    child.stdin.write(line({ id: 2, method: 'tools/call', params: { name: 'b__read_graph', arguments: {} } }));
    const answers = () =>
      r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
    await waitFor(() => answers().filter((a) => a.id === 1 || a.id === 2).length === 2, 'both answers');
    child.stdin.end();
    expect(await exited).toBe(0);
    expect(
      answers()
        .filter((a) => a.id > 0)
        .map((a) => (a.result ? Boolean(a.result.isError) : a.error)),
    ).toEqual([false, false]);
    // How many start early depends on the cores; the others are started by the pool, once too.
    expect(r.stderr).toMatch(/run: [12] stdio servers started early/);
    expect(starts(log)).toBe(2);
  });

  test('`status --config` starts each server once', async () => {
    const dir = tmpDir();
    const log = path.join(dir, 'starts');
    writeFileSync(log, '');
    const cfg = writeConfig(dir, { mcpServers: { a: counted(ECHO, log), b: counted(MEMORY, log) } });
    const { stdout } = await run(process.execPath, [BUNDLE, 'status', '--config', cfg, '--json'], {
      env: { PATH: process.env.PATH ?? '', HOME: dir },
    });
    expect(JSON.parse(stdout).upstreams.map((u: { state: string }) => u.state)).toEqual(['ready', 'ready']);
    expect(starts(log)).toBe(2);
  });
});
