/**
 * The catalog cache through the built proxy: a server's catalog from an earlier run is listed at once
 * while the server starts (hit), a server never seen is waited for at most the startup window (miss),
 * a live catalog that differs from the cached one replaces it with list_changed and only then (stale),
 * an unreadable cache file is a miss with a warning (corrupt), and no secret reaches the cache.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tmpDir } from '../../helpers/files.js';
import { type RunningProxy, startProxy, stopAll } from '../../helpers/harness.js';
import { ECHO, FIXTURES, NODE } from '../../helpers/paths.js';
import { until, waitFor } from '../../helpers/wait.js';

afterEach(stopAll);

const COUNTED = path.join(FIXTURES, 'counted-server.mjs');
const SECRET = 'sk-live-cache-0123456789abcdef';

/** The echo fixture behind the start counter; `env` values (not names) may change between runs. */
function echo(log: string, env: Record<string, string> = {}) {
  return {
    command: NODE,
    args: [COUNTED],
    env: { START_LOG: log, COUNTED_TARGET: ECHO, START_DELAY_MS: '0', FIXTURE_TOOL_COUNT: '0', ...env },
  };
}

interface Setup {
  cacheDir: string;
  log: string;
}

/**
 * The catalog files in the cache folder: not a write in progress (a dot-named temp file) nor the servers'
 * Node compile cache beside them (Node 22.1+ servers make it there).
 */
function catalogFiles(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json') && !f.startsWith('.')) : [];
}

function setup(): Setup {
  const dir = tmpDir('mcp-proxy-cache-test-');
  const log = path.join(dir, 'starts');
  fs.writeFileSync(log, '');
  return { cacheDir: path.join(dir, 'cache'), log };
}

async function run(s: Setup, servers: Record<string, unknown>, startup = 20_000): Promise<RunningProxy> {
  return startProxy({
    config: { mcpServers: servers, proxy: { timeouts: { startup, connect: 20_000 } } },
    env: { MCP_PROXY_CACHE_DIR: s.cacheDir },
    noWaitForUpstreams: true,
  });
}

const toolNames = async (p: RunningProxy) => (await p.client.listTools()).tools.map((t) => t.name).sort();
const starts = (log: string) => fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).length;

/** One run that connects every server and leaves their catalogs in the cache. */
async function warm(s: Setup, servers: Record<string, unknown>): Promise<void> {
  const p = await run(s, servers);
  await p.waitForStderr(/upstreams ready/);
  await p.stop();
}

function countListChanged(p: RunningProxy): () => number {
  let n = 0;
  p.client.setNotificationHandler('notifications/tools/list_changed', () => {
    n++;
  });
  return () => n;
}

