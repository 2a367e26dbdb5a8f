// The project image (docker/Dockerfile) and docker/compose.yaml against a real engine: built once,
// run as a desktop client would (`docker run -i --rm IMAGE run --transport stdio`), and brought up
// with compose with a config and secrets, called over the published loopback port with the token; and
// the documented headless OAuth path: a login made on the workstation, handed in as a Docker secret.
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserLogin } from '../../src/upstream/oauth/login.js';
import { TokenStore } from '../../src/upstream/oauth/tokenStore.js';
import { buildProxyImage, bundleEchoServer, docker, dockerEngine, PROXY_IMAGE } from '../helpers/docker.js';
import { tmpDir } from '../helpers/files.js';
import { browse, startAuthServer, startProtectedServer } from '../helpers/oauth.js';
import { ROOT } from '../helpers/paths.js';
import { text } from '../helpers/proxy.js';

const engine = dockerEngine();
const run = promisify(execFile);

/** Compose CLIs present here: v1 (`docker-compose`) and v2 (`docker compose`). */
async function composeClis(): Promise<string[][]> {
  const clis: string[][] = [];
  for (const cli of [['docker-compose'], ['docker', 'compose']]) {
    const ok = await run(cli[0] as string, [...cli.slice(1), 'version'], { env: process.env }).then(
      () => true,
      () => false,
    );
    if (ok) clis.push(cli);
  }
  return clis;
}

