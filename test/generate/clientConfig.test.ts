// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are part of what is tested
/**
 * `generate client-config`: the entry for every client x deployment, the config file locations per OS,
 * and `--write` (merge keeping everything else, atomic, backup, idempotent). In-process through runCli.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLIENTS, type ClientId, clientConfigLocation } from '../../src/generate/clients.js';
import { VERSION } from '../../src/version.js';
import { makeContext, runInProcess } from '../helpers/cli.js';
import { type HomeAndProject, homeAndProject, listFiles } from '../helpers/files.js';
import { BUNDLE } from '../helpers/paths.js';

let tmp: HomeAndProject;
let home: string;
let cwd: string;
let configFile: string;

beforeEach(() => {
  tmp = homeAndProject('mcp-clientcfg-');
  home = tmp.home;
  cwd = tmp.cwd;
  configFile = path.join(cwd, 'mcp-proxy.json');
  fs.writeFileSync(configFile, JSON.stringify({ mcpServers: {} }));
});
afterEach(() => tmp.cleanup());

async function run(args: string[], extra: Partial<Parameters<typeof makeContext>[0]> = {}) {
  const t = makeContext({ home, cwd, ...extra });
  return runInProcess(t, ['generate', 'client-config', ...args]);
}

function snippet(stdout: string): any {
  return JSON.parse(stdout);
}

function toml(stdout: string): any {
  return parseToml(stdout);
}

const SERVERS_KEY: Record<ClientId, string> = {
  'claude-desktop': 'mcpServers',
  cursor: 'mcpServers',
  vscode: 'servers',
  'claude-code': 'mcpServers',
  windsurf: 'mcpServers',
  cline: 'mcpServers',
  zed: 'context_servers',
  'gemini-cli': 'mcpServers',
  codex: 'mcp_servers',
};

describe('entries: every client x deployment', () => {
  const expectedStdio = {
    binary: { command: '/opt/mcp-proxy/mcp-proxy', args: ['run', '--config', '<config>'] },
    node: { command: process.execPath, args: [BUNDLE, 'run', '--config', '<config>'] },
    npx: { command: 'npx', args: ['-y', `mcp-proxy-server@${VERSION}`, 'run', '--config', '<config>'] },
    docker: {
      command: 'docker',
      args: [
        'run',
        '-i',
        '--rm',
        '--cap-drop',
        'ALL',
        '--security-opt',
        'no-new-privileges',
        '-v',
        '<config>:/config/mcp-proxy.json:ro',
        'mcp-proxy-server:local',
        'run',
        '--transport',
        'stdio',
        '--config',
        '/config/mcp-proxy.json',
      ],
    },
  } as const;

  for (const client of CLIENTS) {
    for (const deployment of ['binary', 'node', 'npx', 'docker'] as const) {
      it(`${client} / ${deployment}`, async () => {
        const r = await run(['--client', client, '--deployment', deployment], {
          execPath: deployment === 'binary' ? '/opt/mcp-proxy/mcp-proxy' : process.execPath,
          deployment: deployment === 'binary' ? 'binary' : 'node',
        });
        expect(r.error).toBeUndefined();
        expect(r.status).toBe(0);
        const key = SERVERS_KEY[client];
        const s = client === 'codex' ? toml(r.stdout) : snippet(r.stdout);
        expect(Object.keys(s)).toEqual([key]);
        const entry = s[key]['mcp-proxy'];
        const want = expectedStdio[deployment];
        const args: string[] = want.args.map((a) => a.replace('<config>', configFile));
        // docker runs as our uid:gid (0600 credentials stay readable), never as root (uid 0).
        const uid = process.getuid!();
        if (deployment === 'docker' && uid !== 0) args.splice(7, 0, '--user', `${uid}:${process.getgid!()}`);
        expect(entry.command).toBe(want.command);
        expect(entry.args).toEqual(args);
        if (client === 'zed') expect(entry.env).toEqual({});
        if (client === 'vscode' || client === 'claude-code') expect(entry.type).toBe('stdio');
        else expect(entry.type).toBeUndefined();
        expect(r.stderr).toContain(
          clientConfigLocation(client, { env: {}, homedir: home, cwd, platform: 'linux' }).file,
        );
      });
    }
  }

  it('remote: Cursor url + headers with ${env:...}, VS Code type http with a prompted input, Claude Code type http', async () => {
    const url = 'https://proxy.example.com/mcp';
    const cursor = snippet((await run(['--client', 'cursor', '--deployment', 'remote', '--url', url])).stdout);
    expect(cursor).toEqual({
      mcpServers: { 'mcp-proxy': { url, headers: { Authorization: 'Bearer ${env:MCP_PROXY_TOKEN}' } } },
    });
    const vscode = snippet((await run(['--client', 'vscode', '--deployment', 'remote', '--url', url])).stdout);
    expect(vscode.servers['mcp-proxy']).toEqual({
      type: 'http',
      url,
      headers: { Authorization: 'Bearer ${input:mcp-proxy-token}' },
    });
    expect(vscode.inputs).toEqual([
      { type: 'promptString', id: 'mcp-proxy-token', description: expect.any(String), password: true },
    ]);
    const cc = snippet((await run(['--client', 'claude-code', '--deployment', 'remote'])).stdout);
    expect(cc.mcpServers['mcp-proxy']).toEqual({
      type: 'http',
      url: 'http://127.0.0.1:8765/mcp',
      headers: { Authorization: 'Bearer ${MCP_PROXY_TOKEN}' },
    });
  });

  it('remote for Claude Desktop is refused with the local-stdio alternative', async () => {
    const r = await run(['--client', 'claude-desktop', '--deployment', 'remote', '--url', 'https://h/mcp']);
    expect(r.status).toBe(2);
    expect(r.error).toMatch(/Claude Desktop does not take URLs/);
    expect(r.error).toContain('"remote": { "url": "https://h/mcp"');
    expect(r.error).toContain('--client claude-desktop --deployment node');
    expect(r.stdout).toBe('');
  });

  it('defaults to the detected deployment; npx on Windows goes through cmd /c', async () => {
    const r = await run(['--client', 'cursor'], { deployment: 'npx', platform: 'win32' });
    const entry = snippet(r.stdout).mcpServers['mcp-proxy'];
    expect(entry.command).toBe('cmd');
    expect(entry.args.slice(0, 4)).toEqual(['/c', 'npx', '-y', `mcp-proxy-server@${VERSION}`]);
    // The pinned package must exist on the registry: say so, with the alternatives that work today.
    expect(r.stderr).toContain(`npx fetches mcp-proxy-server@${VERSION} from your npm registry`);
    expect(r.stderr).toContain('use --deployment node');
  });

  it('passes an explicit --credentials file, and docker mounts the default one when it exists', async () => {
    const cred = path.join(tmp.dir, 'creds.json');
    const r = await run(['--client', 'claude-desktop', '--deployment', 'node', '--credentials', cred]);
    expect(snippet(r.stdout).mcpServers['mcp-proxy'].args.slice(-2)).toEqual(['--credentials', cred]);

    const def = path.join(home, '.config', 'mcp-proxy', 'credentials.json');
    fs.mkdirSync(path.dirname(def), { recursive: true });
    fs.writeFileSync(def, '{}', { mode: 0o600 });
    const d = snippet((await run(['--client', 'cursor', '--deployment', 'docker', '--image', 'me/proxy:1'])).stdout);
    const args: string[] = d.mcpServers['mcp-proxy'].args;
    expect(args).toContain(`${def}:/config/credentials.json:ro`);
    if (process.getuid!() === 0) expect(args).not.toContain('--user');
    else expect(args[args.indexOf('--user') + 1]).toBe(`${process.getuid!()}:${process.getgid!()}`);
    expect(args).toContain('me/proxy:1');
    expect(args.slice(-2)).toEqual(['--credentials', '/config/credentials.json']);
  });

  it('without --config uses the config `run` would find, else the user config path', async () => {
    fs.rmSync(configFile);
    const r = await run(['--client', 'cursor', '--deployment', 'node']);
    const want = path.join(home, '.config', 'mcp-proxy', 'config.json');
    expect(snippet(r.stdout).mcpServers['mcp-proxy'].args).toEqual([BUNDLE, 'run', '--config', want]);
    expect(r.stderr).toContain(`${want} does not exist yet`);
  });

  it('needs --client', async () => {
    const r = await run([]);
    expect(r.status).toBe(2);
    expect(r.error).toMatch(/needs --client/);
  });
});

describe('client config locations', () => {
  const ctx = (platform: NodeJS.Platform, env: Record<string, string> = {}) => ({
    env,
    homedir: platform === 'win32' ? 'C:\\Users\\me' : '/home/me',
    cwd: platform === 'win32' ? 'C:\\work' : '/work',
    platform,
  });
  it('Claude Desktop on macOS, Windows and Linux', () => {
    expect(clientConfigLocation('claude-desktop', { ...ctx('darwin'), homedir: '/Users/me' }).file).toBe(
      '/Users/me/Library/Application Support/Claude/claude_desktop_config.json',
    );
    expect(
      clientConfigLocation('claude-desktop', ctx('win32', { APPDATA: 'C:\\Users\\me\\AppData\\Roaming' })).file,
    ).toBe('C:\\Users\\me\\AppData\\Roaming\\Claude\\claude_desktop_config.json');
    expect(clientConfigLocation('claude-desktop', ctx('linux')).file).toBe(
      '/home/me/.config/Claude/claude_desktop_config.json',
    );
    expect(clientConfigLocation('claude-desktop', ctx('linux', { XDG_CONFIG_HOME: '/xdg' })).file).toBe(
      '/xdg/Claude/claude_desktop_config.json',
    );
    expect(() => clientConfigLocation('claude-desktop', ctx('linux'), true)).toThrow(/no per-project/);
  });
  it('Cursor, VS Code and Claude Code, global and project', () => {
    expect(clientConfigLocation('cursor', ctx('linux'))).toMatchObject({
      file: '/home/me/.cursor/mcp.json',
      key: 'mcpServers',
    });
    expect(clientConfigLocation('cursor', ctx('linux'), true).file).toBe('/work/.cursor/mcp.json');
    expect(clientConfigLocation('vscode', ctx('linux'))).toMatchObject({
      file: '/home/me/.config/Code/User/mcp.json',
      key: 'servers',
    });
    expect(clientConfigLocation('vscode', { ...ctx('darwin'), homedir: '/Users/me' }).file).toBe(
      '/Users/me/Library/Application Support/Code/User/mcp.json',
    );
    expect(clientConfigLocation('vscode', ctx('win32', { APPDATA: 'C:\\AD' })).file).toBe(
      'C:\\AD\\Code\\User\\mcp.json',
    );
    expect(clientConfigLocation('vscode', ctx('linux'), true)).toMatchObject({
      file: '/work/.vscode/mcp.json',
      key: 'servers',
    });
    expect(clientConfigLocation('claude-code', ctx('linux')).file).toBe('/home/me/.claude.json');
    expect(clientConfigLocation('claude-code', ctx('linux'), true).file).toBe('/work/.mcp.json');
    expect(clientConfigLocation('cursor', ctx('win32')).file).toBe('C:\\Users\\me\\.cursor\\mcp.json');
  });
});

describe('--write', () => {
  const desktopFile = () => path.join(home, '.config', 'Claude', 'claude_desktop_config.json');

  it('merges into the existing file keeping every other entry and setting, with a backup; twice changes nothing', async () => {
    const original = `{
    "globalShortcut": "Ctrl+Space",
    "mcpServers": {
        "other": { "command": "uvx", "args": ["mcp-server-time"], "env": { "TZ": "UTC" } }
    },
    "preferences": { "theme": "dark" }
}
`;
    fs.mkdirSync(path.dirname(desktopFile()), { recursive: true });
    fs.writeFileSync(desktopFile(), original, { mode: 0o640 });

    const r1 = await run(['--client', 'claude-desktop', '--deployment', 'node', '--write']);
    expect(r1.error).toBeUndefined();
    expect(r1.stdout).toMatch(/^updated .*claude_desktop_config\.json \(backup: .*\.bak-\d{8}T\d{6}Z\)/);
    const after = JSON.parse(fs.readFileSync(desktopFile(), 'utf8'));
    expect(after.globalShortcut).toBe('Ctrl+Space');
    expect(after.preferences).toEqual({ theme: 'dark' });
    expect(after.mcpServers.other).toEqual({ command: 'uvx', args: ['mcp-server-time'], env: { TZ: 'UTC' } });
    expect(after.mcpServers['mcp-proxy']).toEqual({
      command: process.execPath,
      args: [BUNDLE, 'run', '--config', configFile],
    });
    // The file keeps its own indentation (4 spaces) and mode.
    expect(fs.readFileSync(desktopFile(), 'utf8')).toContain('\n    "mcpServers": {\n        "other"');
    expect(fs.statSync(desktopFile()).mode & 0o777).toBe(0o640);
    const dir = path.dirname(desktopFile());
    const backups = listFiles(dir).filter((f) => f.includes('.bak-'));
    expect(backups).toHaveLength(1);
    expect(fs.readFileSync(path.join(dir, backups[0]), 'utf8')).toBe(original);
    expect(listFiles(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const before2 = fs.readFileSync(desktopFile(), 'utf8');
    const r2 = await run(['--client', 'claude-desktop', '--deployment', 'node', '--write']);
    expect(r2.stdout).toMatch(/unchanged/);
    expect(fs.readFileSync(desktopFile(), 'utf8')).toBe(before2);
    expect(listFiles(dir).filter((f) => f.includes('.bak-'))).toHaveLength(1);
  });

  it('creates a missing client file (and its directory) with just the proxy entry', async () => {
    const r = await run(['--client', 'cursor', '--deployment', 'npx', '--write', '--project']);
    expect(r.error).toBeUndefined();
    const file = path.join(cwd, '.cursor', 'mcp.json');
    expect(r.stdout).toBe(`created ${file}\n`);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).mcpServers['mcp-proxy'].command).toBe('npx');
  });

  it('VS Code: keeps comments, adds the entry under "servers" and the token input once', async () => {
    const file = path.join(cwd, '.vscode', 'mcp.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const original = `{
  // my servers
  "inputs": [{ "type": "promptString", "id": "gh", "password": true }],
  "servers": {
    "gh": { "type": "http", "url": "https://api.githubcopilot.com/mcp/", },
  },
}
`;
    fs.writeFileSync(file, original);
    const args = [
      '--client',
      'vscode',
      '--project',
      '--deployment',
      'remote',
      '--url',
      'http://127.0.0.1:9/mcp',
      '--write',
    ];
    const r = await run(args);
    expect(r.error).toBeUndefined();
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toContain('// my servers');
    // Lines next to an insertion are re-indented (jsonc-parser formats whole lines); content is kept.
    const { parse } = await import('jsonc-parser');
    const value = parse(text, [], { allowTrailingComma: true });
    expect(value.inputs[0]).toEqual({ type: 'promptString', id: 'gh', password: true });
    expect(value.servers.gh).toEqual({ type: 'http', url: 'https://api.githubcopilot.com/mcp/' });
    expect(value.servers['mcp-proxy'].type).toBe('http');
    expect(value.inputs.map((i: { id: string }) => i.id)).toEqual(['gh', 'mcp-proxy-token']);
    const r2 = await run(args);
    expect(r2.stdout).toMatch(/unchanged/);
    expect(fs.readFileSync(file, 'utf8')).toBe(text);
  });

  it('Claude Code user file: only top-level mcpServers changes, all other state is kept', async () => {
    const file = path.join(home, '.claude.json');
    const state = { numStartups: 7, projects: { '/x': { mcpServers: { p: { command: 'p' } } } }, mcpServers: {} };
    fs.writeFileSync(file, JSON.stringify(state));
    await run(['--client', 'claude-code', '--deployment', 'node', '--write']);
    const after = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(after.numStartups).toBe(7);
    expect(after.projects).toEqual(state.projects);
    expect(after.mcpServers['mcp-proxy']).toMatchObject({ type: 'stdio', command: process.execPath, env: {} });
  });

  it('a client file that is not valid JSON is named with line:column and left untouched', async () => {
    fs.mkdirSync(path.dirname(desktopFile()), { recursive: true });
    const bad = '{\n  "mcpServers": {\n    "a": { "command": "x" }\n    "b": {}\n  }\n}\n';
    fs.writeFileSync(desktopFile(), bad);
    const r = await run(['--client', 'claude-desktop', '--deployment', 'node', '--write']);
    expect(r.status).toBe(2);
    expect(r.error).toContain(`${desktopFile()}:4:5 is not valid JSON`);
    expect(r.error).toMatch(/comma/);
    expect(fs.readFileSync(desktopFile(), 'utf8')).toBe(bad);
    expect(listFiles(path.dirname(desktopFile()))).toEqual(['claude_desktop_config.json']);
  });

  it('a client file whose top level is not an object is refused', async () => {
    fs.mkdirSync(path.dirname(desktopFile()), { recursive: true });
    fs.writeFileSync(desktopFile(), '[1, 2]');
    const r = await run(['--client', 'claude-desktop', '--deployment', 'node', '--write']);
    expect(r.status).toBe(2);
    expect(r.error).toContain(`${desktopFile()} must hold a JSON object`);
    expect(fs.readFileSync(desktopFile(), 'utf8')).toBe('[1, 2]');
  });
});

describe('writeFileAtomic', () => {
  it('updates a symlinked file where it points and keeps the link', async () => {
    const { writeFileAtomic } = await import('../../src/generate/jsonFile.js');
    const real = path.join(tmp.dir, 'dotfiles', 'mcp.json');
    fs.mkdirSync(path.dirname(real), { recursive: true });
    fs.writeFileSync(real, '{}\n');
    const link = path.join(home, '.cursor', 'mcp.json');
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(real, link);
    const r = writeFileAtomic(link, '{"a": 1}\n');
    expect(r).toMatchObject({ file: link, changed: true, created: false });
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(real, 'utf8')).toBe('{"a": 1}\n');
    expect(r.backup && path.dirname(r.backup)).toBe(path.dirname(real));
  });
});
