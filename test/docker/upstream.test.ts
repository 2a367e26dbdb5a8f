import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { silentLogger } from '../../src/observability/logger.js';
import {
  createDockerClient,
  createDockerTransport,
  type DockerClient,
  dockerStatus,
  formatDockerStatus,
  LABELS,
  removeStaleContainers,
} from '../../src/upstream/docker/index.js';
import { buildEchoImage, docker, dockerEngine } from '../helpers/docker.js';
import { text } from '../helpers/proxy.js';

const engine = dockerEngine();
const runId = `test-${process.pid}-${Date.now().toString(36)}`;

describe.skipIf(!engine.ok)('docker upstream (real engine)', () => {
  let client: DockerClient;
  let image: string;

  beforeAll(async () => {
    client = await createDockerClient(process.env);
    await client.ping();
    image = await buildEchoImage();
  }, 300_000);

  afterAll(async () => {
    // Nothing of this run may be left behind, whatever failed.
    const left = await client?.listContainers([`${LABELS.run}=${runId}`]);
    for (const c of left ?? []) await client.removeContainer(c.id);
  });

  function transportFor(
    server: string,
    extra: Record<string, unknown> = {},
    stderr?: string[],
    env: Record<string, string> = {},
  ) {
    return createDockerTransport({
      serverName: server,
      config: { type: 'docker', image, pull: 'never', memory: '128m', cpus: 0.5, ...extra } as never,
      env: { GREETING: 'hello from the proxy', SECRET_TOKEN: 's3cret', ...env },
      docker: client,
      logger: silentLogger(),
      runId,
      stderr: stderr ? (line) => stderr.push(line) : undefined,
    });
  }

  it('runs an MCP server in a container: tools, env, labels, limits, non-root; removed after close', async () => {
    const stderr: string[] = [];
    const transport = transportFor('echo', {}, stderr);
    const mcp = new Client({ name: 'docker-test', version: '1.0.0' });
    await mcp.connect(transport);
    try {
      const tools = await mcp.listTools();
      expect(tools.tools.map((t) => t.name).sort()).toEqual(['echo', 'get_env', 'whoami']);
      expect(text(await mcp.callTool({ name: 'echo', arguments: { text: 'through a container' } }))).toBe(
        'through a container',
      );
      expect(text(await mcp.callTool({ name: 'get_env', arguments: { name: 'GREETING' } }))).toBe(
        'hello from the proxy',
      );
      const who = JSON.parse(text(await mcp.callTool({ name: 'whoami', arguments: {} })));
      expect(who.uid).toBe(1000);

      const id = transport.containerId as string;
      expect(id).toMatch(/^[0-9a-f]{64}$/);
      const details = await client.inspectContainer(id);
      expect(details.running).toBe(true);
      expect(details.labels).toMatchObject({
        [LABELS.managed]: 'true',
        [LABELS.server]: 'echo',
        [LABELS.run]: runId,
        [LABELS.pid]: String(process.pid),
        [LABELS.host]: os.hostname(),
      });
      const limits = JSON.parse(await docker(['inspect', '--format', '{{json .HostConfig}}', id]));
      expect(limits.Memory).toBe(128 * 1024 * 1024);
      expect(limits.NanoCpus).toBe(500_000_000);
      expect(stderr).toContain('docker-echo: serving on stdio');

      const rows = await dockerStatus(client);
      const row = rows.find((r) => r.id === id.slice(0, 12));
      expect(row).toMatchObject({ kind: 'upstream', server: 'echo', state: 'running', health: 'none' });
      expect(row?.uptimeSeconds).toBeGreaterThanOrEqual(0);
      expect(formatDockerStatus({ available: true, endpoint: client.endpoint, rows }).join('\n')).toContain(
        'upstream echo',
      );
    } finally {
      await mcp.close();
    }
    expect(await client.listContainers([`${LABELS.run}=${runId}`, `${LABELS.server}=echo`])).toEqual([]);
  });

  it('reports a stdout line that is not JSON-RPC and reads a message after a byte-order mark, as over stdio', async () => {
    const transport = transportFor('bom', {}, undefined, { FIXTURE_JUNK: '1', FIXTURE_BOM: '1' });
    const mcp = new Client({ name: 'docker-test', version: '1.0.0' });
    const errors: Error[] = [];
    mcp.onerror = (e) => errors.push(e);
    await mcp.connect(transport);
    try {
      expect(text(await mcp.callTool({ name: 'echo', arguments: { text: 'after the mark' } }))).toBe('after the mark');
      expect(errors.map((e) => `${e.name}: ${e.message}`)).toEqual([
        expect.stringMatching(/^StdoutGarbageError: not JSON-RPC on stdout: not JSON-RPC: a banner \(Unexpected token/),
      ]);
    } finally {
      await mcp.close();
    }
  });

  it('fires onclose (and onerror with the exit code) when the container dies', async () => {
    const transport = transportFor('dies');
    const mcp = new Client({ name: 'docker-test', version: '1.0.0' });
    await mcp.connect(transport);
    const errors: Error[] = [];
    const closed = new Promise<void>((resolve) => {
      const prevClose = transport.onclose;
      transport.onclose = () => {
        prevClose?.();
        resolve();
      };
      const prevError = transport.onerror;
      transport.onerror = (e) => {
        errors.push(e);
        prevError?.(e);
      };
    });
    await docker(['kill', transport.containerId as string]);
    await closed;
    expect(errors.map((e) => e.message).join('\n')).toMatch(/container for "dies" exited with code 137/);
    expect(await client.listContainers([`${LABELS.run}=${runId}`, `${LABELS.server}=dies`])).toEqual([]);
  });

  it('pull policy: "never" and an unpullable image give clear errors, and no container is left', async () => {
    const never = createDockerTransport({
      serverName: 'absent',
      config: { type: 'docker', image: 'mcp-proxy-test/does-not-exist:1', pull: 'never' },
      env: {},
      docker: client,
      logger: silentLogger(),
      runId,
    });
    const e1 = await never.start().catch((e) => e);
    expect(e1).toBeInstanceOf(AppError);
    expect(e1.message).toContain(
      'image mcp-proxy-test/does-not-exist:1 for "absent" is not present and pull is "never"',
    );
    expect(e1.hint).toContain('docker pull');

    const missing = createDockerTransport({
      serverName: 'unpullable',
      config: { type: 'docker', image: '127.0.0.1:1/mcp-proxy-test/nope:1' },
      env: {},
      docker: client,
      logger: silentLogger(),
      runId,
    });
    const e2 = await missing.start().catch((e) => e);
    expect(e2).toBeInstanceOf(AppError);
    expect(e2.code).toBe('UPSTREAM_FAILED');
    expect(e2.message).toContain('cannot pull image 127.0.0.1:1/mcp-proxy-test/nope:1 for "unpullable"');
    expect(await client.listContainers([`${LABELS.run}=${runId}`])).toEqual([]);
  });

  it('removeStaleContainers removes containers of dead proxy runs on this host, and only those', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
    const create = (name: string, labels: Record<string, string>) =>
      docker([
        'create',
        '--name',
        `${name}-${runId}`,
        ...Object.entries({ [LABELS.managed]: 'true', [LABELS.server]: name, ...labels }).flatMap(([k, v]) => [
          '--label',
          `${k}=${v}`,
        ]),
        image,
      ]);
    const host = os.hostname();
    await create('stale', { [LABELS.pid]: String(dead), [LABELS.run]: 'old-run', [LABELS.host]: host });
    await create('alive', { [LABELS.pid]: String(process.ppid), [LABELS.run]: 'other-run', [LABELS.host]: host });
    await create('elsewhere', { [LABELS.pid]: String(dead), [LABELS.run]: 'old-run', [LABELS.host]: 'another-host' });
    await create('mine', { [LABELS.pid]: String(process.pid), [LABELS.run]: runId, [LABELS.host]: host });
    try {
      const removed = await removeStaleContainers(client, silentLogger(), { runId });
      // Other test files running at the same time may leave stale containers of their own (a dead pid on
      // this host): those go too. Of this test's four, only the stale one.
      expect(removed.filter((n) => n.endsWith(runId))).toEqual([`stale-${runId}`]);
      const left = (await client.listContainers([`${LABELS.managed}=true`])).map((c) => c.name);
      expect(left).toEqual(expect.arrayContaining([`alive-${runId}`, `elsewhere-${runId}`, `mine-${runId}`]));
      expect(left).not.toContain(`stale-${runId}`);
    } finally {
      for (const n of ['stale', 'alive', 'elsewhere', 'mine'])
        await docker(['rm', '-f', `${n}-${runId}`]).catch(() => {});
    }
    // Four containers created and removed on a vfs engine: slow on a busy machine.
  }, 120_000);
});