describe.skipIf(!engine.ok)('project image and compose (real engine)', () => {
  beforeAll(async () => {
    // For iterating on these tests only: reuse an image built earlier.
    if (process.env.MCP_PROXY_TEST_REUSE_IMAGE === '1') return;
    // One build per run; the engine's layer cache keeps `npm ci` unless package*.json changed.
    await buildProxyImage(path.join(os.tmpdir(), `mcp-proxy-image-build-${process.pid}.log`));
  }, 1_200_000);

  it('`docker run IMAGE version` reports the docker deployment; the process is not root', async () => {
    const version = await docker(['run', '-i', '--rm', '--no-healthcheck', PROXY_IMAGE, 'version', '--json']);
    const info = JSON.parse(version);
    expect(info.name).toBe('mcp-proxy-server');
    expect(info.deployment).toBe('docker');
    const uid = await docker(['run', '--rm', '--no-healthcheck', '--entrypoint', 'id', PROXY_IMAGE, '-u']);
    expect(uid).not.toBe('0');
    const inspect = JSON.parse(await docker(['image', 'inspect', PROXY_IMAGE, '--format', '{{json .Config}}']));
    expect(inspect.User).toBe('node');
    expect(inspect.Labels['io.mcp-proxy.role']).toBe('proxy');
    expect(inspect.Healthcheck.Test).toEqual(['CMD', 'node', '/app/mcp-proxy.mjs', 'healthcheck']);
    expect(inspect.Env).toContain('MCP_PROXY_DEPLOYMENT=docker');
  });

  it('starts from the code cache made at build time, on a read-only root file system', async () => {
    const init = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    });
    const args = ['run', '-i', '--rm', '--read-only', '--no-healthcheck', '-e', 'MCP_PROXY_TRACE_STARTUP=1'];
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      const child = execFile('docker', [...args, PROXY_IMAGE, 'run', '--transport', 'stdio'], (err, out, errOut) =>
        err && !out ? reject(err) : resolve({ stdout: out, stderr: errOut }),
      );
      child.stdin?.end(`${init}\n`);
    });
    expect(JSON.parse(stdout.split('\n')[0] as string).result.serverInfo.name).toBe('mcp-proxy-server');
    expect(stderr).toMatch(/core read/);
    expect(stderr).toMatch(/core compiled \(code cache used\)/);
  });

  it('works as a desktop client command: docker run -i --rm IMAGE run --transport stdio', async () => {
    const transport = new StdioClientTransport({
      command: 'docker',
      args: ['run', '-i', '--rm', '--no-healthcheck', PROXY_IMAGE, 'run', '--transport', 'stdio'],
      env: process.env as Record<string, string>,
      stderr: 'ignore',
    });
    const client = new Client({ name: 'desktop-like', version: '1.0.0' });
    await client.connect(transport);
    try {
      const tools = (await client.listTools()).tools.map((t) => t.name);
      expect(tools).toContain('example__echo');
      expect(text(await client.callTool({ name: 'example__echo', arguments: { text: 'from a container' } }))).toBe(
        'from a container',
      );
    } finally {
      await client.close();
    }
  });

  describe('compose', () => {
    let dir: string;
    const token = `tok-${Math.random().toString(36).slice(2)}`;
    const githubToken = `ghp_${Math.random().toString(36).slice(2)}`;

    beforeAll(async () => {
      dir = tmpDir('mcp-proxy-compose-');
      chmodSync(dir, 0o755);
      mkdirSync(path.join(dir, 'config'));
      mkdirSync(path.join(dir, 'secrets'));
      mkdirSync(path.join(dir, 'fixtures'));
      writeFileSync(path.join(dir, 'fixtures/server.mjs'), await bundleEchoServer());
      writeFileSync(
        path.join(dir, 'config/mcp-proxy.json'),
        JSON.stringify({
          mcpServers: {
            // biome-ignore lint/suspicious/noTemplateCurlyInString: config variable syntax
            envecho: { command: 'node', args: ['/fixtures/server.mjs'], env: { GITHUB_TOKEN: '${GITHUB_TOKEN}' } },
          },
        }),
      );
      // Secret files are bind-mounted with their host mode and owner: the container user (uid 1000)
      // must be able to read them (docs/docker.md).
      writeFileSync(path.join(dir, 'secrets/mcp_proxy_token'), `${token}\n`, { mode: 0o644 });
      writeFileSync(path.join(dir, 'secrets/github_token'), githubToken, { mode: 0o644 });
      for (const d of ['config', 'secrets', 'fixtures']) chmodSync(path.join(dir, d), 0o755);
    });

    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('docker-compose up: healthy, token required, tool call over 127.0.0.1, secret reaches the upstream', async () => {
      const clis = await composeClis();
      if (!clis.some((c) => c[0] === 'docker' && c[1] === 'compose')) {
        console.warn('note: `docker compose` (v2) is not installed here; compose ran with v1 only');
      }
      expect(clis.length).toBeGreaterThan(0);
      const port = 20000 + (process.pid % 20000);
      // The repository's compose file, with a test override for the config, the fixture and the secrets.
      const override = {
        services: {
          'mcp-proxy': {
            volumes: [`${dir}/config:/config:ro`, `${dir}/fixtures:/fixtures:ro`],
            secrets: ['mcp_proxy_token', 'github_token'],
            healthcheck: { interval: '2s', timeout: '5s', retries: 30, start_period: '60s' },
          },
        },
        secrets: {
          mcp_proxy_token: { file: `${dir}/secrets/mcp_proxy_token` },
          github_token: { file: `${dir}/secrets/github_token` },
        },
      };
      writeFileSync(path.join(dir, 'override.yaml'), JSON.stringify(override, null, 2));
      for (const cli of clis) {
        const project = `mcpproxytest${process.pid}${cli.length}`;
        const compose = (args: string[]) =>
          run(
            cli[0] as string,
            [
              ...cli.slice(1),
              '-p',
              project,
              '-f',
              path.join(ROOT, 'docker/compose.yaml'),
              '-f',
              `${dir}/override.yaml`,
              ...args,
            ],
            {
              env: { ...process.env, MCP_PROXY_IMAGE: PROXY_IMAGE, MCP_PROXY_PORT: String(port) },
              maxBuffer: 64 * 1024 * 1024,
            },
          );
        try {
          await compose(['up', '-d', '--no-build']);
          const id = (await compose(['ps', '-q', 'mcp-proxy'])).stdout.trim();
          expect(id).toMatch(/^[0-9a-f]{12,}$/);
          let health = '';
          for (let i = 0; i < 120 && health !== 'healthy'; i++) {
            health = await docker(['inspect', '--format', '{{.State.Health.Status}}', id]);
            if (health === 'unhealthy') break;
            if (health !== 'healthy') await new Promise((r) => setTimeout(r, 1000));
          }
          if (health !== 'healthy') {
            const logs = await docker(['logs', '--tail', '50', id]).catch((e) => String(e));
            throw new Error(`container not healthy (${health}); logs:\n${logs}`);
          }
          expect(await docker(['port', id, '8765'])).toBe(`127.0.0.1:${port}`);
          const hostConfig = JSON.parse(await docker(['inspect', '--format', '{{json .HostConfig}}', id]));
          expect(hostConfig.ReadonlyRootfs).toBe(true);
          expect(hostConfig.CapDrop).toEqual(['ALL']);
          expect(hostConfig.Memory).toBe(512 * 1024 * 1024);

          const url = new URL(`http://127.0.0.1:${port}/mcp`);
          const unauthorized = await fetch(url, { method: 'POST', body: '{}' });
          expect(unauthorized.status).toBe(401);

          const client = new Client({ name: 'compose-test', version: '1.0.0' });
          await client.connect(
            new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: `Bearer ${token}` } } }),
          );
          try {
            const got = await client.callTool({ name: 'envecho__get_env', arguments: { name: 'GITHUB_TOKEN' } });
            expect(text(got)).toBe(githubToken);
            // The image's compile cache for its Node servers, on the tmpfs (docs/docker.md).
            const cache = await client.callTool({
              name: 'envecho__get_env',
              arguments: { name: 'NODE_COMPILE_CACHE' },
            });
            expect(text(cache)).toBe('/tmp/node-compile-cache');
            const who = JSON.parse(text(await client.callTool({ name: 'envecho__whoami', arguments: {} })));
            expect(who.uid).not.toBe(0);
          } finally {
            await client.close();
          }

          const check = JSON.parse(
            await docker(['exec', id, 'node', '/app/mcp-proxy.mjs', 'credentials', 'check', '--json']),
          );
          const gh = check.variables.find((v: { name: string }) => v.name === 'GITHUB_TOKEN');
          expect(gh).toMatchObject({ status: 'found', source: 'docker-secret', origin: '/run/secrets/github_token' });
          const own = check.variables.find((v: { name: string }) => v.name === 'MCP_PROXY_TOKEN');
          expect(own).toMatchObject({ source: 'docker-secret' });
          expect(JSON.stringify(check)).not.toContain(githubToken);
          expect(await docker(['exec', id, 'id', '-u'])).toBe('1000');
        } finally {
          await compose(['down', '-v', '--remove-orphans', '-t', '3']).catch(() => {});
        }
        expect((await compose(['ps', '-q'])).stdout.trim()).toBe('');
      }
    }, 600_000);
  });

  it('an OAuth login made on the workstation, handed in as the mcp_proxy_oauth_<server> secret', async () => {
    const as = await startAuthServer();
    const mcp = await startProtectedServer(as.issuer);
    const dir = tmpDir('mcp-proxy-oauth-secret-');
    try {
      // The workstation: `auth login` (its browser step followed by an HTTP client), writing the token file.
      const store = new TokenStore({ dir: path.join(dir, 'workstation', 'oauth') });
      const login = await browserLogin({
        server: 'remote',
        url: mcp.url,
        oauth: true,
        store,
        openUrl: async (u) => {
          await browse(u.href, u.searchParams.get('redirect_uri') as string);
        },
      });
      // As docs/credentials.md says: the file copied into the secrets, readable by the container user.
      for (const d of ['config', 'secrets']) mkdirSync(path.join(dir, d), { mode: 0o755 });
      chmodSync(dir, 0o755);
      const seed = path.join(dir, 'secrets', 'mcp_proxy_oauth_remote');
      writeFileSync(seed, readFileSync(store.file('remote')), { mode: 0o644 });
      chmodSync(seed, 0o644);
      const config = { mcpServers: { remote: { url: mcp.url, oauth: true } } };
      writeFileSync(path.join(dir, 'config', 'mcp-proxy.json'), JSON.stringify(config), { mode: 0o644 });
      // Host networking: the servers listen on the host's loopback, at the URL the login was made for.
      const transport = new StdioClientTransport({
        command: 'docker',
        args: [
          ...['run', '-i', '--rm', '--no-healthcheck', '--network', 'host'],
          ...['-v', `${dir}/config:/config:ro`, '-v', `${seed}:/run/secrets/mcp_proxy_oauth_remote:ro`],
          ...[PROXY_IMAGE, 'run', '--transport', 'stdio'],
        ],
        env: process.env as Record<string, string>,
        stderr: 'ignore',
      });
      const client = new Client({ name: 'oauth-secret', version: '1.0.0' });
      await client.connect(transport);
      try {
        expect(text(await client.callTool({ name: 'remote__whoami', arguments: {} }))).toBe(`alice at ${mcp.url}`);
        expect(mcp.presented.at(-1)).toBe(login.tokens?.access_token);
      } finally {
        await client.close();
      }
    } finally {
      await mcp.close();
      await as.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
