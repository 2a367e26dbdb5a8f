// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are part of what is tested
/**
 * `mcp-proxy import` through the BUILT bundle, from a real-looking Claude Desktop config whose servers
 * are real (the echo and env-echo fixtures, server-memory): import --write --yes, then generate
 * client-config --write, then the proxy started exactly as the client would start it serves every
 * imported server's tools, and the moved secrets reach the upstreams from the credentials file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureBuilt, runBundle } from '../helpers/build.js';
import { type HomeAndProject, homeAndProject, listFiles } from '../helpers/files.js';
import { BUNDLE, ECHO, ENV_ECHO, MEMORY } from '../helpers/paths.js';

const GH_TOKEN = 'ghp_importTestToken0123456789abcdefghij';
const DB_URL = 'postgresql://admin:Sup3r-Secret-Pw@db.internal:5432/app';

beforeAll(ensureBuilt);

let tmp: HomeAndProject;
let home: string;
let cwd: string;
let desktopFile: string;
let proxyConfig: string;
let credFile: string;

function desktopConfig(memoryFile: string) {
  return {
    globalShortcut: 'Alt+Space',
    mcpServers: {
      github: {
        command: process.execPath,
        args: [ENV_ECHO],
        env: { GITHUB_PERSONAL_ACCESS_TOKEN: GH_TOKEN },
      },
      postgres: {
        command: process.execPath,
        args: [ENV_ECHO],
        env: { DATABASE_URL: DB_URL },
      },
      echo: { command: process.execPath, args: [ECHO], env: { FIXTURE_NAME: 'echo' } },
      memory: { command: process.execPath, args: [MEMORY], env: { MEMORY_FILE_PATH: memoryFile } },
      'vscode-only': { type: 'stdio', command: 'x', envFile: '${workspaceFolder}/.env' },
    },
  };
}

beforeEach(() => {
  tmp = homeAndProject('mcp-import-');
  home = tmp.home;
  cwd = tmp.cwd;
  desktopFile = path.join(home, '.config', 'Claude', 'claude_desktop_config.json');
  fs.mkdirSync(path.dirname(desktopFile), { recursive: true });
  fs.writeFileSync(desktopFile, `${JSON.stringify(desktopConfig(path.join(tmp.dir, 'memory.jsonl')), null, 2)}\n`);
  proxyConfig = path.join(home, '.config', 'mcp-proxy', 'config.json');
  credFile = path.join(home, '.config', 'mcp-proxy', 'credentials.json');
});
afterEach(() => tmp.cleanup());

function run(args: string[], env: Record<string, string> = {}) {
  return runBundle(args, {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: home, MCP_PROXY_DEPLOYMENT: 'node', ...env },
  });
}

const mode = (p: string) => fs.statSync(p).mode & 0o777;
const read = (p: string) => JSON.parse(fs.readFileSync(p, 'utf8'));

describe('import from Claude Desktop, end to end', () => {
  it('moves every server behind the proxy, secrets into the 0600 file, and the proxy serves all their tools', async () => {
    const original = fs.readFileSync(desktopFile, 'utf8');
    const r = run(['import', '--from', 'claude-desktop', '--write', '--yes']);
    expect(r.stderr).not.toMatch(/^error/m);
    expect(r.status).toBe(0);
    for (const s of [GH_TOKEN, DB_URL, 'Sup3r-Secret-Pw']) expect(`${r.stdout}${r.stderr}`).not.toContain(s);
    expect(r.stdout).toContain('+ github');
    expect(r.stdout).toContain('? vscode-only  skipped (left in the client)');
    expect(r.stdout).toMatch(
      /github env\.GITHUB_PERSONAL_ACCESS_TOKEN = gh\*+.*->\s+\$\{GITHUB_PERSONAL_ACCESS_TOKEN\}/,
    );

    // Proxy config: every understood server, secrets as references.
    const cfg = read(proxyConfig);
    expect(Object.keys(cfg.mcpServers)).toEqual(['github', 'postgres', 'echo', 'memory']);
    expect(cfg.mcpServers.github.env).toEqual({ GITHUB_PERSONAL_ACCESS_TOKEN: '${GITHUB_PERSONAL_ACCESS_TOKEN}' });
    expect(cfg.mcpServers.postgres.env).toEqual({ DATABASE_URL: '${DATABASE_URL}' });
    expect(cfg.mcpServers.memory.env.MEMORY_FILE_PATH).toBe(path.join(tmp.dir, 'memory.jsonl'));
    expect(cfg.$schema).toMatch(/config\.schema\.json$/);
    expect(fs.readFileSync(proxyConfig, 'utf8')).not.toContain('Sup3r');

    // Credentials: 0600 in a 0700 directory.
    expect(read(credFile)).toEqual({ GITHUB_PERSONAL_ACCESS_TOKEN: GH_TOKEN, DATABASE_URL: DB_URL });
    expect(mode(credFile)).toBe(0o600);
    expect(mode(path.dirname(credFile))).toBe(0o700);

    // Client: the proxy entry plus what we could not take; every other setting kept; a backup of the original.
    const client = read(desktopFile);
    expect(client.globalShortcut).toBe('Alt+Space');
    expect(Object.keys(client.mcpServers).sort()).toEqual(['mcp-proxy', 'vscode-only']);
    expect(client.mcpServers['mcp-proxy']).toEqual({
      command: process.execPath,
      args: [BUNDLE, 'run', '--config', proxyConfig],
    });
    const backups = listFiles(path.dirname(desktopFile)).filter((f) => f.includes('.bak-'));
    expect(backups).toHaveLength(1);
    // The backup keeps no moved secret: placeholders instead, mode 0600.
    const backup = path.join(path.dirname(desktopFile), backups[0]);
    const backupText = fs.readFileSync(backup, 'utf8');
    for (const s of [GH_TOKEN, 'Sup3r-Secret-Pw']) expect(backupText).not.toContain(s);
    expect(backupText).toBe(
      original
        .replace(GH_TOKEN, '${mcp-proxy-credential:GITHUB_PERSONAL_ACCESS_TOKEN}')
        .replace(DB_URL, '${mcp-proxy-credential:DATABASE_URL}'),
    );
    expect(mode(backup)).toBe(0o600);
    expect(r.stdout).toContain('mcp-proxy restore --client claude-desktop');

    // generate client-config --write afterwards: already there, nothing changes, no second backup.
    const before = fs.readFileSync(desktopFile, 'utf8');
    const g = run(['generate', 'client-config', '--client', 'claude-desktop', '--write']);
    expect(g.status).toBe(0);
    expect(g.stdout).toMatch(/unchanged/);
    expect(fs.readFileSync(desktopFile, 'utf8')).toBe(before);
    expect(listFiles(path.dirname(desktopFile)).filter((f) => f.includes('.bak-'))).toHaveLength(1);

    // Importing again finds nothing new and changes nothing.
    const again = run(['import', '--from', 'claude-desktop', '--write', '--yes']);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('· mcp-proxy  is the proxy itself');
    expect(fs.readFileSync(desktopFile, 'utf8')).toBe(before);
    expect(listFiles(path.dirname(proxyConfig)).filter((f) => f.includes('.bak-'))).toEqual([]);

    // The proxy, started exactly as Claude Desktop would start it, serves every server's tools.
    const entry = client.mcpServers['mcp-proxy'];
    const transport = new StdioClientTransport({
      command: entry.command,
      args: entry.args,
      env: { PATH: process.env.PATH ?? '', HOME: home, MCP_PROXY_DEPLOYMENT: 'node' },
      cwd,
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const mcp = new Client({ name: 'import-test', version: '1.0.0' });
    try {
      await mcp.connect(transport);
      const names = new Set<string>();
      for (let i = 0; i < 40; i++) {
        // The pool connects upstreams in parallel; list until all four have announced their tools.
        const { tools } = await mcp.listTools();
        for (const t of tools) names.add(t.name);
        const servers = ['github', 'postgres', 'echo', 'memory'];
        if (servers.every((s) => [...names].some((n) => n.startsWith(`${s}__`)))) break;
        await new Promise((res) => setTimeout(res, 250));
      }
      expect(names).toContain('github__get_env');
      expect(names).toContain('postgres__get_env');
      expect(names).toContain('echo__echo');
      expect(names).toContain('memory__create_entities');
      // The secrets reach the upstreams from the credentials file.
      const gh = await mcp.callTool({ name: 'github__get_env', arguments: { name: 'GITHUB_PERSONAL_ACCESS_TOKEN' } });
      expect((gh.content as { text: string }[])[0].text).toBe(GH_TOKEN);
      const db = await mcp.callTool({ name: 'postgres__get_env', arguments: { name: 'DATABASE_URL' } });
      expect((db.content as { text: string }[])[0].text).toBe(DB_URL);
      const echo = await mcp.callTool({ name: 'echo__echo', arguments: { text: 'hi' } });
      expect((echo.content as { text: string }[])[0].text).toBe('hi');
    } catch (e) {
      throw new Error(`${(e as Error).message}\nproxy stderr:\n${stderr}`);
    } finally {
      await mcp.close().catch(() => {});
    }
  });
});

describe('import options and bad input', () => {
  it('--dry-run shows a diff with masked secrets and writes nothing', () => {
    const before = fs.readFileSync(desktopFile, 'utf8');
    const r = run(['import', '--from', 'claude-desktop', '--dry-run', '--write']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Dry run: nothing was written');
    expect(r.stdout).toContain(`+++ ${proxyConfig}`);
    expect(r.stdout).toMatch(/^\+\s+"GITHUB_PERSONAL_ACCESS_TOKEN": "\$\{GITHUB_PERSONAL_ACCESS_TOKEN\}"$/m);
    expect(r.stdout).toMatch(/^-.*"GITHUB_PERSONAL_ACCESS_TOKEN": "gh\*+/m);
    expect(r.stdout).toContain(`+++ ${desktopFile}`);
    expect(r.stdout).toMatch(/^\+\s+"mcp-proxy": \{/m);
    expect(r.stdout).toMatch(/^\+ GITHUB_PERSONAL_ACCESS_TOKEN: gh\*+/m);
    for (const s of [GH_TOKEN, DB_URL, 'Sup3r-Secret-Pw']) expect(r.stdout + r.stderr).not.toContain(s);
    expect(fs.readFileSync(desktopFile, 'utf8')).toBe(before);
    expect(fs.existsSync(path.join(home, '.config', 'mcp-proxy'))).toBe(false);
    expect(listFiles(path.dirname(desktopFile))).toEqual(['claude_desktop_config.json']);
  });

  it('without a terminal and without --yes, nothing is written (no literal secrets stranded) and it says --yes', () => {
    const before = fs.readFileSync(desktopFile, 'utf8');
    const r = run(['import', '--from', 'claude-desktop', '--write']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('no terminal to ask; nothing was written');
    expect(r.stderr).toContain('run again with --yes');
    expect(fs.existsSync(credFile)).toBe(false);
    expect(fs.existsSync(proxyConfig)).toBe(false);
    expect(fs.readFileSync(desktopFile, 'utf8')).toBe(before);
  });

  it('when every server is understood, the client is left with exactly one entry: the proxy', () => {
    const cfg = read(desktopFile);
    delete cfg.mcpServers['vscode-only'];
    fs.writeFileSync(desktopFile, JSON.stringify(cfg, null, 2));
    expect(run(['import', '--from', 'claude-desktop', '--write', '--yes']).status).toBe(0);
    const g = run(['generate', 'client-config', '--client', 'claude-desktop', '--write']);
    expect(g.stdout).toMatch(/unchanged/);
    const client = read(desktopFile);
    expect(Object.keys(client.mcpServers)).toEqual(['mcp-proxy']);
    expect(client.globalShortcut).toBe('Alt+Space');
    expect(Object.keys(read(proxyConfig).mcpServers)).toEqual(['github', 'postgres', 'echo', 'memory']);
  });

  it('reports a name clash and keeps the existing server; --config names the proxy config', () => {
    const cfg = path.join(cwd, 'proxy.json');
    fs.writeFileSync(cfg, JSON.stringify({ mcpServers: { echo: { command: 'something-else' } } }, null, 2));
    const r = run(['import', '--from', 'claude-desktop', '--config', cfg, '--yes', '--write']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/! echo\s+not imported: the proxy config already has a different "echo"/);
    const after = read(cfg);
    expect(after.mcpServers.echo).toEqual({ command: 'something-else' });
    expect(after.mcpServers.github).toBeDefined();
    expect(listFiles(cwd).filter((f) => f.startsWith('proxy.json.bak-'))).toHaveLength(1);
    // The clashing server stays in the client.
    expect(Object.keys(read(desktopFile).mcpServers).sort()).toEqual(['echo', 'mcp-proxy', 'vscode-only']);
  });

  it('adds to a YAML proxy config as YAML, keeping its comments', async () => {
    const cfg = path.join(cwd, 'mcp-proxy.yaml');
    fs.writeFileSync(
      cfg,
      '# my proxy\nmcpServers:\n  # the old one\n  old:\n    command: old-server\nproxy:\n  port: 9000\n',
    );
    const r = run(['import', '--from', 'claude-desktop', '--config', cfg, '--yes']);
    expect(r.stderr).not.toMatch(/^error/m);
    expect(r.status).toBe(0);
    const text = fs.readFileSync(cfg, 'utf8');
    expect(text).toContain('# my proxy');
    expect(text).toContain('# the old one');
    const { parse } = await import('yaml');
    const value = parse(text);
    expect(Object.keys(value.mcpServers)).toEqual(['old', 'github', 'postgres', 'echo', 'memory']);
    expect(value.mcpServers.github.env).toEqual({ GITHUB_PERSONAL_ACCESS_TOKEN: '${GITHUB_PERSONAL_ACCESS_TOKEN}' });
    expect(value.proxy).toEqual({ port: 9000 });
    const v = run(['validate', '--config', cfg]);
    expect(v.stderr).not.toMatch(/^error/m);
    expect(v.status).toBe(0);
  });

  it('imports from a FILE with VS Code "servers" and ${env:...}', () => {
    const file = path.join(cwd, '.vscode', 'mcp.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(
      file,
      '{\n  // comment\n  "servers": { "e": { "type": "stdio", "command": "node", "args": ["${workspaceFolder}/s.js"], "env": { "K": "${env:K}" } } }\n}\n',
    );
    const r = run(['import', '--from', file, '--yes']);
    expect(r.status).toBe(0);
    expect(read(proxyConfig).mcpServers.e).toEqual({
      type: 'stdio',
      command: 'node',
      args: [`${cwd}/s.js`],
      env: { K: '${K}' },
    });
  });

  it('a client config that is not valid JSON: file:line:col, nothing written', () => {
    fs.writeFileSync(desktopFile, '{\n  "mcpServers": {\n    "a": { "command": "x", }\n    "b": 1\n}');
    const r = run(['import', '--from', 'claude-desktop', '--write', '--yes']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(`^error: Claude Desktop config ${desktopFile.replace(/[.]/g, '\\.')}:4:5 is not valid JSON`, 'm'),
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(path.join(home, '.config', 'mcp-proxy'))).toBe(false);
  });

  it('a missing client config is named', () => {
    fs.rmSync(desktopFile);
    const r = run(['import', '--from', 'claude-desktop']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`error: Claude Desktop config not found: ${desktopFile}`);
    const f = run(['import', '--from', './nope.json']);
    expect(f.status).toBe(2);
    expect(f.stderr).toContain(`client config not found: ${path.join(cwd, 'nope.json')}`);
  });

  it('"mcpServers" that is not an object, or a file without servers, is refused', () => {
    fs.writeFileSync(desktopFile, '{"mcpServers": ["a"]}');
    const r = run(['import', '--from', 'claude-desktop']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`"mcpServers" in ${desktopFile} is not an object of servers`);
    const other = path.join(cwd, 'x.json');
    fs.writeFileSync(other, '{"foo": 1}');
    const r2 = run(['import', '--from', other]);
    expect(r2.status).toBe(2);
    expect(r2.stderr).toContain(`${other} holds no "mcpServers"`);
    expect(fs.existsSync(path.join(home, '.config', 'mcp-proxy'))).toBe(false);
  });
});
