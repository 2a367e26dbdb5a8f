/**
 * `run` over stdio starts its stdio servers as soon as the config is read, before the rest of the proxy
 * loads, and those processes are the ones that serve. Nothing started early outlives the proxy: not
 * when the client leaves during start-up, not on a signal that arrives before the lifecycle exists.
 * Over HTTP nothing starts before the port is bound.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { isAlive } from '../../../src/upstream/processTree.js';
import { ensureBuilt } from '../../helpers/build.js';
import { tmpDir, writeConfig } from '../../helpers/files.js';
import { BUNDLE, ECHO, FIXTURES, NODE } from '../../helpers/paths.js';
import { until, waitFor } from '../../helpers/wait.js';

const COUNTED = path.join(FIXTURES, 'counted-server.mjs');
const HANGING = path.join(FIXTURES, 'hanging-server.mjs');
/** The CLI without the launcher (so without its pre-read). */
const CORE = path.join(path.dirname(BUNDLE), 'mcp-proxy-core.cjs');
const pids = (log: string) => readFileSync(log, 'utf8').split('\n').filter(Boolean).map(Number);

interface Proxy {
  child: ChildProcess;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: Proxy[] = [];
afterEach(() => {
  for (const p of started.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
});

function runProxy(config: unknown, extraArgs: string[] = [], cacheDir = 'off'): Proxy {
  ensureBuilt();
  const dir = tmpDir('mcp-proxy-early-');
  const file = writeConfig(dir, config);
  const child = spawn(NODE, [BUNDLE, 'run', '--config', file, '--no-watch', '--log-level', 'info', ...extraArgs], {
    env: { PATH: process.env.PATH ?? '', HOME: dir, MCP_PROXY_CACHE_DIR: cacheDir, MCP_PROXY_TRACE_STARTUP: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const p = { child, stderr: () => err, exited };
  started.push(p);
  return p;
}

/** Servers that keep running when their stdin closes: only signals stop them. */
function hanging(log: string) {
  return { command: NODE, args: [HANGING], env: { HANG_START_LOG: log, HANG_IGNORE_EOF: '1' } };
}

function startLog(): string {
  const log = path.join(tmpDir(), 'starts');
  writeFileSync(log, '');
  return log;
}

const rpc = (msg: object) => `${JSON.stringify({ jsonrpc: '2.0', ...msg })}\n`;

describe('run starts its stdio servers early', () => {
  test('before the composition root loads, and the processes started then are the ones that serve', async () => {
    const log = startLog();
    const p = runProxy({
      mcpServers: { a: { command: NODE, args: [COUNTED], env: { START_LOG: log, COUNTED_TARGET: ECHO } } },
    });
    let out = '';
    p.child.stdout!.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    const init = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } };
    p.child.stdin!.write(rpc({ id: 0, method: 'initialize', params: init }));
    p.child.stdin!.write(rpc({ method: 'notifications/initialized' }));
    p.child.stdin!.write(rpc({ id: 1, method: 'tools/call', params: { name: 'a__echo', arguments: { text: 'hi' } } }));
    await waitFor(() => out.includes('"id":1'), 'the tools/call answer');
    expect(out).toContain('"text":"hi"');
    p.child.stdin!.end();
    expect((await p.exited).code).toBe(0);
    const err = p.stderr();
    const early = err.indexOf('run: 1 stdio servers started early');
    expect(early).toBeGreaterThan(0);
    expect(early).toBeLessThan(err.indexOf('run: composition root loaded'));
    // Started by the launcher's pre-read of the config, before the core was even read.
    const pre = err.indexOf('pre-read: 1 stdio servers started');
    expect(pre).toBeGreaterThan(0);
    expect(pre).toBeLessThan(err.search(/core (read|decompressed)/));
    expect(pids(log)).toHaveLength(1);
  });

  test('a config that fails validation stops what the pre-read started; exit code and message as without it', async () => {
    const log = startLog();
    const server = {
      command: NODE,
      args: [
        '-e',
        'require("fs").appendFileSync(process.argv[1], process.pid + "\\n"); setInterval(() => {}, 1e9)',
        log,
      ],
    };
    const config = { mcpServers: { s: server }, proxy: { noSuchSetting: true } };
    const p = runProxy(config);
    const { code } = await p.exited;
    expect(p.stderr()).toContain('pre-read: 1 stdio servers started');
    expect(pids(log)).toHaveLength(1);
    expect(isAlive(pids(log)[0])).toBe(false);
    // The core alone (no launcher, so no pre-read) reports the same.
    const dir = tmpDir();
    const plain = spawnSync(
      NODE,
      [CORE, 'run', '--config', writeConfig(dir, config), '--no-watch', '--log-level', 'info'],
      {
        env: { PATH: process.env.PATH ?? '', HOME: dir, MCP_PROXY_CACHE_DIR: 'off' },
        encoding: 'utf8',
      },
    );
    expect(code).toBe(plain.status);
    expect(code).toBe(2);
    const message = (err: string) =>
      err
        .split('\n')
        .filter((l) => !l.startsWith('mcp-proxy start-up:'))
        .join('\n')
        .replaceAll(/\/[^\s:]*mcp-proxy\.json/g, 'FILE');
    expect(message(p.stderr())).toBe(message(plain.stderr));
    expect(message(plain.stderr)).toMatch(/noSuchSetting/);
    expect(pids(log)).toHaveLength(1);
  });

  test('a client that leaves during start-up: the servers started early are stopped too', async () => {
    const log = startLog();
    const p = runProxy({ mcpServers: { h1: hanging(log), h2: hanging(log) } });
    await waitFor(() => pids(log).length === 2, 'both servers started');
    p.child.stdin!.end();
    expect((await p.exited).code).toBe(0);
    expect(await until(() => pids(log).every((pid) => !isAlive(pid)), 5000)).toBe(true);
  });

  test('a signal before the lifecycle exists is held, then shuts down cleanly, servers and all', async () => {
    const log = startLog();
    const p = runProxy({ mcpServers: { h1: hanging(log), h2: hanging(log) } });
    await waitFor(() => p.stderr().includes('stdio servers started early'), 'the early start');
    p.child.kill('SIGTERM');
    expect(await p.exited).toEqual({ code: 0, signal: null });
    expect(p.stderr()).toMatch(/SIGTERM: shutting down/);
    expect(await until(() => pids(log).every((pid) => !isAlive(pid)), 5000)).toBe(true);
  });

  test('without a cached catalog every server starts early; with one for each, one per idle core', async () => {
    const log = startLog();
    // More servers than idle cores, whatever the machine.
    const count = os.availableParallelism() + 1;
    const mcpServers = Object.fromEntries(
      Array.from({ length: count }, (_, i) => [
        `s${i}`,
        { command: NODE, args: [COUNTED, `s${i}`], env: { START_LOG: log, COUNTED_TARGET: ECHO } },
      ]),
    );
    const cache = path.join(tmpDir(), 'catalogs');
    const cold = runProxy({ mcpServers }, [], cache);
    await waitFor(() => cold.stderr().includes('run: composition root loaded'), 'the composition root');
    // The launcher's pre-read starts no more than the idle cores take: the initialize answer comes before the rest.
    const idleCores = Math.max(1, os.availableParallelism() - 1);
    expect(cold.stderr()).toContain(`pre-read: ${idleCores} stdio servers started`);
    expect(cold.stderr()).toContain(`run: ${count} stdio servers started early`);
    // Catalog files only: not a write in progress, nor the servers' Node compile cache beside them.
    const catalogs = () => readdirSync(cache).filter((f) => f.endsWith('.json') && !f.startsWith('.'));
    await waitFor(() => catalogs().length === count, 'every catalog cached');
    cold.child.stdin!.end();
    expect((await cold.exited).code).toBe(0);

    const warm = runProxy({ mcpServers }, [], cache);
    await waitFor(() => warm.stderr().includes('run: composition root loaded'), 'the composition root');
    expect(warm.stderr()).toContain(`pre-read: ${idleCores} stdio servers started`);
    expect(warm.stderr()).toContain(`run: ${idleCores} stdio servers started early`);
    warm.child.stdin!.end();
    expect((await warm.exited).code).toBe(0);
    expect(await until(() => pids(log).every((pid) => !isAlive(pid)), 5000)).toBe(true);
  });

  test('a signal while the core loads, right after the pre-read started servers, is held too', async () => {
    const log = startLog();
    const p = runProxy({ mcpServers: { h1: hanging(log) } });
    await waitFor(() => p.stderr().includes('pre-read: 1 stdio servers started'), 'the pre-read');
    p.child.kill('SIGTERM');
    expect(await p.exited).toEqual({ code: 0, signal: null });
    expect(p.stderr()).toMatch(/SIGTERM: shutting down/);
    expect(await until(() => pids(log).length === 1 && pids(log).every((pid) => !isAlive(pid)), 5000)).toBe(true);
  });

  test('over HTTP nothing starts before the port is bound', async () => {
    const log = startLog();
    const p = runProxy({ mcpServers: { h: hanging(log) } }, ['--transport', 'http', '--port', '0']);
    await waitFor(() => p.stderr().includes('[h] hanging-server: starting'), 'the server started');
    const err = p.stderr();
    expect(err).not.toContain('started early');
    expect(err.indexOf('listening on')).toBeGreaterThan(0);
    expect(err.indexOf('listening on')).toBeLessThan(err.indexOf('[h] hanging-server: starting'));
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
    expect(await until(() => pids(log).every((pid) => !isAlive(pid)), 5000)).toBe(true);
  });
});
