/**
 * `"lazy": true` through the built proxy, with starts counted: a lazy server with a cached catalog is
 * listed but not started until its first use; without a cache entry it is started once to learn its
 * catalog; `idleTimeout` stops it again, and the next call starts it again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive } from '../../../src/upstream/processTree.js';
import { tmpDir } from '../../helpers/files.js';
import { type RunningProxy, startProxy, stopAll } from '../../helpers/harness.js';
import { ECHO, FIXTURES, NODE } from '../../helpers/paths.js';
import { waitFor } from '../../helpers/wait.js';

afterEach(stopAll);

const COUNTED = path.join(FIXTURES, 'counted-server.mjs');

function counted(log: string, extra: Record<string, unknown> = {}) {
  return { command: NODE, args: [COUNTED], env: { START_LOG: log, COUNTED_TARGET: ECHO }, ...extra };
}

const pids = (log: string) => fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).map(Number);
const toolNames = async (p: RunningProxy) => (await p.client.listTools()).tools.map((t) => t.name).sort();

function setup() {
  const dir = tmpDir('mcp-proxy-lazy-test-');
  const lazyLog = path.join(dir, 'lazy-starts');
  const eagerLog = path.join(dir, 'eager-starts');
  fs.writeFileSync(lazyLog, '');
  fs.writeFileSync(eagerLog, '');
  return { cacheDir: path.join(dir, 'cache'), lazyLog, eagerLog };
}

function run(cacheDir: string, servers: Record<string, unknown>): Promise<RunningProxy> {
  return startProxy({ config: { mcpServers: servers }, env: { MCP_PROXY_CACHE_DIR: cacheDir } });
}

describe('lazy servers', () => {
  it('without a cache entry it is started once to learn its catalog; with one, only on its first call', async () => {
    const s = setup();
    const servers = { lazy: counted(s.lazyLog, { lazy: true }), eager: counted(s.eagerLog) };
    const first = await run(s.cacheDir, servers);
    expect(pids(s.lazyLog)).toHaveLength(1);
    expect(await toolNames(first)).toContain('lazy__echo');
    await first.stop();

    // The first round is over (the eager server is ready): a lazy one would have been started by now.
    const p = await run(s.cacheDir, servers);
    expect(p.stderr()).toMatch(/1\/2 upstreams ready \(1 lazy, not started yet\)/);
    expect(pids(s.eagerLog)).toHaveLength(2);
    expect(pids(s.lazyLog)).toHaveLength(1);
    expect(await toolNames(p)).toEqual(expect.arrayContaining(['eager__echo', 'lazy__echo', 'lazy__add']));
    expect((await p.client.listResources()).resources.map((r) => r.uri)).toContain('lazy+echo://readme');
    expect(await p.callTool('eager__echo', { text: 'x' })).toMatchObject({ ok: true });
    expect(pids(s.lazyLog)).toHaveLength(1);

    // A read is a first use too.
    const read = await p.client.readResource({ uri: 'lazy+echo://readme' });
    expect((read.contents[0] as { text: string }).text).toBe('readme of echo');
    expect(pids(s.lazyLog)).toHaveLength(2);
    expect(await p.callTool('lazy__add', { a: 2, b: 3 })).toMatchObject({ ok: true, text: '5' });
    expect(pids(s.lazyLog)).toHaveLength(2);
    expect((await p.stop()).leftovers).toEqual([]);
  });

  it('idleTimeout stops it after that long without requests; the next call starts it again', async () => {
    const s = setup();
    const servers = { lazy: counted(s.lazyLog, { lazy: true, idleTimeout: 1000 }) };
    const p = await run(s.cacheDir, servers);
    // No cache entry: started to learn its catalog, then stopped once idle.
    await p.waitForStderr(/lazy server idle: stopped/);
    const [learned] = pids(s.lazyLog);
    await waitFor(() => !isAlive(learned), 'the learning start to end');
    let changes = 0;
    p.client.setNotificationHandler('notifications/tools/list_changed', () => {
      changes++;
    });
    expect(await toolNames(p)).toContain('lazy__echo');

    expect(await p.callTool('lazy__echo', { text: 'up' })).toMatchObject({ ok: true, text: 'up' });
    const [, second] = pids(s.lazyLog);
    expect(second).toBeDefined();
    expect(isAlive(second)).toBe(true);
    await waitFor(() => !isAlive(second), 'the idle server to stop');
    expect(await p.callTool('lazy__echo', { text: 'up again' })).toMatchObject({ ok: true, text: 'up again' });
    expect(pids(s.lazyLog)).toHaveLength(3);
    // Stopping and starting a server whose catalog stays the same changes no list.
    expect(changes).toBe(0);
    await p.stop();
  });
});
