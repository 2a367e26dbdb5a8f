/**
 * Over stdio the proxy tells its servers what its one client declared: server-everything, which offers
 * its eliciting, sampling and roots tools only to a client that declared each of those, lists through
 * the proxy exactly what it lists to that client directly. A 2026-07-28 client declares per request,
 * so its servers are told everything the proxy relays.
 */
import { spawn } from 'node:child_process';
import { Client as V2Client } from '@modelcontextprotocol/client';
import { StdioClientTransport as V2Stdio } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build.js';
import { tmpDir, writeConfig } from '../helpers/files.js';
import { BUNDLE, EVERYTHING, NODE } from '../helpers/paths.js';
import { alive, descendantsOf } from '../helpers/processes.js';
import { type ClientKind, connectProxy, type ProxySession } from '../helpers/proxy.js';
import { waitFor } from '../helpers/wait.js';

beforeAll(() => ensureBuilt(), 120_000);

/** The tools server-everything offers only to a client that declared the capability. */
const GATED = ['get-roots-list', 'trigger-elicitation-request', 'trigger-sampling-request'];

const dir = tmpDir('mcp-proxy-client-caps-');
const config = writeConfig(dir, { mcpServers: { everything: { command: NODE, args: [EVERYTHING] } } });

/** server-everything's tool names for a client declaring `capabilities`, asked directly. */
async function directNames(capabilities: Record<string, unknown>): Promise<string[]> {
  const client = new V2Client({ name: 'direct', version: '1' }, { capabilities: capabilities as any });
  await client.connect(new V2Stdio({ command: NODE, args: [EVERYTHING], stderr: 'ignore' }));
  try {
    return (await client.listTools()).tools.map((t) => t.name).sort();
  } finally {
    await client.close();
  }
}

async function proxiedNames(s: ProxySession): Promise<string[]> {
  let names: string[] = [];
  await waitFor(async () => {
    names = (await s.client.listTools()).tools.map((t: any) => t.name);
    return names.some((n) => n.startsWith('everything__'));
  }, 'everything listed');
  return names.map((n) => n.slice('everything__'.length)).sort();
}

const CASES: { kind: ClientKind; capabilities: Record<string, unknown>; offered: string[] }[] = [
  { kind: 'v2-2025', capabilities: {}, offered: [] },
  { kind: 'v2-2025', capabilities: { elicitation: {} }, offered: ['trigger-elicitation-request'] },
  { kind: 'v1', capabilities: { roots: {}, sampling: {} }, offered: ['get-roots-list', 'trigger-sampling-request'] },
];

describe.each(CASES)('a $kind client declaring $capabilities', ({ kind, capabilities, offered }) => {
  let s: ProxySession;
  beforeAll(async () => {
    s = await connectProxy(kind, config, { capabilities });
  }, 60_000);
  afterAll(() => s?.close());

  it('sees through the proxy the tools the server offers it directly', async () => {
    const names = await proxiedNames(s);
    expect(names.filter((n) => GATED.includes(n))).toEqual(offered);
    expect(names).toEqual(await directNames(capabilities));
  }, 60_000);
});

describe('a 2026-07-28 client (capabilities per request)', () => {
  let s: ProxySession;
  beforeAll(async () => {
    s = await connectProxy('v2-2026', config, {});
  }, 60_000);
  afterAll(() => s?.close());

  it('has its servers told everything the proxy relays: every gated tool is listed', async () => {
    const names = await proxiedNames(s);
    expect(names.filter((n) => GATED.includes(n))).toEqual(GATED);
  }, 60_000);
});

describe('a stdio client that says nothing at first', () => {
  it('does not keep the servers waiting: after a second they are told everything the proxy relays', async () => {
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', MCP_PROXY_CACHE_DIR: 'off' };
    const args = [BUNDLE, 'run', '--config', config, '--no-watch', '--log-level', 'info'];
    const proxy = spawn(NODE, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    proxy.stderr.on('data', (d) => {
      stderr += d;
    });
    proxy.stdout.on('data', (d) => {
      stdout += d;
    });
    const spawned = Date.now();
    try {
      await waitFor(() => /\[upstream:everything\] connected/.test(stderr), 'everything connected', 30_000);
      // Its connect time is the handshake's own: the second it waited for the client is not in it.
      const sinceSpawn = Date.now() - spawned;
      const ms = Number(/\[upstream:everything\] connected.*?ms=(\d+)/.exec(stderr)?.[1]);
      expect(ms).toBeLessThan(sinceSpawn - 900);
      const init = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'late', version: '1' } };
      proxy.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: init })}\n`);
      proxy.stdin.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
      proxy.stdin.write('{"jsonrpc":"2.0","id":2,"method":"tools/list"}\n');
      await waitFor(() => stdout.includes('"id":2'), 'tools/list answered');
      const list = stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .find((m) => m.id === 2);
      const names: string[] = list.result.tools.map((t: { name: string }) => t.name.slice('everything__'.length));
      expect(names.filter((n) => GATED.includes(n)).sort()).toEqual(GATED);
    } finally {
      proxy.kill();
    }
  }, 60_000);
});

describe('shutdown while the servers wait for the client', () => {
  // The servers' processes start at once; their handshakes wait for the client's first message.
  it.each(['SIGTERM', 'stdin closed'] as const)(
    '%s before any message: the proxy exits and no server is left',
    async (how) => {
      const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', MCP_PROXY_CACHE_DIR: 'off' };
      const args = [BUNDLE, 'run', '--config', config, '--no-watch'];
      const traced = { ...env, MCP_PROXY_TRACE_STARTUP: '1' };
      const proxy = spawn(NODE, args, { env: traced, stdio: ['pipe', 'pipe', 'pipe'] });
      let stderr = '';
      proxy.stderr.on('data', (d) => {
        stderr += d;
      });
      const exited = new Promise<number | null>((resolve) => proxy.once('exit', (code) => resolve(code)));
      const pid = proxy.pid ?? 0;
      await waitFor(() => descendantsOf(pid).length > 0, 'the server started early');
      const servers = descendantsOf(pid);
      // Serving, and the handshake waiting (for up to a second) for a first message that does not come.
      await waitFor(() => stderr.includes('run: stdio frontend serving'), 'the frontend serving');
      expect(stderr).not.toMatch(/\[upstream:everything\] connected/);
      if (how === 'SIGTERM') proxy.kill('SIGTERM');
      else proxy.stdin.end();
      const started = Date.now();
      await exited;
      expect(Date.now() - started).toBeLessThan(5_000); // the shutdown grace
      await waitFor(() => servers.every((p) => !alive(p)), 'every server process gone', 5_000);
    },
    30_000,
  );
});
