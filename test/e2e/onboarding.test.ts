// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are part of what is tested
/**
 * A new user's path, through the BUILT bundle and only the commands the README shows: from a Claude
 * Desktop config full of literal secrets (in env, in args, in a header of a remote server) to the
 * client starting one proxy that serves the same servers, with every secret in the credentials store
 * and in no other file (backups included) and no command's output; then `add` and `remove` on the
 * running proxy, and `restore` to undo.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureBuilt, runBundle } from '../helpers/build.js';
import { filesUnder, homeAndProject } from '../helpers/files.js';
import { ENV_ECHO, FIXTURES, NODE } from '../helpers/paths.js';
import { text } from '../helpers/proxy.js';
import { waitFor } from '../helpers/wait.js';

const GH_TOKEN = 'ghp_onboardingToken0123456789abcdefghij';
const DB_URL = 'postgresql://admin:Onb0ard-Secret-Pw@db.internal:5432/app';
const REMOTE_TOKEN = 'sk-onboardingRemote0123456789abcdefgh';
const ADDED_KEY = 'sk-onboardingAdded0123456789abcdefghi';
const SECRETS = [GH_TOKEN, DB_URL, 'Onb0ard-Secret-Pw', REMOTE_TOKEN, ADDED_KEY];

const tmp = homeAndProject('mcp-onboarding-');
const desktopFile = path.join(tmp.home, '.config', 'Claude', 'claude_desktop_config.json');
const credFile = path.join(tmp.home, '.config', 'mcp-proxy', 'credentials.json');
let remote: ChildProcess;
let remoteUrl: string;
let original: string;
const outputs: string[] = [];

beforeAll(async () => {
  ensureBuilt();
  remote = spawn(NODE, [path.join(FIXTURES, 'sdk-http-server.mjs')], {
    env: { PATH: process.env.PATH ?? '', PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<string>((resolve, reject) => {
    let out = '';
    remote.stdout!.on('data', (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(m[1]);
    });
    remote.once('exit', (code) => reject(new Error(`sdk-http-server exited with ${code}`)));
  });
  remoteUrl = `http://127.0.0.1:${port}/mcp`;
  const desktop = {
    globalShortcut: 'Alt+Space',
    mcpServers: {
      github: { command: NODE, args: [ENV_ECHO], env: { GITHUB_PERSONAL_ACCESS_TOKEN: GH_TOKEN } },
      postgres: { command: NODE, args: [ENV_ECHO, DB_URL] },
      remote: { url: remoteUrl, headers: { Authorization: `Bearer ${REMOTE_TOKEN}` } },
    },
  };
  original = `${JSON.stringify(desktop, null, 2)}\n`;
  fs.mkdirSync(path.dirname(desktopFile), { recursive: true });
  fs.writeFileSync(desktopFile, original);
}, 30_000);

afterAll(() => {
  remote?.kill('SIGKILL');
  tmp.cleanup();
});

/** `mcp-proxy ARGS` as the README runs it (`node dist/mcp-proxy.mjs` in a clone), from the user's project. */
function mcpProxy(...args: string[]) {
  const r = runBundle(args, { cwd: tmp.cwd, env: { PATH: process.env.PATH ?? '', HOME: tmp.home } });
  outputs.push(`${r.stdout}${r.stderr}`);
  expect(r.status, `mcp-proxy ${args[0]}: ${r.stderr}`).toBe(0);
  return r;
}

/** Every file under the temporary home and project that holds `secret`. */
function filesHolding(secret: string): string[] {
  return Object.entries(filesUnder(tmp.dir))
    .filter(([, content]) => content.includes(secret))
    .map(([file]) => file);
}

function expectSecretsOnlyInTheStore(): void {
  for (const s of SECRETS.filter((x) => x !== ADDED_KEY)) expect(filesHolding(s), s).toEqual([credFile]);
  expect(fs.statSync(credFile).mode & 0o777).toBe(0o600);
  for (const out of outputs) for (const s of SECRETS) expect(out).not.toContain(s);
}

it('goes from literal secrets in Claude Desktop to one proxy, the secrets only in the store, and back', async () => {
  // 1. The plan: nothing is written.
  const before = filesUnder(tmp.dir);
  const plan = mcpProxy('import', '--from', 'claude-desktop', '--dry-run');
  expect(plan.stdout).toContain('Dry run: nothing was written');
  expect(filesUnder(tmp.dir)).toEqual(before);

  // 2. Do it.
  mcpProxy('import', '--from', 'claude-desktop', '--write', '--yes');
  expectSecretsOnlyInTheStore();
  const client = JSON.parse(fs.readFileSync(desktopFile, 'utf8'));
  expect(client.globalShortcut).toBe('Alt+Space');
  expect(Object.keys(client.mcpServers)).toEqual(['mcp-proxy']);

  // 3. What the README says to check: the config is valid and every ${VAR} is found.
  expect(mcpProxy('validate').stdout).toContain('3 servers');
  expect(mcpProxy('credentials', 'check').stdout).toMatch(/ok\s+REMOTE_TOKEN\s+sk\*+gh/);
  expect(mcpProxy('list').stdout).toMatch(/remote\s+http\s+yes/);

  // 4. The client starts the proxy exactly as its entry says: the same servers, their secrets from the store.
  const entry = client.mcpServers['mcp-proxy'];
  const transport = new StdioClientTransport({
    command: entry.command,
    args: entry.args,
    env: { PATH: process.env.PATH ?? '', HOME: tmp.home },
    cwd: tmp.cwd,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const mcp = new Client({ name: 'claude-desktop', version: '1.0.0' });
  const names = async () => (await mcp.listTools()).tools.map((t) => t.name);
  const getEnv = async (tool: string, name: string) => text(await mcp.callTool({ name: tool, arguments: { name } }));
  try {
    await mcp.connect(transport);
    const all = ['github__get_env', 'postgres__get_env', 'remote__echo'];
    await waitFor(async () => {
      const now = await names();
      return all.every((n) => now.includes(n));
    }, 'every imported server listed');
    expect(await getEnv('github__get_env', 'GITHUB_PERSONAL_ACCESS_TOKEN')).toBe(GH_TOKEN);
    expect(text(await mcp.callTool({ name: 'remote__echo', arguments: { text: 'hi' } }))).toBe('hi');

    // 5. Servers change on the running proxy, without a restart; a secret given to `add` goes to the store.
    mcpProxy('add', 'weather', '--env', `API_KEY=${ADDED_KEY}`, '--', NODE, ENV_ECHO);
    await waitFor(async () => (await names()).includes('weather__get_env'), 'weather__get_env after add');
    expect(await getEnv('weather__get_env', 'API_KEY')).toBe(ADDED_KEY);
    expect(filesHolding(ADDED_KEY)).toEqual([credFile]);
    mcpProxy('remove', 'postgres');
    await waitFor(async () => !(await names()).includes('postgres__get_env'), 'postgres__get_env gone after remove');
    expectSecretsOnlyInTheStore();
    for (const s of SECRETS) expect(stderr).not.toContain(s);
  } catch (e) {
    throw new Error(`${(e as Error).message}\nproxy stderr:\n${stderr}`);
  } finally {
    await mcp.close().catch(() => {});
  }

  // 6. Undo: the client config as it was, secrets filled in from the store.
  mcpProxy('restore', '--client', 'claude-desktop');
  expect(fs.readFileSync(desktopFile, 'utf8')).toBe(original);
}, 90_000);
