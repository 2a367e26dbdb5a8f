import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { childrenMatching, FAST_PROXY, fixture, startProxy, stopAll } from '../../helpers/harness.js';
import { until } from '../../helpers/wait.js';

afterEach(stopAll);

const servers = {
  a: fixture('echo-server.mjs', { FIXTURE_NAME: 'a' }),
  b: fixture('flaky-server.mjs', { FLAKY_NAME: 'b' }),
};

describe('live reload', () => {
  for (const sdk of ['v2', 'v1'] as const) {
    it(`keeps serving through an invalid config, then applies only what changed (${sdk} client)`, async () => {
      const proxy = await startProxy({ config: { mcpServers: servers, proxy: FAST_PROXY }, sdk });
      let changes = 0;
      proxy.client.setNotificationHandler(
        // v1 takes a schema, v2 a method name; both deliver tools/list_changed.
        (sdk === 'v1'
          ? (await import('@modelcontextprotocol/sdk/types.js')).ToolListChangedNotificationSchema
          : 'notifications/tools/list_changed') as never,
        () => {
          changes++;
        },
      );
      // A client is told of changes to the lists it holds: it lists first, as clients do.
      await proxy.client.listTools();
      const aPid = childrenMatching(proxy.pid, 'echo-server.mjs');
      expect(aPid).toHaveLength(1);

      // 1. Invalid JSON, then a schema error: the proxy logs why and keeps serving the old config.
      proxy.writeConfig('{ "mcpServers": { "a": ');
      await proxy.waitForStderr(/config reload failed; still serving the previous config/);
      proxy.writeConfig({ mcpServers: { a: { command: 42 } } });
      await until(() => proxy.stderr().split('config reload failed').length > 2);
      expect(proxy.stderr().split('config reload failed').length).toBeGreaterThan(2);
      expect((await proxy.callTool('a__echo', { text: 'still' })).text).toBe('still');
      expect((await proxy.callTool('b__echo', { text: 'still' })).text).toBe('still');
      expect(changes).toBe(0);

      // 2. A valid config: b removed, c added, a untouched, while a call on a is in flight.
      const inflight = proxy.callTool('a__slow', { ms: 1500 });
      proxy.writeConfig({
        mcpServers: { a: servers.a, c: fixture('flaky-server.mjs', { FLAKY_NAME: 'c' }) },
        proxy: FAST_PROXY,
      });
      await proxy.waitForStderr(/config reloaded/);
      expect(await until(() => changes >= 1)).toBe(true);
      const tools = (await proxy.client.listTools()).tools.map((t) => t.name);
      expect(tools).toContain('c__echo');
      expect(tools).toContain('a__echo');
      expect(tools.some((t) => t.startsWith('b__'))).toBe(false);
      expect((await inflight).text).toBe('slept 1500');
      expect(childrenMatching(proxy.pid, 'echo-server.mjs')).toEqual(aPid);
      expect((await proxy.callTool('c__echo', { text: 'new' })).text).toBe('new');
      const gone = await proxy.callTool('b__echo', { text: 'x' });
      expect(gone.ok && !gone.isError).toBe(false);

      // 3. SIGHUP reloads too (a changed entry restarts just that server).
      proxy.writeConfig({
        mcpServers: { a: servers.a, c: fixture('flaky-server.mjs', { FLAKY_NAME: 'c2' }) },
        proxy: { ...FAST_PROXY },
      });
      process.kill(proxy.pid, 'SIGHUP');
      await until(() => (proxy.stderr().match(/config reloaded/g) ?? []).length >= 2);
      expect(await until(async () => (await proxy.callTool('c__echo', { text: 'c2' })).text === 'c2')).toBe(true);
      expect(childrenMatching(proxy.pid, 'echo-server.mjs')).toEqual(aPid);

      const { code, leftovers } = await proxy.stop();
      expect(code).toBe(0);
      expect(leftovers).toEqual([]);
    });
  }

  it('retries a server that had failed when the config is reloaded (the user fixed it)', async () => {
    const proxy = await startProxy({ config: { mcpServers: { b: servers.b }, proxy: FAST_PROXY } });
    const marker = path.join(proxy.dir, 'fixed');
    const config = {
      mcpServers: { x: fixture('flaky-server.mjs', { FLAKY_REQUIRE_FILE: marker }), b: servers.b },
      proxy: FAST_PROXY,
    };
    proxy.writeConfig(config);
    await proxy.waitForStderr(/"component":"upstream:x".*failed to connect; not retrying/);
    expect((await proxy.callTool('x__echo', { text: 'x' })).ok).toBe(false);
    fs.writeFileSync(marker, 'ok');
    process.kill(proxy.pid, 'SIGHUP');
    const ok = await until(async () => (await proxy.callTool('x__echo', { text: 'fixed' })).text === 'fixed');
    if (!ok) console.log(proxy.stderr());
    expect(ok).toBe(true);
    await proxy.waitForStderr(/"retried":\["x"\]/);
    expect((await proxy.stop()).leftovers).toEqual([]);
  });

  it('turns the audit log on without a restart: only calls after the reload are recorded', async () => {
    const proxy = await startProxy({ config: { mcpServers: { a: servers.a }, proxy: FAST_PROXY } });
    expect((await proxy.callTool('a__echo', { text: 'before' })).text).toBe('before');
    proxy.writeConfig({ mcpServers: { a: servers.a }, proxy: { ...FAST_PROXY, audit: { file: 'audit.jsonl' } } });
    await proxy.waitForStderr(/audit log on/);
    expect((await proxy.callTool('a__echo', { text: 'after' })).text).toBe('after');
    // Records are written in the background: wait for the one call made after the reload.
    const file = path.join(proxy.dir, 'audit.jsonl');
    const records = () => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : []);
    expect(await until(() => records().length === 1)).toBe(true);
    const [record] = records().map((l) => JSON.parse(l));
    expect([record.server, record.name, record.outcome, record.kind]).toEqual(['a', 'echo', 'ok', 'local']);
    expect((await proxy.stop()).code).toBe(0);
  });

  it('reloads when the credentials file changes: only the server using the credential restarts', async () => {
    const creds = '.config/mcp-proxy/credentials.json';
    const proxy = await startProxy({
      files: { [creds]: JSON.stringify({ API_TOKEN: 'one' }) },
      config: {
        mcpServers: { e: fixture('env-echo-server.mjs', { API_TOKEN: `\${API_TOKEN}` }), a: servers.a },
        proxy: FAST_PROXY,
      },
    });
    const aPid = childrenMatching(proxy.pid, 'fixtures/echo-server.mjs');
    expect((await proxy.callTool('e__get_env', { name: 'API_TOKEN' })).text).toBe('one');
    const file = path.join(proxy.dir, creds);
    fs.writeFileSync(`${file}.tmp`, JSON.stringify({ API_TOKEN: 'two' }), { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
    expect(await until(async () => (await proxy.callTool('e__get_env', { name: 'API_TOKEN' })).text === 'two')).toBe(
      true,
    );
    expect(proxy.stderr()).not.toContain('two');
    expect(childrenMatching(proxy.pid, 'fixtures/echo-server.mjs')).toEqual(aPid);
    expect((await proxy.stop()).leftovers).toEqual([]);
  });
});