describe('catalog cache', () => {
  it('hit: a server that never answers is listed from the cache on the first tools/list', async () => {
    const s = setup();
    await warm(s, { slow: echo(s.log) });
    expect(catalogFiles(s.cacheDir)).toHaveLength(1);
    // Now it hangs at start for longer than the test: only the cache can list its tools, and the
    // startup window (20 s) is not waited for.
    const p = await run(s, { slow: echo(s.log, { START_DELAY_MS: '600000' }) });
    expect(await toolNames(p)).toContain('slow__echo');
    expect(p.stderr()).not.toMatch(/upstreams ready/);
    await p.stop();
  });

  it('hit: a call to a tool known only from the cache waits for its server, then works', async () => {
    const s = setup();
    await warm(s, { slow: echo(s.log) });
    const p = await run(s, { slow: echo(s.log, { START_DELAY_MS: '1500' }) });
    expect(await toolNames(p)).toContain('slow__echo');
    const r = await p.callTool('slow__echo', { text: 'hello' });
    expect(r).toMatchObject({ ok: true, text: 'hello' });
    expect(starts(s.log)).toBe(2);
    await p.stop();
  });

  it('miss: a server not in the cache is waited for at most the startup window; a quick one is listed', async () => {
    const s = setup();
    const p = await run(s, { quick: echo(s.log), hung: echo(s.log, { START_DELAY_MS: '600000' }) }, 1500);
    const names = await toolNames(p);
    expect(names).toContain('quick__echo');
    expect(names.some((n) => n.startsWith('hung__'))).toBe(false);
    // Only the server that connected was cached: written a moment after its prompts and resources were
    // listed too, which the hung one holds back for the startup window.
    await p.waitForStderr(/"server":"quick"|connected/);
    const cached = () => catalogFiles(s.cacheDir).map((f) => f.split('-')[0]);
    expect(await until(() => cached().length > 0, 10_000)).toBe(true);
    expect(cached()).toEqual(['quick']);
    await p.stop();
  });

  it('stale: a changed live catalog replaces the cached one with list_changed; an equal one sends none', async () => {
    const s = setup();
    await warm(s, { s: echo(s.log) });
    const changedRun = await run(s, { s: echo(s.log, { START_DELAY_MS: '1000', FIXTURE_TOOL_COUNT: '2' }) });
    const changes = countListChanged(changedRun);
    expect(await toolNames(changedRun)).not.toContain('s__tool_0');
    // The call waits for the server; its list_changed is written to stdout before the call's answer.
    expect((await changedRun.callTool('s__echo', { text: 'x' })).ok).toBe(true);
    expect(changes()).toBe(1);
    expect(await toolNames(changedRun)).toContain('s__tool_1');
    await changedRun.stop();

    const sameRun = await run(s, { s: echo(s.log, { START_DELAY_MS: '1000', FIXTURE_TOOL_COUNT: '2' }) });
    const none = countListChanged(sameRun);
    expect(await toolNames(sameRun)).toContain('s__tool_1');
    expect((await sameRun.callTool('s__echo', { text: 'x' })).ok).toBe(true);
    await sameRun.waitForStderr(/upstreams ready/);
    await sameRun.client.ping();
    expect(none()).toBe(0);
    await sameRun.stop();
  });

  it('corrupt: an unreadable cache file is a miss with a warning, never a crash, and is rewritten', async () => {
    const s = setup();
    await warm(s, { s: echo(s.log) });
    const [file] = catalogFiles(s.cacheDir);
    fs.writeFileSync(path.join(s.cacheDir, file), '{"format":1,"server":"s","catalog":{"tools":[{"na');
    const p = await run(s, { s: echo(s.log) });
    expect(await toolNames(p)).toContain('s__echo');
    await p.waitForStderr(/catalog cache entry unreadable/);
    await p.waitForStderr(/upstreams ready/);
    // Written a moment after the server connected, while the proxy runs.
    const rewritten = await waitFor(
      () => JSON.parse(fs.readFileSync(path.join(s.cacheDir, file), 'utf8')),
      'the rewrite',
    );
    expect(rewritten.catalog.tools.map((t: { name: string }) => t.name)).toContain('echo');
    await p.stop();
  });

  it('killed (SIGKILL) right after connecting, before the cache write: the next start lists live and writes it', async () => {
    const s = setup();
    const p = await run(s, { s: echo(s.log) });
    await p.waitForStderr(/upstreams ready/);
    // The write waits a second after the connect (knownCatalogs.ts): a kill now loses this run's entry.
    await p.stop('SIGKILL');
    const entries = () => catalogFiles(s.cacheDir);
    const q = await run(s, { s: echo(s.log) });
    expect(await toolNames(q)).toContain('s__echo');
    await q.waitForStderr(/upstreams ready/);
    await waitFor(() => entries().length > 0, 'the cache entry');
    const [file] = entries();
    const written = JSON.parse(fs.readFileSync(path.join(s.cacheDir, file), 'utf8'));
    expect(written.catalog.tools.map((t: { name: string }) => t.name)).toContain('echo');
    expect(entries()).toEqual([file]);
    expect(q.stderr()).not.toMatch(/catalog cache entry unreadable/);
    await q.stop();
  });

  it('no secret value reaches the cache: not in a file, not in a name', async () => {
    const s = setup();
    await warm(s, {
      s: { ...echo(s.log, { API_KEY: SECRET }) },
      leaky: {
        command: NODE,
        args: [path.join(FIXTURES, 'secret-server.mjs')],
        env: { LEAK_API_KEY: SECRET, LEAK_IN_INSTRUCTIONS: '1' },
      },
    });
    const files = catalogFiles(s.cacheDir);
    expect(files.length).toBeGreaterThan(0);
    // The initialize answer kept for the next start holds the server's instructions, masked as in its catalog.
    const offers = path.join(s.cacheDir, 'offers');
    const kept = fs.readdirSync(offers).map((f) => fs.readFileSync(path.join(offers, f), 'utf8'));
    expect(kept.join('')).toContain('Authenticated with key');
    for (const name of fs.readdirSync(s.cacheDir, { recursive: true }) as string[]) {
      expect(name).not.toContain(SECRET);
      const file = path.join(s.cacheDir, name);
      if (fs.statSync(file).isFile()) expect(fs.readFileSync(file, 'utf8')).not.toContain(SECRET);
    }
  });

  it('proxy.cache false: nothing is read or written', async () => {
    const s = setup();
    const p = await startProxy({
      config: { mcpServers: { s: echo(s.log) }, proxy: { cache: false } },
      env: { MCP_PROXY_CACHE_DIR: s.cacheDir },
    });
    expect(await toolNames(p)).toContain('s__echo');
    await p.stop();
    expect(fs.existsSync(s.cacheDir)).toBe(false);
  });
});
