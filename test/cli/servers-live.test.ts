// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are part of what is tested
/**
 * `add` and `remove` on a RUNNING proxy (the built bundle over stdio, a real SDK client): the proxy's
 * live reload picks the edited config up, the client hears tools/list_changed and sees the new tools,
 * a secret given to `add` reaches the new server from the credentials store, and after `remove` the
 * tools are gone. No restart.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { ensureBuilt, runBundle } from '../helpers/build.js';
import { tmpDir, writeConfig } from '../helpers/files.js';
import { ECHO, ENV_ECHO } from '../helpers/paths.js';
import { connectProxy, type ProxySession, text } from '../helpers/proxy.js';
import { waitFor } from '../helpers/wait.js';

const SECRET = 'sk-liveReloadSecret0123456789abcdef';

beforeAll(ensureBuilt);

let dir: string;
let env: Record<string, string>;
let proxy: ProxySession | undefined;
beforeEach(() => {
  dir = tmpDir('mcp-servers-live-');
  env = { HOME: dir, XDG_CONFIG_HOME: path.join(dir, 'xdg') };
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[]) {
  return runBundle(args, { cwd: dir, env: { PATH: process.env.PATH ?? '', MCP_PROXY_DEPLOYMENT: 'node', ...env } });
}

it("add and remove change a running proxy's tools without a restart", async () => {
  const config = writeConfig(dir, {
    mcpServers: { first: { command: process.execPath, args: [ECHO], env: { FIXTURE_NAME: 'first' } } },
  });
  proxy = await connectProxy('v2-2025', config, { env });
  let changes = 0;
  proxy.client.setNotificationHandler('notifications/tools/list_changed', () => {
    changes++;
  });
  const names = async () => (await proxy!.client.listTools()).tools.map((t: { name: string }) => t.name);
  expect(await names()).toContain('first__echo');
  const pid = proxy.pid();

  const added = cli([
    'add',
    'vault',
    '--config',
    config,
    '--env',
    `API_TOKEN=${SECRET}`,
    '--',
    process.execPath,
    ENV_ECHO,
  ]);
  expect(added.status, added.stderr).toBe(0);
  expect(fs.readFileSync(config, 'utf8')).toContain('"API_TOKEN": "${API_TOKEN}"');
  expect(fs.readFileSync(config, 'utf8')).not.toContain(SECRET);

  await waitFor(() => changes >= 1, 'tools/list_changed after add');
  await waitFor(async () => (await names()).includes('vault__get_env'), 'vault__get_env listed');
  expect(await names()).toContain('first__echo');
  // The reloaded config resolved ${API_TOKEN} from the credentials store `add` wrote.
  expect(text(await proxy.client.callTool({ name: 'vault__get_env', arguments: { name: 'API_TOKEN' } }))).toBe(SECRET);

  const seen = changes;
  const removed = cli(['remove', 'vault', '--config', config]);
  expect(removed.status, removed.stderr).toBe(0);
  await waitFor(() => changes > seen, 'tools/list_changed after remove');
  await waitFor(async () => !(await names()).includes('vault__get_env'), 'vault__get_env gone');
  expect(await names()).toContain('first__echo');
  expect(proxy.pid()).toBe(pid);
  expect(proxy.stderr()).not.toContain(SECRET);
}, 60_000);
