/**
 * Deployment detection and Docker secrets inside a REAL container (the local base image, the built
 * bundle mounted read-only), without the MCP_PROXY_DEPLOYMENT marker the published image sets:
 * the heuristics alone must say docker, and /run/secrets must be read from its real default place.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_IMAGE, docker, dockerEngine } from '../helpers/docker.js';
import { tmpDir } from '../helpers/files.js';
import { ROOT } from '../helpers/paths.js';

const engine = dockerEngine();
const DIST = path.join(ROOT, 'dist');

describe.skipIf(!engine.ok)('inside a real container', () => {
  let dir: string;
  beforeAll(() => {
    dir = tmpDir('mcp-deploy-docker-');
    fs.chmodSync(dir, 0o755);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const base = () => ['run', '--rm', '--network', 'none', '-v', `${DIST}:/app:ro`];

  it('version detects docker from cgroup/mount evidence (shared cgroup namespace)', async () => {
    const out = JSON.parse(
      await docker([...base(), '--cgroupns', 'host', BASE_IMAGE, 'node', '/app/mcp-proxy.mjs', 'version', '--json']),
    );
    expect(out.deployment).toBe('docker');
    expect(out.deploymentEvidence).toMatch(/cgroup shows \/docker\/|mounted from \/var\/lib\/docker\/containers\//);
  }, 120_000);

  it('version detects docker with a private cgroup namespace (cgroup says nothing)', async () => {
    const out = JSON.parse(
      await docker([...base(), '--cgroupns', 'private', BASE_IMAGE, 'node', '/app/mcp-proxy.mjs', 'version', '--json']),
    );
    expect(out.deployment).toBe('docker');
    expect(out.deploymentEvidence).toMatch(/root filesystem is|mounted from \/var\/lib\/docker\/containers\//);
  }, 120_000);

  it('credentials check finds a secret mounted at /run/secrets/<name> (as compose does) before the environment', async () => {
    const secretValue = 'real-container-secret-7777';
    const secretFile = path.join(dir, 'github_token');
    fs.writeFileSync(secretFile, `${secretValue}\n`);
    fs.chmodSync(secretFile, 0o444);
    const config = path.join(dir, 'mcp-proxy.json');
    const reference = ['$', '{GITHUB_TOKEN}'].join('');
    fs.writeFileSync(config, JSON.stringify({ mcpServers: { gh: { command: 'node', env: { T: reference } } } }));
    fs.chmodSync(config, 0o644);
    const stdout = await docker([
      ...base(),
      '-v',
      `${secretFile}:/run/secrets/github_token:ro`,
      '-v',
      `${config}:/cfg/mcp-proxy.json:ro`,
      '-e',
      'GITHUB_TOKEN=from-the-environment',
      BASE_IMAGE,
      'node',
      '/app/mcp-proxy.mjs',
      'credentials',
      'check',
      '--config',
      '/cfg/mcp-proxy.json',
      '--json',
    ]);
    const out = JSON.parse(stdout);
    expect(out.deployment.kind).toBe('docker');
    expect(out.variables).toEqual([
      {
        name: 'GITHUB_TOKEN',
        status: 'found',
        usedBy: 'config',
        source: 'docker-secret',
        origin: '/run/secrets/github_token',
        value: 're****77',
      },
      { name: 'MCP_PROXY_TOKEN', status: 'optional', usedBy: 'proxy' },
    ]);
    expect(stdout).not.toContain(secretValue);
  }, 120_000);
});
