/**
 * Dynamic tools mode while servers are still starting: a group (or a tool in it) not listed yet is waited
 * for, as a direct call's tool is, so a call made as the proxy starts reaches its server; a group that
 * exists nowhere is still refused, once every server has had its first attempt.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tmpDir } from '../../helpers/files.js';
import { type RunningProxy, startProxy, stopAll } from '../../helpers/harness.js';
import { ECHO, FIXTURES, NODE } from '../../helpers/paths.js';

afterEach(stopAll);

const COUNTED = path.join(FIXTURES, 'counted-server.mjs');

/** The echo fixture, answering its first message only after `delayMs`. */
function slowEcho(delayMs: number) {
  const log = path.join(tmpDir('mcp-proxy-dynamic-start-'), 'starts');
  return {
    command: NODE,
    args: [COUNTED],
    env: { START_LOG: log, COUNTED_TARGET: ECHO, START_DELAY_MS: `${delayMs}` },
  };
}

async function run(delayMs: number, proxy: Record<string, unknown> = {}): Promise<RunningProxy> {
  return startProxy({
    config: { mcpServers: { slow: slowEcho(delayMs) }, proxy },
    args: ['--tools-mode', 'dynamic'],
    // The harness gives each run a fresh HOME, so no cached catalog lists the server before it answers.
    noWaitForUpstreams: true,
  });
}

describe('dynamic tools mode during start-up', () => {
  it('call_dynamic_tool to a server still starting waits for it and reaches it', async () => {
    const p = await run(1500);
    expect(p.stderr()).not.toMatch(/upstreams ready/);
    const r = await p.callTool('call_dynamic_tool', { group: 'slow', name: 'echo', arguments: { text: 'early' } });
    expect(r).toMatchObject({ ok: true, text: 'early' });
    expect(r.isError).toBeFalsy();
  });

  it('get_dynamic_tools for a server still starting waits for its tools', async () => {
    const p = await run(1500);
    const r = await p.callTool('get_dynamic_tools', { group: 'slow' });
    expect(r.isError).toBeFalsy();
    expect(JSON.parse(r.text).map((t: { name: string }) => t.name)).toContain('echo');
  });

  it('a group that exists nowhere is refused once the first round is over, naming the groups', async () => {
    const p = await run(800);
    const r = await p.callTool('call_dynamic_tool', { group: 'nope', name: 'echo', arguments: {} });
    expect(r.isError).toBe(true);
    expect(r.text).toBe('Unknown group "nope". Available groups: slow.');
  });

  it('a call to a server that hangs at start waits only for its first attempt (the connect timeout), then says why', async () => {
    const p = await run(600_000, { timeouts: { connect: 1500 }, retry: { maxAttempts: 1 } });
    const r = await p.callTool('call_dynamic_tool', { group: 'slow', name: 'echo', arguments: { text: 'x' } });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(
      /^Group "slow" is not available right now \(server state: [a-z]+; .*\)\. Available groups: \(none\)\.$/,
    );
    // The proxy serves on: a listing answers, with no group yet.
    expect((await p.client.listTools()).tools.map((t) => t.name).sort()).toEqual([
      'call_dynamic_tool',
      'get_dynamic_tools',
    ]);
  });
});
