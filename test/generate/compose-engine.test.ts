// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are part of what is tested
/**
 * The GENERATED compose setup on a real engine: `generate compose` (built bundle) for a config whose
 * upstream needs a secret from the credentials file, then `docker-compose up`: healthy, token required,
 * the secret reaches the upstream as a Docker secret, the proxy does not run as root. Runs only with
 * the Docker opt-in (test/helpers/docker.ts); builds the project image only when it is absent.
 */
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProxyImage, bundleEchoServer, docker, dockerEngine, PROXY_IMAGE } from '../helpers/docker.js';
import { tempDir, writeFile } from '../helpers/files.js';
import { BUNDLE } from '../helpers/paths.js';

const run = promisify(execFile);
const dockerReady = dockerEngine();
const composeBin = dockerReady.ok && spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0;
const engine = composeBin ? dockerReady : { ok: false };
if (dockerReady.ok && !composeBin)
  console.warn('\n*** docker-compose is not installed: the generated-compose engine test is SKIPPED ***\n');

function textOf(result: unknown): string {
  return ((result as { content: { text: string }[] }).content[0] ?? { text: '' }).text;
}

describe.skipIf(!engine.ok)('generated compose on a real engine', () => {
  const tmp = tempDir('mcp-compose-engine-');
  const out = path.join(tmp.dir, 'deploy');
  const project = `mcponboard${process.pid}`;
  const port = 21000 + (process.pid % 20000);
  const GH = 'ghp_composeEngineToken0123456789abcdef';
  const compose = (args: string[]) =>
    run('docker-compose', ['-p', project, '-f', path.join(out, 'compose.yaml'), ...args], {
      cwd: out,
      maxBuffer: 64 * 1024 * 1024,
    });

  beforeAll(async () => {
    const present = await docker(['image', 'inspect', PROXY_IMAGE]).then(
      () => true,
      () => false,
    );
    if (!present) await buildProxyImage(path.join(os.tmpdir(), `mcp-proxy-image-build-${process.pid}.log`));
  }, 1_200_000);

  afterAll(async () => {
    await compose(['down', '-v', '--timeout', '2']).catch(() => {});
    tmp.cleanup();
  });

  it('serves with the token, the secret reaches the upstream, not as root', async () => {
    const home = path.join(tmp.dir, 'home');
    const cred = path.join(home, '.config', 'mcp-proxy', 'credentials.json');
    writeFile(cred, JSON.stringify({ GITHUB_TOKEN: GH }));
    const config = path.join(tmp.dir, 'mcp-proxy.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        mcpServers: {
          envecho: { command: 'node', args: ['/config/echo.mjs'], env: { GITHUB_TOKEN: '${GITHUB_TOKEN}' } },
        },
      }),
    );
    const g = spawnSync(
      process.execPath,
      [
        BUNDLE,
        'generate',
        'compose',
        '--config',
        config,
        '--output',
        out,
        '--image',
        PROXY_IMAGE,
        '--port',
        String(port),
      ],
      { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: home, MCP_PROXY_DEPLOYMENT: 'node' } },
    );
    expect(g.stderr).not.toMatch(/^error/m);
    expect(g.status).toBe(0);
    // The upstream fixture, bundled, next to the config (the config directory is what the container sees).
    fs.writeFileSync(path.join(out, 'config', 'echo.mjs'), await bundleEchoServer());
    const token = fs.readFileSync(path.join(out, 'secrets', 'mcp_proxy_token'), 'utf8').trim();

    await compose(['up', '-d']);
    const id = (await compose(['ps', '-q', 'mcp-proxy'])).stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{12,}$/);
    // Poll /ready (authenticated) rather than the 30 s healthcheck interval.
    const url = `http://127.0.0.1:${port}`;
    let ready = false;
    for (let i = 0; i < 120 && !ready; i++) {
      ready = await fetch(`${url}/ready`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(2000),
      }).then(
        (r) => r.ok,
        () => false,
      );
      if (!ready) await new Promise((r) => setTimeout(r, 500));
    }
    if (!ready) throw new Error(`not ready; logs:\n${await docker(['logs', '--tail', '50', id]).catch(String)}`);

    const hostConfig = JSON.parse(await docker(['inspect', '--format', '{{json .HostConfig}}', id]));
    expect(hostConfig.ReadonlyRootfs).toBe(true);
    expect(hostConfig.CapDrop).toEqual(['ALL']);
    expect(hostConfig.SecurityOpt).toContain('no-new-privileges:true');
    expect(await docker(['port', id, '8765'])).toBe(`127.0.0.1:${port}`);

    expect((await fetch(`${url}/mcp`, { method: 'POST', body: '{}' })).status).toBe(401);
    const client = new Client({ name: 'compose-engine-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    try {
      expect(textOf(await client.callTool({ name: 'envecho__get_env', arguments: { name: 'GITHUB_TOKEN' } }))).toBe(GH);
      const who = JSON.parse(textOf(await client.callTool({ name: 'envecho__whoami', arguments: {} })));
      expect(who.uid).not.toBe(0);
    } finally {
      await client.close();
    }
    const check = JSON.parse(
      await docker([
        'exec',
        id,
        'node',
        '/app/mcp-proxy.mjs',
        'credentials',
        'check',
        '--json',
        '--config',
        '/config/mcp-proxy.json',
      ]),
    );
    expect(check.variables.find((v: { name: string }) => v.name === 'GITHUB_TOKEN')).toMatchObject({
      status: 'found',
      source: 'docker-secret',
    });
  }, 120_000);

  it('the docker client-config entry starts the proxy over stdio with the credentials file mounted', async () => {
    const home = path.join(tmp.dir, 'home2');
    const cred = path.join(home, '.config', 'mcp-proxy', 'credentials.json');
    writeFile(cred, JSON.stringify({ GITHUB_TOKEN: GH }));
    const dir = path.join(tmp.dir, 'stdio');
    fs.mkdirSync(dir, { recursive: true });
    const config = path.join(dir, 'mcp-proxy.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        mcpServers: { example: { command: 'node', args: ['/app/mcp-proxy.mjs', '__example-server'] } },
        proxy: { name: '${GITHUB_TOKEN}' },
      }),
    );
    const g = spawnSync(
      process.execPath,
      [BUNDLE, 'generate', 'client-config', '--client', 'cursor', '--deployment', 'docker', '--config', config],
      {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', HOME: home, MCP_PROXY_DEPLOYMENT: 'node', MCP_PROXY_IMAGE: PROXY_IMAGE },
      },
    );
    expect(g.status).toBe(0);
    if (process.getuid?.() === 0) {
      // The container keeps the image's non-root user; as root the generator says how to hand it the file,
      // and a user who follows that note gets a working entry.
      expect(g.stderr).toContain('chown 1000');
      fs.chownSync(cred, 1000, 1000);
    }
    const entry = JSON.parse(g.stdout).mcpServers['mcp-proxy'];
    expect(entry.args).toContain(PROXY_IMAGE);
    expect(entry.args).toContain(`${cred}:/config/credentials.json:ro`);
    const { StdioClientTransport } = await import('@modelcontextprotocol/client/stdio');
    const client = new Client({ name: 'docker-entry-test', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: entry.command, args: entry.args, stderr: 'pipe' }));
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('example__echo');
      // ${GITHUB_TOKEN} in the config resolved from the mounted credentials file: the server name.
      expect(client.getServerVersion()?.name).toBe(GH);
    } finally {
      await client.close();
    }
  }, 120_000);
});
