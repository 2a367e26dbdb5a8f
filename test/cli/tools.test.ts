/**
 * `mcp-proxy tools list|call` against a config (real stdio upstreams started by the command) and
 * against a running HTTP proxy (the built bundle on port 0, bearer token from MCP_PROXY_TOKEN).
 * Exit codes: 0 ok, 2 bad --args or unknown name, 3 token refused, 4 the call failed or isError.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build.js';
import { type Sandbox, sandbox } from '../helpers/cli.js';
import { tmpDir, writeConfig } from '../helpers/files.js';
import { type HttpProxy, startHttpProxy } from '../helpers/httpProxy.js';
import { ECHO } from '../helpers/paths.js';

const TOKEN = 'tools-cli-test-token-0123456789';

let box: Sandbox;
beforeEach(() => {
  box = sandbox('mcp-tools-');
});
afterEach(() => box.cleanup());

function configWith(servers: Record<string, unknown>): string {
  return writeConfig(box.dir, { mcpServers: servers });
}
const echo = (name: string) => ({ command: process.execPath, args: [ECHO], env: { FIXTURE_NAME: name } });

describe('against a config', () => {
  it('lists every tool by its public name; --server narrows; --json has the schemas', async () => {
    const cfg = configWith({ one: echo('one'), two: { ...echo('two'), tools: { include: ['echo', 'add'] } } });
    const all = await box.run(['tools', 'list', '--config', cfg]);
    expect(all.error).toBeUndefined();
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/one__echo\s+Echoes its input/);
    expect(all.stdout).toMatch(/two__add\s+Adds two numbers/);
    expect(all.stdout).not.toContain('two__fail');

    const two = JSON.parse((await box.run(['tools', 'list', '--config', cfg, '--server', 'two', '--json'])).stdout);
    expect(two.tools.map((t: { name: string }) => t.name)).toEqual(['two__echo', 'two__add']);
    expect(two.tools[1]).toMatchObject({ server: 'two', inputSchema: { required: ['a', 'b'] } });

    const typo = await box.run(['tools', 'list', '--config', cfg, '--server', 'tow']);
    expect(typo.code).toBe(2);
    expect(typo.error).toMatch(/no server "tow"[\s\S]*did you mean "two"/);
  });

  it('calls a tool: text and structured content printed, --json gives the result as is', async () => {
    const cfg = configWith({ one: echo('one') });
    const r = await box.run(['tools', 'call', 'one__add', '--config', cfg, '--args', '{"a":2,"b":40}']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('42\nstructured content:\n{\n  "sum": 42\n}\n');
    const j = await box.run(['tools', 'call', 'one__echo', '--config', cfg, '--args', '{"text":"hi"}', '--json']);
    expect(JSON.parse(j.stdout)).toMatchObject({ content: [{ type: 'text', text: 'hi' }] });
  });

  it('exit 4 for an isError result and for a failed call; exit 2 for bad --args and unknown names', async () => {
    const cfg = configWith({ one: echo('one') });
    const failed = await box.run(['tools', 'call', 'one__fail', '--config', cfg]);
    expect(failed.code).toBe(4);
    expect(failed.stdout).toContain('one failed on purpose');
    expect(failed.stderr).toContain('returned an error result');

    const crashed = await box.run(['tools', 'call', 'one__crash', '--config', cfg]);
    expect(crashed.code).toBe(4);
    expect(crashed.error).toMatch(/calling one__crash failed/);

    const badJson = await box.run(['tools', 'call', 'one__echo', '--config', cfg, '--args', '{"text":']);
    expect(badJson.code).toBe(2);
    expect(badJson.error).toMatch(/--args is not valid JSON: /);
    const notObject = await box.run(['tools', 'call', 'one__echo', '--config', cfg, '--args', '[1]']);
    expect(notObject.error).toMatch(/--args must be a JSON object/);

    const unknown = await box.run(['tools', 'call', 'one__ech', '--config', cfg]);
    expect(unknown.code).toBe(2);
    expect(unknown.error).toMatch(/no tool "one__ech"[\s\S]*did you mean "one__echo"/);
  });

  it('a server that cannot start: list warns and exits 4, a call to a missing tool exits 4 naming it', async () => {
    const cfg = configWith({ one: echo('one'), broken: { command: path.join(box.dir, 'no-such-command') } });
    const list = await box.run(['tools', 'list', '--config', cfg]);
    expect(list.code).toBe(4);
    expect(list.stdout).toContain('one__echo');
    expect(list.stderr).toMatch(/warning: broken: failed .*command not found/);
    const call = await box.run(['tools', 'call', 'broken__echo', '--config', cfg]);
    expect(call.code).toBe(4);
    expect(call.error).toMatch(/some servers are down[\s\S]*broken: failed/);
  });
});

describe('against a running HTTP proxy (--url)', () => {
  let proxy: HttpProxy;
  let url: string;
  let dir: string;
  beforeAll(async () => {
    ensureBuilt();
    dir = tmpDir('mcp-tools-http-');
    const cfg = writeConfig(dir, { mcpServers: { echo: echo('echo') } });
    proxy = await startHttpProxy(['--config', cfg, '--no-watch'], {
      env: { PATH: process.env.PATH ?? '', HOME: dir, MCP_PROXY_TOKEN: TOKEN },
    });
    url = proxy.base;
  }, 60_000);
  afterAll(async () => {
    await proxy?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists and calls with the token from MCP_PROXY_TOKEN', async () => {
    const list = await box.run(['tools', 'list', '--url', url], { MCP_PROXY_TOKEN: TOKEN });
    expect(list.error).toBeUndefined();
    expect(list.stdout).toMatch(/^proxy http:\/\/127\.0\.0\.1:\d+\/mcp: 10 tools/);
    expect(list.stdout).toMatch(/echo__echo\s+Echoes its input/);
    const echoOnly = JSON.parse(
      (await box.run(['tools', 'list', '--url', url, '--server', 'echo', '--json'], { MCP_PROXY_TOKEN: TOKEN })).stdout,
    );
    expect(echoOnly.tools.every((t: { server: string }) => t.server === 'echo')).toBe(true);

    const call = await box.run(
      ['tools', 'call', 'echo__echo', '--url', `${url}/mcp`, '--args', '{"text":"over http"}'],
      {
        MCP_PROXY_TOKEN: TOKEN,
      },
    );
    expect(call.code).toBe(0);
    expect(call.stdout).toBe('over http\n');
  });

  it('a refused token exits 3, masked; no proxy there exits 4', async () => {
    const wrong = await box.run(['tools', 'list', '--url', url, '--token', 'wrong-token-value-123']);
    expect(wrong.code).toBe(3);
    expect(wrong.error).toMatch(/refused/);
    expect(wrong.error).not.toContain('wrong-token-value-123');
    const none = await box.run(['tools', 'list', '--url', 'http://127.0.0.1:9', '--timeout', '3000']);
    expect(none.code).toBe(4);
    expect(none.error).toMatch(/cannot reach the proxy at http:\/\/127\.0\.0\.1:9\/mcp/);
  });
});
