// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are part of what is tested
/**
 * Windsurf, Cline, Zed, Gemini CLI and Codex (TOML): their documented files per OS, their entry dialects,
 * `--write` into each keeping the user's other settings and comments, and `import --from` each.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clientConfigLocation } from '../../src/generate/clients.js';
import { setTomlTable } from '../../src/generate/tomlFile.js';
import { makeContext, runInProcess } from '../helpers/cli.js';
import { type HomeAndProject, homeAndProject, listFiles } from '../helpers/files.js';
import { BUNDLE } from '../helpers/paths.js';

let tmp: HomeAndProject;
let home: string;
let cwd: string;
let configFile: string;

beforeEach(() => {
  tmp = homeAndProject('mcp-moreclients-');
  home = tmp.home;
  cwd = tmp.cwd;
  configFile = path.join(cwd, 'mcp-proxy.json');
  fs.writeFileSync(configFile, JSON.stringify({ mcpServers: {} }));
});
afterEach(() => tmp.cleanup());

async function cli(args: string[], env: Record<string, string> = {}) {
  return runInProcess(makeContext({ home, cwd, env }), args);
}

describe('where each client keeps its config', () => {
  const linux = { env: {}, homedir: '/home/me', cwd: '/work', platform: 'linux' as const };
  const mac = { env: {}, homedir: '/Users/me', cwd: '/work', platform: 'darwin' as const };
  const win = {
    env: { APPDATA: 'C:\\Users\\me\\AppData\\Roaming' },
    homedir: 'C:\\Users\\me',
    cwd: 'C:\\work',
    platform: 'win32' as const,
  };
  const cases: [string, typeof linux | typeof mac | typeof win, string][] = [
    ['windsurf', linux, '/home/me/.codeium/windsurf/mcp_config.json'],
    ['windsurf', mac, '/Users/me/.codeium/windsurf/mcp_config.json'],
    ['windsurf', win, 'C:\\Users\\me\\.codeium\\windsurf\\mcp_config.json'],
    [
      'cline',
      linux,
      '/home/me/.config/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json',
    ],
    [
      'cline',
      mac,
      '/Users/me/Library/Application Support/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json',
    ],
    [
      'cline',
      win,
      'C:\\Users\\me\\AppData\\Roaming\\Code\\User\\globalStorage\\saoudrizwan.claude-dev\\settings\\cline_mcp_settings.json',
    ],
    ['zed', linux, '/home/me/.config/zed/settings.json'],
    ['zed', mac, '/Users/me/.config/zed/settings.json'],
    ['zed', win, 'C:\\Users\\me\\AppData\\Roaming\\Zed\\settings.json'],
    ['gemini-cli', linux, '/home/me/.gemini/settings.json'],
    ['gemini-cli', win, 'C:\\Users\\me\\.gemini\\settings.json'],
    ['codex', linux, '/home/me/.codex/config.toml'],
    ['codex', mac, '/Users/me/.codex/config.toml'],
    ['codex', win, 'C:\\Users\\me\\.codex\\config.toml'],
  ];
  for (const [client, ctx, file] of cases) {
    it(`${client} on ${ctx.platform}: ${file}`, () => {
      expect(clientConfigLocation(client as never, ctx).file).toBe(file);
    });
  }

  it('honours $XDG_CONFIG_HOME (Zed on Linux) and $CODEX_HOME; project files where the client has them', () => {
    expect(clientConfigLocation('zed', { ...linux, env: { XDG_CONFIG_HOME: '/xdg' } }).file).toBe(
      '/xdg/zed/settings.json',
    );
    expect(clientConfigLocation('codex', { ...linux, env: { CODEX_HOME: '/opt/codex' } }).file).toBe(
      '/opt/codex/config.toml',
    );
    expect(clientConfigLocation('zed', linux, true)).toMatchObject({
      file: '/work/.zed/settings.json',
      key: 'context_servers',
    });
    expect(clientConfigLocation('gemini-cli', linux, true).file).toBe('/work/.gemini/settings.json');
    expect(clientConfigLocation('codex', linux, true)).toMatchObject({
      file: '/work/.codex/config.toml',
      format: 'toml',
      key: 'mcp_servers',
    });
    expect(() => clientConfigLocation('windsurf', linux, true)).toThrow(/no per-project config file/);
    expect(() => clientConfigLocation('cline', linux, true)).toThrow(/no per-project config file/);
  });
});

describe('remote entries in each dialect', () => {
  const url = 'https://proxy.example.com/mcp';
  it('Windsurf serverUrl, Gemini CLI httpUrl, Codex url + bearer_token_env_var: the token never literal', async () => {
    const w = await cli(['generate', 'client-config', '--client', 'windsurf', '--deployment', 'remote', '--url', url]);
    expect(JSON.parse(w.stdout).mcpServers['mcp-proxy']).toEqual({
      serverUrl: url,
      headers: { Authorization: 'Bearer ${env:MCP_PROXY_TOKEN}' },
    });
    const g = await cli([
      'generate',
      'client-config',
      '--client',
      'gemini-cli',
      '--deployment',
      'remote',
      '--url',
      url,
    ]);
    expect(JSON.parse(g.stdout).mcpServers['mcp-proxy']).toEqual({
      httpUrl: url,
      headers: { Authorization: 'Bearer ${MCP_PROXY_TOKEN}' },
    });
    const c = await cli(['generate', 'client-config', '--client', 'codex', '--deployment', 'remote', '--url', url]);
    expect(parseToml(c.stdout)).toEqual({
      mcp_servers: { 'mcp-proxy': { url, bearer_token_env_var: 'MCP_PROXY_TOKEN' } },
    });
    expect(c.stderr).toContain('bearer_token_env_var');
  });

  it('Cline and Zed cannot reference a token: refused with the local-stdio alternative', async () => {
    for (const client of ['cline', 'zed']) {
      const r = await cli(['generate', 'client-config', '--client', client, '--deployment', 'remote', '--url', url]);
      expect(r.status).toBe(2);
      expect(r.error).toMatch(/cannot read the bearer token from a variable/);
      expect(r.error).toContain(`--client ${client} --deployment node`);
      expect(r.stdout).toBe('');
    }
  });
});

describe('--write', () => {
  it('Codex: adds [mcp_servers.mcp-proxy] keeping comments and other tables, backup kept, twice changes nothing', async () => {
    const file = path.join(home, '.codex', 'config.toml');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const original = [
      '# my Codex settings',
      'model = "o3"  # the default model',
      '',
      '[mcp_servers.docs]',
      'command = "npx"',
      'args = ["-y", "docs-server"]',
      '',
      '# a profile for quick work',
      '[profiles.fast]',
      'model = "o4-mini"',
      '',
    ].join('\n');
    fs.writeFileSync(file, original);
    const args = ['generate', 'client-config', '--client', 'codex', '--deployment', 'node', '--config', configFile];
    const r = await cli([...args, '--write']);
    expect(r.error).toBeUndefined();
    const text = fs.readFileSync(file, 'utf8');
    expect(text.startsWith(original.trimEnd())).toBe(true); // everything the user had, byte for byte
    expect(parseToml(text)).toEqual({
      model: 'o3',
      mcp_servers: {
        docs: { command: 'npx', args: ['-y', 'docs-server'] },
        'mcp-proxy': { command: process.execPath, args: [BUNDLE, 'run', '--config', configFile] },
      },
      profiles: { fast: { model: 'o4-mini' } },
    });
    expect(listFiles(path.dirname(file)).filter((f) => f.includes('.bak-'))).toHaveLength(1);
    const again = await cli([...args, '--write']);
    expect(again.stdout).toContain('unchanged');
    expect(fs.readFileSync(file, 'utf8')).toBe(text);
  });

  it('Codex: replacing our table (and its sub-tables) keeps the comment that heads the next table', () => {
    const before = [
      '[mcp_servers.mcp-proxy]',
      'command = "old"',
      '',
      '[mcp_servers.mcp-proxy.env]',
      'A = "1"',
      '',
      '# kept: it belongs to the next table',
      '[profiles.fast]',
      'model = "o4-mini"',
      '',
    ].join('\n');
    const after = setTomlTable(before, 'mcp_servers', 'mcp-proxy', { command: 'new' });
    expect(after).toContain('# kept: it belongs to the next table\n[profiles.fast]');
    expect(parseToml(after)).toEqual({
      mcp_servers: { 'mcp-proxy': { command: 'new' } },
      profiles: { fast: { model: 'o4-mini' } },
    });
  });

  it('Codex: a config.toml that is not valid TOML is named with line:column and left untouched', async () => {
    const file = path.join(home, '.codex', 'config.toml');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, 'model = "o3"\n[mcp_servers.x\ncommand = "y"\n');
    const r = await cli(['generate', 'client-config', '--client', 'codex', '--deployment', 'node', '--write']);
    expect(r.status).toBe(2);
    expect(r.error).toMatch(/config\.toml:2:\d+ is not valid TOML/);
    expect(fs.readFileSync(file, 'utf8')).toBe('model = "o3"\n[mcp_servers.x\ncommand = "y"\n');
  });

  it('Zed: merges under context_servers in settings.json, keeping its comments and other settings', async () => {
    const file = path.join(home, '.config', 'zed', 'settings.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '// Zed settings\n{\n  "theme": "One Dark", // mine\n  "vim_mode": true,\n}\n');
    const r = await cli(['generate', 'client-config', '--client', 'zed', '--deployment', 'node', '--write']);
    expect(r.error).toBeUndefined();
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toContain('// Zed settings');
    expect(text).toContain('"theme": "One Dark", // mine');
    expect(text).toContain('"context_servers"');
  });
});

describe('import --from each new client', () => {
  it('Codex TOML: entries, env and bearer_token_env_var become proxy entries; --write leaves the one proxy table', async () => {
    const file = path.join(home, '.codex', 'config.toml');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(
      file,
      [
        'model = "o3"',
        '',
        '[mcp_servers.fs]',
        'command = "npx"',
        'args = ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"]',
        'tool_timeout_sec = 30',
        '',
        '[mcp_servers.fs.env]',
        'API_KEY = "sk-codexLiteralSecret0123456789abcdef"',
        '',
        '[mcp_servers.remote]',
        'url = "https://mcp.example.com/mcp"',
        'bearer_token_env_var = "REMOTE_TOKEN"',
        'enabled = false',
        '',
      ].join('\n'),
    );
    const proxy = path.join(cwd, 'proxy.json');
    const r = await cli([
      'import',
      '--from',
      'codex',
      '--config',
      proxy,
      '--write',
      '--yes',
      '--deployment',
      'node',
      '--credentials',
      path.join(tmp.dir, 'creds.json'),
    ]);
    expect(r.error).toBeUndefined();
    const cfg = JSON.parse(fs.readFileSync(proxy, 'utf8'));
    expect(cfg.mcpServers.fs).toEqual({
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-filesystem', '/tmp'],
      env: { API_KEY: '${API_KEY}' },
      timeout: 30000,
    });
    expect(cfg.mcpServers.remote).toEqual({
      url: 'https://mcp.example.com/mcp',
      headers: { Authorization: 'Bearer ${REMOTE_TOKEN}' },
      disabled: true,
    });
    const client = parseToml(fs.readFileSync(file, 'utf8')) as any;
    expect(client.model).toBe('o3');
    expect(Object.keys(client.mcp_servers)).toEqual(['mcp-proxy']);
    // The backup holds a placeholder, not the secret.
    const backup = listFiles(path.dirname(file)).find((f) => f.includes('.bak-'))!;
    const backupText = fs.readFileSync(path.join(path.dirname(file), backup), 'utf8');
    expect(backupText).not.toContain('sk-codexLiteralSecret');
    expect(backupText).toContain('API_KEY = "${mcp-proxy-credential:API_KEY}"');
  });

  it('Windsurf serverUrl, Gemini CLI httpUrl / url / $VAR, Zed context_servers and Cline timeouts (seconds)', async () => {
    const write = (rel: string, value: unknown) => {
      const f = path.join(home, rel);
      fs.mkdirSync(path.dirname(f), { recursive: true });
      fs.writeFileSync(f, JSON.stringify(value, null, 2));
    };
    write('.codeium/windsurf/mcp_config.json', {
      mcpServers: { ws: { serverUrl: 'https://w.example.com/mcp', headers: { 'X-Key': '${env:W_KEY}' } } },
    });
    write('.gemini/settings.json', {
      theme: 'Dracula',
      mcpServers: {
        streamable: { httpUrl: 'https://g.example.com/mcp', headers: { Authorization: 'Bearer $G_TOKEN' } },
        legacy: { url: 'https://g.example.com/events' },
        local: { command: 'uvx', args: ['mcp-server-git'], includeTools: ['git_*'], trust: true },
      },
    });
    write('.config/zed/settings.json', {
      context_servers: {
        old: { source: 'custom', command: { path: 'zed-mcp', args: ['--x'], env: {} }, enabled: true },
      },
    });
    write('.config/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json', {
      mcpServers: { c: { command: 'node', args: ['s.js'], timeout: 60, disabled: false, autoApprove: [] } },
    });
    const proxy = path.join(cwd, 'proxy.json');
    for (const from of ['windsurf', 'gemini-cli', 'zed', 'cline']) {
      const r = await cli(['import', '--from', from, '--config', proxy, '--yes']);
      expect(r.error, from).toBeUndefined();
    }
    const s = JSON.parse(fs.readFileSync(proxy, 'utf8')).mcpServers;
    expect(s.ws).toEqual({ url: 'https://w.example.com/mcp', headers: { 'X-Key': '${W_KEY}' } });
    expect(s.streamable).toEqual({
      url: 'https://g.example.com/mcp',
      type: 'http',
      headers: { Authorization: 'Bearer ${G_TOKEN}' },
    });
    expect(s.legacy).toEqual({ url: 'https://g.example.com/events', type: 'sse' });
    expect(s.local).toEqual({ command: 'uvx', args: ['mcp-server-git'], tools: { include: ['git_*'] } });
    expect(s.old).toEqual({ command: 'zed-mcp', args: ['--x'], env: {} });
    expect(s.c).toEqual({ command: 'node', args: ['s.js'], timeout: 60000, disabled: false });
  });
});
