/**
 * OAuth to an upstream through the BUILT proxy, every part real: oidc-provider as the authorization
 * server, an SDK MCP server that checks the JWT, `run --transport http` as one process and
 * `auth login` as another. Before the login the server is `needs-login` everywhere a user looks, with
 * the exact command; the login made in the other process reaches the running proxy without a restart.
 * Then the headless path: the token file handed in as a Docker secret (`mcp_proxy_oauth_<server>` in
 * the secrets directory) logs a fresh installation in.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build.js';
import { tmpDir, writeConfig } from '../helpers/files.js';
import { type HttpProxy, startHttpProxy } from '../helpers/httpProxy.js';
import {
  type AuthServer,
  browse,
  type ProtectedServer,
  startAuthServer,
  startProtectedServer,
} from '../helpers/oauth.js';
import { BUNDLE, ECHO, NODE } from '../helpers/paths.js';
import { waitFor } from '../helpers/wait.js';

const execRun = promisify(execFile);
const TOKEN = 'e2e-oauth-proxy-token-0123456789';
const auth = { headers: { authorization: `Bearer ${TOKEN}` } };
let as: AuthServer;
let mcp: ProtectedServer;
let dir: string;
let config: string;
const proxies: HttpProxy[] = [];
const clients: Client[] = [];

beforeAll(async () => {
  ensureBuilt();
  as = await startAuthServer();
  mcp = await startProtectedServer(as.issuer);
  dir = tmpDir('mcp-oauth-e2e-');
  config = writeConfig(dir, {
    mcpServers: { remote: { url: mcp.url, oauth: true }, echo: { command: NODE, args: [ECHO] } },
  });
}, 60_000);
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(proxies.splice(0).map((p) => p.stop()));
});
afterAll(async () => {
  await mcp?.close();
  await as?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const envFor = (home: string, secrets = path.join(dir, 'no-secrets')): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH ?? '',
  HOME: home,
  MCP_PROXY_TOKEN: TOKEN,
  MCP_PROXY_SECRETS_DIR: secrets,
});

async function start(env: NodeJS.ProcessEnv): Promise<HttpProxy> {
  const proxy = await startHttpProxy(['--config', config], { env, cwd: dir });
  proxies.push(proxy);
  return proxy;
}

interface ReadyRow {
  name: string;
  state: string;
  lastError?: string;
}

async function upstream(proxy: HttpProxy, name: string): Promise<ReadyRow | undefined> {
  const body = (await (await fetch(`${proxy.base}/ready`, auth)).json()) as { upstreams: ReadyRow[] };
  return body.upstreams.find((u) => u.name === name);
}

async function connect(proxy: HttpProxy): Promise<Client> {
  const client = new Client({ name: 'e2e-oauth', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(proxy.url), { requestInit: auth }));
  clients.push(client);
  return client;
}

async function whoami(client: Client): Promise<string> {
  const r = await client.callTool({ name: 'remote__whoami', arguments: {} });
  return (r.content as { text: string }[])[0].text;
}

/** `auth login remote --no-browser` as its own process; resolves with the URL it prints. */
function loginProcess(env: NodeJS.ProcessEnv): { child: ChildProcess; url: Promise<string>; done: Promise<string> } {
  const child = spawn(NODE, [BUNDLE, 'auth', 'login', 'remote', '--no-browser', '--config', config], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c) => {
    out += c;
  });
  const url = new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (c) => {
      err += c;
      const m = /^\s+(http\S+)$/m.exec(err);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', () => reject(new Error(`auth login exited before printing a URL: ${err}`)));
  });
  const done = new Promise<string>((resolve, reject) =>
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`auth login exited ${code}: ${err}`)))),
  );
  return { child, url, done };
}

describe('OAuth upstream through the built proxy', () => {
  it('needs-login before the login (with the command); a login in another process is picked up live', async () => {
    const home = path.join(dir, 'home');
    const env = envFor(home);
    const command = `mcp-proxy auth login remote --config ${config}`;
    const proxy = await start(env);
    const before = await waitFor(async () => {
      const row = await upstream(proxy, 'remote');
      return row?.state === 'needs-login' && (await upstream(proxy, 'echo'))?.state === 'ready' ? row : undefined;
    }, 'remote to need a login, echo to be ready');
    expect(before?.lastError).toBe(`needs login: not logged in; run \`${command}\``);

    const status = await execRun(NODE, [BUNDLE, 'status', '--url', proxy.url, '--json'], { env }).catch((e) => e);
    expect(status.code).toBe(4);
    const rows = JSON.parse(status.stdout).upstreams as ReadyRow[];
    expect(rows.find((u) => u.name === 'remote')).toMatchObject({ state: 'needs-login', lastError: before?.lastError });

    // A client's call to the server's tool says what to run.
    const client = await connect(proxy);
    const refused = await client.callTool({ name: 'remote__whoami', arguments: {} }).catch((e: Error) => e);
    expect(String((refused as Error).message ?? refused)).toContain(`run \`${command}\``);

    const login = loginProcess(env);
    const url = await login.url;
    await browse(url, new URL(url).searchParams.get('redirect_uri') as string);
    expect(await login.done).toMatch(/^logged in to remote \(at http:\/\/127\.0\.0\.1:\d+/);

    await waitFor(
      async () => (await upstream(proxy, 'remote'))?.state === 'ready',
      'the running proxy to log in',
    ).catch((e: Error) => {
      throw new Error(`${e.message}\nthe proxy's log:\n${proxy.stderr()}`);
    });
    expect(await whoami(client)).toBe(`alice at ${mcp.url}`);
    const file = path.join(home, '.config', 'mcp-proxy', 'oauth', 'remote.json');
    const stored = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(mcp.presented.at(-1)).toBe(stored.tokens.access_token);
    // The proxy's log masks the token it sends.
    expect(proxy.stderr()).not.toContain(stored.tokens.access_token);
  }, 90_000);

  it('the token file handed in as a Docker secret logs a fresh installation in', async () => {
    const made = path.join(dir, 'home', '.config', 'mcp-proxy', 'oauth', 'remote.json');
    expect(fs.existsSync(made)).toBe(true);
    // As the docs say: copied to the secrets directory, readable by the container user.
    const secrets = path.join(dir, 'secrets');
    fs.mkdirSync(secrets, { recursive: true });
    const seed = path.join(secrets, 'mcp_proxy_oauth_remote');
    fs.copyFileSync(made, seed);
    fs.chmodSync(seed, 0o644);
    const home = path.join(dir, 'container-home');
    const env = envFor(home, secrets);

    const status = await execRun(NODE, [BUNDLE, 'auth', 'status', '--json', '--config', config], { env });
    expect(JSON.parse(status.stdout).servers[0]).toMatchObject({ server: 'remote', state: 'logged in', file: seed });

    const proxy = await start(env);
    await waitFor(async () => (await upstream(proxy, 'remote'))?.state === 'ready', 'remote to be ready');
    expect(await whoami(await connect(proxy))).toBe(`alice at ${mcp.url}`);
    expect(fs.existsSync(path.join(home, '.config', 'mcp-proxy', 'oauth', 'remote.json'))).toBe(false);
  }, 60_000);
});
