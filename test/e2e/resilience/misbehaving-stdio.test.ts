import { afterEach, describe, expect, it } from 'vitest';
import { FAST_PROXY, fixture, type RunningProxy, startProxy, stopAll } from '../../helpers/harness.js';
import { until } from '../../helpers/wait.js';

afterEach(stopAll);

const call = (proxy: RunningProxy, name: string, args: Record<string, unknown> = {}) => proxy.callTool(name, args);

describe('a stdio upstream that misbehaves', () => {
  it('hangs on tools/call: each call times out with a clear error, the breaker opens, then a good call closes it', async () => {
    const proxy = await startProxy({
      config: {
        mcpServers: { h: fixture('flaky-server.mjs', {}, { timeout: 400 }), b: fixture('flaky-server.mjs') },
        proxy: FAST_PROXY,
      },
    });
    const hung = await Promise.all([call(proxy, 'h__hang'), call(proxy, 'h__hang'), call(proxy, 'h__hang')]);
    for (const r of hung) {
      expect(r.ok).toBe(false);
      expect(r.text).toMatch(/upstream "h" did not answer within 400 ms/);
    }
    const fast = await call(proxy, 'h__hang');
    expect(fast.ok).toBe(false);
    expect(fast.text).toMatch(/circuit breaker open after 3 consecutive failures/);
    // Others are untouched, and the breaker stays per upstream.
    expect((await call(proxy, 'b__echo', { text: 'fine' })).text).toBe('fine');
    // After halfOpenAfter a probe goes through; a good answer closes the breaker.
    expect(await until(async () => (await call(proxy, 'h__echo', { text: 'ok' })).text === 'ok')).toBe(true);
    expect((await call(proxy, 'h__echo', { text: 'again' })).text).toBe('again');
    await proxy.waitForStderr(/circuit breaker closed/);
    expect((await proxy.stop()).leftovers).toEqual([]);
  });

  it('answers initialize, then goes silent: the connect times out, it is retried, calls fail at once', async () => {
    const proxy = await startProxy({
      config: {
        mcpServers: {
          s: fixture('flaky-server.mjs', { FLAKY_MODE: 'silent-after-init' }, { connectTimeout: 300 }),
          b: fixture('flaky-server.mjs'),
        },
        proxy: FAST_PROXY,
      },
    });
    const tools = (await proxy.client.listTools()).tools.map((t) => t.name);
    expect(tools).toContain('b__echo');
    expect(tools.some((t) => t.startsWith('s__'))).toBe(false);
    await proxy.waitForStderr(/"component":"upstream:s".*(connect failed; will retry|failed to connect)/);
    await proxy.waitForStderr(/timed out/);
    expect((await call(proxy, 'b__echo', { text: 'fine' })).text).toBe('fine');
    expect((await proxy.stop()).leftovers).toEqual([]);
  });

  it('writes garbage to stdout mid-session: the garbage is skipped with a warning, the session goes on', async () => {
    const proxy = await startProxy({
      config: { mcpServers: { g: fixture('flaky-server.mjs') }, proxy: FAST_PROXY },
      sdk: 'v1',
    });
    const r = await call(proxy, 'g__garbage');
    expect(r.text).toBe('after garbage');
    expect((await call(proxy, 'g__echo', { text: 'still here' })).text).toBe('still here');
    await proxy.waitForStderr(/\\"g\\" wrote something to stdout that is not JSON-RPC/);
    expect(proxy.stderr()).not.toMatch(/server (exited|was killed)/);
    expect((await proxy.stop()).leftovers).toEqual([]);
  });

  it('prints a banner to stdout before the handshake: skipped, and warned once naming the server, restarts included', async () => {
    const proxy = await startProxy({
      config: { mcpServers: { chatty: fixture('echo-server.mjs', { FIXTURE_JUNK: '1' }) }, proxy: FAST_PROXY },
    });
    const warning = /"component":"upstream:chatty".*\\"chatty\\" wrote something to stdout that is not JSON-RPC/;
    await proxy.waitForStderr(warning);
    expect(proxy.stderr()).toContain('this is not JSON-RPC, just junk on stdout');
    // A restart prints the banner again; the warning is not repeated.
    await call(proxy, 'chatty__crash');
    await proxy.waitForStderr(
      /"component":"upstream:chatty"[^\n]*"connected"[\s\S]*"component":"upstream:chatty"[^\n]*"connected"/,
    );
    expect((await call(proxy, 'chatty__echo', { text: 'still here' })).text).toBe('still here');
    const warnings = proxy
      .stderr()
      .split('\n')
      .filter((l) => warning.test(l));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/"level":"?(40|warn)/);
    expect((await proxy.stop()).leftovers).toEqual([]);
  });

  it('a Go-style server answers with null members (nil slices): its tools are listed and a call gives a valid result, with clients of both SDK majors', async () => {
    for (const sdk of ['v1', 'v2'] as const) {
      const proxy = await startProxy({
        config: { mcpServers: { go: fixture('go-style-server.mjs') }, proxy: FAST_PROXY },
        sdk,
      });
      // Its listing had null members too: mended, and `"prompts": null` is no prompts.
      expect((await proxy.client.listTools()).tools.map((t) => t.name)).toEqual(['go__lookup']);
      const r = (await proxy.client.callTool({ name: 'go__lookup', arguments: { q: 'x' } })) as Record<string, unknown>;
      expect(r.content).toEqual([]);
      expect(r).not.toHaveProperty('structuredContent');
      expect(r).not.toHaveProperty('isError');
      expect((await proxy.stop()).leftovers).toEqual([]);
    }
  });

  it('writes a byte-order mark before its first message (a .NET console does): it connects at once, with no warning', async () => {
    const proxy = await startProxy({
      config: { mcpServers: { dotnet: fixture('echo-server.mjs', { FIXTURE_BOM: '1' }) }, proxy: FAST_PROXY },
    });
    expect((await call(proxy, 'dotnet__echo', { text: 'after the mark' })).text).toBe('after the mark');
    expect(proxy.stderr()).not.toMatch(/not JSON-RPC|connect failed/);
    expect((await proxy.stop()).leftovers).toEqual([]);
  });

  it('exits at once on every start: retried a few times, then failed, and the error says why', async () => {
    const proxy = await startProxy({
      config: {
        mcpServers: { x: fixture('flaky-server.mjs', { FLAKY_MODE: 'exit-at-start' }), b: fixture('flaky-server.mjs') },
        proxy: FAST_PROXY,
      },
    });
    await proxy.waitForStderr(/"component":"upstream:x".*failed to connect; not retrying/);
    const line = proxy
      .stderr()
      .split('\n')
      .find((l) => l.includes('not retrying'))!;
    expect(line).toMatch(/stopped after 4 failures within 30s/);
    expect(line).toMatch(/exited with code 1/);
    expect(line).toMatch(/FATAL: missing API_KEY/);
    // The proxy keeps serving the others.
    expect((await call(proxy, 'b__echo', { text: 'fine' })).text).toBe('fine');
    const unknown = await call(proxy, 'x__echo');
    expect(unknown.ok).toBe(false);
    expect((await proxy.stop()).leftovers).toEqual([]);
  });

  it('crashes again and again after starting: restarts up to the limit, then stays failed', async () => {
    const proxy = await startProxy({
      config: { mcpServers: { c: fixture('flaky-server.mjs'), b: fixture('flaky-server.mjs') }, proxy: FAST_PROXY },
    });
    for (let i = 0; i < 4; i++) {
      // Each crash fails its call; the server is restarted while the limit (3 per window) allows.
      expect(await until(async () => (await call(proxy, 'c__echo', { text: 'up' })).text === 'up')).toBe(true);
      const r = await call(proxy, 'c__crash');
      expect(r.ok).toBe(false);
    }
    await proxy.waitForStderr(/stopped after 4 failures within 30s/);
    const r = await call(proxy, 'c__echo', { text: 'up' });
    expect(r.ok).toBe(false);
    expect((await call(proxy, 'b__echo', { text: 'fine' })).text).toBe('fine');
    expect((await proxy.stop()).leftovers).toEqual([]);
  });
  it('lists tools no client could use: those are left out with a warning, the commonly wrong ones mended, the rest kept', async () => {
    const proxy = await startProxy({
      config: {
        mcpServers: {
          p: fixture('paged-server.mjs', { PAGED_TOOLS: '3', PAGED_BAD: 'entries' }),
          b: fixture('flaky-server.mjs'),
        },
        proxy: FAST_PROXY,
      },
    });
    const tools = (await proxy.client.listTools()).tools.map((t) => t.name);
    expect(tools.filter((t) => t.startsWith('p__')).sort()).toEqual([
      'p__no_schema',
      'p__paged_tool_0',
      'p__paged_tool_1',
      'p__paged_tool_2',
      'p__untyped',
    ]);
    expect(tools).toContain('b__echo');
    await proxy.waitForStderr(
      /"component":"upstream:p".*tools\/list: tool \\"bad_description\\" left out: description: Invalid input/,
    );
    await proxy.waitForStderr(/"component":"upstream:p".*tools\/list: 2 tools mended so clients accept them/);
    expect((await call(proxy, 'p__paged_tool_1')).text).toBe('called paged_tool_1');
    expect((await call(proxy, 'p__untyped', { q: 'x' })).text).toBe('called untyped');
    expect((await proxy.stop()).leftovers).toEqual([]);
  });
});
