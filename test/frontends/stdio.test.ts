/**
 * The built proxy over stdio answers a client's initialize while the rest of it still loads, and the
 * stdio frontend takes over from there: a client that sends everything at once gets every answer, in
 * order, exactly once; the early answer is the one the session's Server gives when initialize comes
 * after the frontend is up; SDK clients of both eras are served (a 2026-07-28 one by the usual path);
 * a client that closes stdin right after initialize sees the proxy exit promptly.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, test } from 'vitest';
import { silentLogger } from '../../src/observability/logger.js';
import { CatalogCache } from '../../src/upstream/catalogCache.js';
import { ensureBuilt } from '../helpers/build.js';
import { tmpDir, writeConfig } from '../helpers/files.js';
import { BUNDLE, ECHO, FIXTURES, NODE } from '../helpers/paths.js';
import { type ClientKind, connectProxy, text } from '../helpers/proxy.js';
import { waitFor } from '../helpers/wait.js';

const EARLY = 'initialize answered early';
const HANGING = `${FIXTURES}/hanging-server.mjs`;
const rpc = (msg: object) => `${JSON.stringify({ jsonrpc: '2.0', ...msg })}\n`;
const INIT_PARAMS = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } };

interface Proxy {
  child: ChildProcess;
  stderr(): string;
  /** Every line written to stdout so far, parsed (a line that is not JSON fails the test). */
  messages(): Record<string, any>[];
  exited: Promise<number | null>;
}

