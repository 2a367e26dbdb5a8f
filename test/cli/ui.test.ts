/**
 * `mcp-proxy ui` (the BUILT bundle): runs the proxy from the config on 127.0.0.1 with the dashboard,
 * prints its URL, and serves the page and the API there.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ensureBuilt } from '../helpers/build.js';
import { tempDir, writeConfig } from '../helpers/files.js';
import { BUNDLE, ECHO, NODE } from '../helpers/paths.js';
import { waitFor } from '../helpers/wait.js';

const tmp = tempDir('mcp-proxy-ui-');

beforeAll(() => ensureBuilt());
afterAll(() => tmp.cleanup());

test('prints the dashboard URL on loopback and serves it', async () => {
  const config = writeConfig(tmp.dir, { mcpServers: { echo: { command: NODE, args: [ECHO] } } });
  const child = spawn(NODE, [BUNDLE, 'ui', '--config', config, '--port', '0'], {
    env: { PATH: process.env.PATH ?? '', HOME: tmp.dir },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c) => {
    stderr += c;
  });
  try {
    const url: string = await waitFor(
      () => /dashboard at (http:\/\/127\.0\.0\.1:\d+\/ui\/)/.exec(stderr)?.[1] as string,
      'the URL',
    );
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>mcp-proxy dashboard</title>');
    const servers = await waitFor(async () => {
      const body = (await (await fetch(new URL('/api/v1/servers', url))).json()) as any;
      return body.servers?.[0]?.state === 'ready' ? body : undefined;
    }, 'echo ready');
    expect(servers.servers.map((s: any) => s.name)).toEqual(['echo']);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
});
