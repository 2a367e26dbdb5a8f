/**
 * Stdio servers start with NODE_COMPILE_CACHE pointing into the proxy's cache folder, so Node 22.1+
 * servers (and an `npx` server's npm) compile far less from their second start on. The user's own
 * setting wins, NODE_DISABLE_COMPILE_CACHE and a cache turned off leave it unset, and a server the
 * launcher started early is still taken over (started once). Real proxy, real servers.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { tmpDir } from '../helpers/files.js';
import { FAST_PROXY, startProxy, stopAll } from '../helpers/harness.js';
import { node22 } from '../helpers/node22.js';
import { ENV_ECHO, FIXTURES, NODE } from '../helpers/paths.js';
import { until } from '../helpers/wait.js';

afterEach(stopAll);

/** The env-echo server behind the start-counting wrapper, run by `node`. */
function server(starts: string, node = NODE, env: Record<string, string> = {}) {
  return {
    command: node,
    args: [path.join(FIXTURES, 'counted-server.mjs')],
    env: { START_LOG: starts, COUNTED_TARGET: ENV_ECHO, ...env },
  };
}

/** What the server saw of each variable, and how often it was started. */
async function seen(opts: { env?: Record<string, string>; proxy?: Record<string, unknown> } = {}) {
  const starts = path.join(tmpDir(), 'starts');
  fs.writeFileSync(starts, '');
  const p = await startProxy({
    config: { mcpServers: { e: server(starts) }, proxy: { ...FAST_PROXY, ...opts.proxy } },
    env: opts.env,
  });
  const get = async (name: string) => {
    const r = await p.callTool('e__get_env', { name });
    expect(r.ok).toBe(true);
    return r.text;
  };
  const out = {
    dir: p.dir,
    compileCache: await get('NODE_COMPILE_CACHE'),
    disabled: await get('NODE_DISABLE_COMPILE_CACHE'),
    starts: fs.readFileSync(starts, 'utf8').split('\n').filter(Boolean).length,
  };
  await p.stop();
  return out;
}

describe("servers' module compile cache", () => {
  test('a server is given a folder in the proxy cache, and started once', async () => {
    const r = await seen();
    expect(r.compileCache).toBe(path.join(r.dir, '.cache', 'mcp-proxy', 'node-compile-cache'));
    expect(r.starts).toBe(1);
  });

  test('$MCP_PROXY_CACHE_DIR moves it; "off" and proxy.cache false leave it unset', async () => {
    const cacheDir = tmpDir();
    expect((await seen({ env: { MCP_PROXY_CACHE_DIR: cacheDir } })).compileCache).toBe(
      path.join(cacheDir, 'node-compile-cache'),
    );
    const off = await seen({ env: { MCP_PROXY_CACHE_DIR: 'off' } });
    expect(off.compileCache).toBe('(unset)');
    const noCache = await seen({ proxy: { cache: false } });
    expect(noCache.compileCache).toBe('(unset)');
    expect(noCache.starts).toBe(1);
  });

  test("the user's own setting is passed on as it is, and NODE_DISABLE_COMPILE_CACHE is respected", async () => {
    const own = tmpDir();
    const mine = await seen({ env: { NODE_COMPILE_CACHE: own } });
    expect(mine.compileCache).toBe(own);
    expect(mine.starts).toBe(1);
    const disabled = await seen({ env: { NODE_DISABLE_COMPILE_CACHE: '1' } });
    expect(disabled).toMatchObject({ compileCache: '(unset)', disabled: '1', starts: 1 });
  });

  test('a Node 22 server whose compile cache folder cannot be made starts and answers all the same', {
    timeout: 360_000,
  }, async () => {
    const node = await node22();
    const starts = path.join(tmpDir(), 'starts');
    fs.writeFileSync(starts, '');
    // A file where the folder would go: Node cannot make it (as root too, unlike a read-only folder).
    const blocked = path.join(tmpDir(), 'a-file');
    fs.writeFileSync(blocked, '');
    const p = await startProxy({
      config: { mcpServers: { e: server(starts, node) }, proxy: FAST_PROXY },
      env: { NODE_COMPILE_CACHE: path.join(blocked, 'cache') },
    });
    expect(await p.callTool('e__get_env', { name: 'NODE_COMPILE_CACHE' })).toMatchObject({
      ok: true,
      text: path.join(blocked, 'cache'),
    });
    const { code } = await p.stop();
    expect(code).toBe(0);
    expect(p.stderr()).not.toMatch(/compile cache/i);
  });

  test('a Node 22 server fills the cache through the proxy', { timeout: 360_000 }, async () => {
    const node = await node22();
    const starts = path.join(tmpDir(), 'starts');
    fs.writeFileSync(starts, '');
    // A cache folder of the test's own: stop() removes the proxy's home.
    const cacheDir = tmpDir();
    const p = await startProxy({
      config: { mcpServers: { e: server(starts, node) }, proxy: FAST_PROXY },
      env: { MCP_PROXY_CACHE_DIR: cacheDir },
    });
    expect(await p.callTool('e__get_env', { name: 'HOME' })).toMatchObject({ ok: true });
    await p.stop();
    // Node writes its compile cache as the server exits (the proxy closes its stdin).
    const dir = path.join(cacheDir, 'node-compile-cache');
    const files = () => (fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).length : 0);
    await until(() => files() > 0, 5000);
    expect(files()).toBeGreaterThan(0);
  });
});