const started: ChildProcess[] = [];
afterEach(() => {
  for (const c of started.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

function runProxy(config: unknown, cacheDir = 'off', extraArgs: string[] = []): Proxy {
  ensureBuilt();
  const dir = tmpDir('mcp-proxy-stdio-');
  const file = writeConfig(dir, config);
  const args = [BUNDLE, 'run', '--config', file, '--no-watch', '--log-level', 'info', ...extraArgs];
  const child = spawn(NODE, args, {
    env: { PATH: process.env.PATH ?? '', HOME: dir, MCP_PROXY_CACHE_DIR: cacheDir, MCP_PROXY_TRACE_STARTUP: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  started.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString('utf8');
  });
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const messages = () =>
    out
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  return { child, stderr: () => err, messages, exited };
}

const answersTo = (p: Proxy, id: number) => p.messages().filter((m) => m.id === id);

describe('stdio: initialize answered while the proxy loads', () => {
  test('everything sent at once: every answer, in order, exactly once', async () => {
    const p = runProxy({ mcpServers: { a: { command: NODE, args: [ECHO] } } });
    p.child.stdin!.write(
      rpc({ id: 0, method: 'initialize', params: INIT_PARAMS }) +
        rpc({ method: 'notifications/initialized' }) +
        rpc({ id: 1, method: 'tools/list' }) +
        rpc({ id: 2, method: 'tools/call', params: { name: 'a__echo', arguments: { text: 'hi' } } }),
    );
    await waitFor(() => answersTo(p, 2).length, 'the tools/call answer');
    p.child.stdin!.end();
    expect(await p.exited).toBe(0);
    const answers = p.messages().filter((m) => m.id !== undefined);
    expect(answers.map((m) => m.id)).toEqual([0, 1, 2]);
    expect(answers[0].result.serverInfo.name).toBe('mcp-proxy-server');
    expect(answers[1].result.tools.map((t: { name: string }) => t.name)).toContain('a__echo');
    expect(answers[2].result.content).toEqual([{ type: 'text', text: 'hi' }]);
    const err = p.stderr();
    expect(err.indexOf(EARLY)).toBeGreaterThan(0);
    expect(err.indexOf(EARLY)).toBeLessThan(err.indexOf('run: composition root loaded'));
  });

  test('the early answer is what the session Server answers once the frontend is up', async () => {
    const cacheDir = tmpDir('mcp-proxy-stdio-cache-');
    const servers = {
      a: { command: NODE, args: [HANGING] },
      b: { command: NODE, args: [HANGING], description: 'Files.' },
      off: { command: NODE, args: [HANGING], disabled: true },
    };
    const cache = new CatalogCache(cacheDir, silentLogger());
    const entry = {
      catalog: { tools: [], prompts: [], resources: [], resourceTemplates: [] },
      instructions: 'Cached instructions.',
    };
    for (const name of ['a', 'b'] as const) cache.write(name, { type: 'stdio', ...servers[name] }, entry);
    const config = { proxy: { name: 'named-proxy' }, mcpServers: servers };
    const results: Record<string, unknown>[] = [];
    for (const late of [false, true]) {
      const p = runProxy(config, cacheDir);
      if (late) await waitFor(() => p.stderr().includes('run: stdio frontend serving'), 'the frontend');
      p.child.stdin!.write(
        rpc({ id: 0, method: 'initialize', params: { ...INIT_PARAMS, protocolVersion: '2025-06-18' } }),
      );
      await waitFor(() => answersTo(p, 0).length, 'the initialize answer');
      // The trace line comes on stderr, another pipe than the answer: it may arrive after it.
      if (late) expect(p.stderr()).not.toContain(EARLY);
      else await waitFor(() => p.stderr().includes(EARLY), 'the early-answer trace line');
      p.child.stdin!.end();
      expect(await p.exited).toBe(0);
      expect(answersTo(p, 0)).toHaveLength(1);
      results.push(answersTo(p, 0)[0].result);
    }
    expect(results[0]).toMatchObject({
      protocolVersion: '2025-06-18',
      instructions: expect.stringContaining('## b\nFiles.'),
    });
    expect(results[0]).toEqual(results[1]);
  });

  test.each<ClientKind>(['v1', 'v2-2025', 'v2-2026'])('an SDK client (%s) is served', async (kind) => {
    const dir = tmpDir('mcp-proxy-stdio-');
    const file = writeConfig(dir, { mcpServers: { a: { command: NODE, args: [ECHO] } } });
    const s = await connectProxy(kind, file, { env: { MCP_PROXY_TRACE_STARTUP: '1' } });
    try {
      const tools = await s.client.listTools();
      expect(tools.tools.map((t: { name: string }) => t.name)).toContain('a__echo');
      const r = await s.client.callTool({ name: 'a__echo', arguments: { text: 'x' } });
      expect(text(r)).toBe('x');
      // A 2026-07-28 client opens without initialize: the usual path serves it.
      await waitFor(() => s.stderr().includes('stdio: first message, session server created'), 'the session');
      expect(s.stderr().includes(EARLY)).toBe(kind !== 'v2-2026');
    } finally {
      await s.close();
    }
  });

  test('stdin closed right after initialize: answered once, and the proxy exits promptly', async () => {
    const p = runProxy({ mcpServers: { h: { command: NODE, args: [HANGING] } } });
    p.child.stdin!.end(rpc({ id: 0, method: 'initialize', params: INIT_PARAMS }));
    expect(await Promise.race([p.exited, new Promise((r) => setTimeout(() => r('still running'), 10_000))])).toBe(0);
    expect(answersTo(p, 0)).toHaveLength(1);
    expect(p.messages()).toHaveLength(1);
  });

  test('requests written with stdin closed at once are all answered (a server still starting included), then it exits', async () => {
    const log = `${tmpDir()}/starts`;
    const slow = { command: NODE, args: [`${FIXTURES}/counted-server.mjs`] };
    const env = { START_LOG: log, COUNTED_TARGET: ECHO, START_DELAY_MS: '700' };
    const p = runProxy({ mcpServers: { a: { ...slow, env } } });
    p.child.stdin!.end(
      rpc({ id: 0, method: 'initialize', params: INIT_PARAMS }) +
        rpc({ method: 'notifications/initialized' }) +
        rpc({ id: 1, method: 'tools/call', params: { name: 'a__echo', arguments: { text: 'late' } } }),
    );
    expect(await Promise.race([p.exited, new Promise((r) => setTimeout(() => r('still running'), 15_000))])).toBe(0);
    expect(answersTo(p, 0)).toHaveLength(1);
    const [call] = answersTo(p, 1);
    expect(call?.result?.content?.[0]?.text).toBe('late');
  });

  test('an unknown --profile: the usage error, and no answer first', async () => {
    const p = runProxy({ mcpServers: { a: { command: NODE, args: [ECHO] } } }, 'off', ['--profile', 'nope']);
    p.child.stdin!.write(rpc({ id: 0, method: 'initialize', params: INIT_PARAMS }));
    expect(await p.exited).toBe(2);
    expect(p.stderr()).toContain('unknown profile "nope"');
    expect(p.messages()).toEqual([]);
  });
});
