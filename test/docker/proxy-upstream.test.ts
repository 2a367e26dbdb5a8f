// A `docker` upstream through the built proxy (dist/mcp-proxy.mjs): served, restarted by the
// resilience machinery when its container dies, cleaned up at shutdown, and containers left by a
// crashed earlier run removed at start.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABELS } from '../../src/upstream/docker/client.js';
import { buildEchoImage, docker, dockerEngine } from '../helpers/docker.js';
import { tmpDir, writeConfig } from '../helpers/files.js';
import { connectProxy, type ProxySession, text } from '../helpers/proxy.js';
import { waitFor } from '../helpers/wait.js';

const engine = dockerEngine();
const server = `dk${process.pid}`;

async function containersOf(labels: string[]): Promise<Array<{ id: string; state: string }>> {
  const out = await docker([
    'ps',
    '-a',
    '--format',
    '{{.ID}} {{.State}}',
    ...labels.flatMap((l) => ['--filter', `label=${l}`]),
  ]);
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id = '', state = ''] = line.split(' ');
      return { id, state };
    });
}

describe.skipIf(!engine.ok)('docker upstream through the proxy (real engine)', () => {
  let session: ProxySession;
  const stale = `stale-${server}`;

  beforeAll(async () => {
    const image = await buildEchoImage();
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid as number;
    await docker([
      'create',
      '--name',
      stale,
      ...[
        `${LABELS.managed}=true`,
        `${LABELS.server}=${server}`,
        `${LABELS.pid}=${deadPid}`,
        `${LABELS.run}=crashed-run`,
        `${LABELS.host}=${os.hostname()}`,
      ].flatMap((l) => ['--label', l]),
      image,
    ]);
    const config = writeConfig(tmpDir(), {
      mcpServers: {
        [server]: { type: 'docker', image, pull: 'never', env: { GREETING: 'hello from a container' }, memory: '128m' },
      },
      // A container may take longer than the default start-up window on a slow engine: wait for it here.
      proxy: { retry: { initialDelay: 100, maxDelay: 500 }, timeouts: { startup: 120_000 } },
    });
    session = await connectProxy('v2-2025', config);
  }, 300_000);

  afterAll(async () => {
    await session?.close();
    await docker(['rm', '-f', stale]).catch(() => {});
  });

  it('serves the container tools, restarts a dead container, removes stale and own containers', async () => {
    const { client } = session;
    const tools = (await client.listTools()).tools.map((t: { name: string }) => t.name);
    expect(tools).toEqual(expect.arrayContaining([`${server}__echo`, `${server}__get_env`]));
    expect(text(await client.callTool({ name: `${server}__get_env`, arguments: { name: 'GREETING' } }))).toBe(
      'hello from a container',
    );

    // The container of the crashed run is gone; ours carries the proxy's pid.
    expect(await containersOf([`${LABELS.run}=crashed-run`, `${LABELS.server}=${server}`])).toEqual([]);
    const proxyPid = session.pid() as number;
    const mine = [`${LABELS.server}=${server}`, `${LABELS.pid}=${proxyPid}`];
    const [first] = await containersOf(mine);
    expect(first?.state).toBe('running');

    // Kill it: the pool restarts the upstream in a new container, and calls work again.
    await docker(['kill', first?.id as string]);
    const second = (await waitFor(
      async () => (await containersOf(mine)).find((c) => c.id !== first?.id && c.state === 'running'),
      'a restarted container',
      60_000,
    )) as { id: string; state: string };
    expect(second.id).not.toBe(first?.id);
    const echoed = await waitFor(
      async () =>
        text(await client.callTool({ name: `${server}__echo`, arguments: { text: 'after restart' } })) ===
        'after restart',
      'a tool call after the restart',
      60_000,
    );
    expect(echoed).toBe(true);
    // The dead container was removed, not left behind.
    expect((await containersOf(mine)).map((c) => c.id)).toEqual([second.id]);

    await session.close();
    await waitFor(async () => (await containersOf(mine)).length === 0, 'containers removed at shutdown', 30_000);
  }, 180_000);
});
