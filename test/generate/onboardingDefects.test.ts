// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are part of what is tested
/**
 * What a new user hit on a fresh clone: a binary entry that starts node with `run`, secrets that could get
 * stuck literal in the proxy config, a starter config that validate warns about, init --docker after init,
 * a relative $schema copied into a compose directory, the VS Code merge disturbing a neighbour, docker as
 * root, and a missing ${VAR} exiting 2 where the docs say 3.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stdioLaunch } from '../../src/generate/clients.js';
import { setJsonValue } from '../../src/generate/jsonFile.js';
import { makeContext, runInProcess } from '../helpers/cli.js';
import { type HomeAndProject, homeAndProject, listFiles } from '../helpers/files.js';
import { BUNDLE, ROOT } from '../helpers/paths.js';

let tmp: HomeAndProject;
let home: string;
let cwd: string;

beforeEach(() => {
  tmp = homeAndProject('mcp-defects-');
  home = tmp.home;
  cwd = tmp.cwd;
});
afterEach(() => tmp.cleanup());

const cli = (args: string[], o: Partial<Parameters<typeof makeContext>[0]> = {}) =>
  runInProcess(makeContext({ home, cwd, ...o }), args);

describe('--deployment binary', () => {
  it('from a node install is refused (it would write node + "run"), and --write changes nothing', async () => {
    const desktop = path.join(home, '.config', 'Claude', 'claude_desktop_config.json');
    fs.mkdirSync(path.dirname(desktop), { recursive: true });
    fs.writeFileSync(desktop, '{"mcpServers": {}}\n');
    const r = await cli(
      ['generate', 'client-config', '--client', 'claude-desktop', '--deployment', 'binary', '--write'],
      {
        deployment: 'node',
      },
    );
    expect(r.status).toBe(2);
    expect(r.error).toContain('--deployment binary needs the standalone binary');
    expect(r.error).toContain('--deployment node');
    expect(fs.readFileSync(desktop, 'utf8')).toBe('{"mcpServers": {}}\n');
  });

  it('from the binary itself starts the binary', async () => {
    const r = await cli(['generate', 'client-config', '--client', 'cursor', '--deployment', 'binary'], {
      deployment: 'binary',
      execPath: '/opt/mcp-proxy',
    });
    expect(JSON.parse(r.stdout).mcpServers['mcp-proxy'].command).toBe('/opt/mcp-proxy');
  });
});

describe('secrets never get stuck', () => {
  it('a proxy config holding a server with literal secrets: importing the client backup again with --yes moves them', async () => {
    const secret = 'ghp_stuckSecret0123456789abcdefghijklmn';
    const server = { command: 'npx', args: ['-y', 'gh'], env: { GITHUB_TOKEN: secret } };
    const proxy = path.join(cwd, 'proxy.json');
    fs.writeFileSync(proxy, JSON.stringify({ mcpServers: { gh: server } }, null, 2), { mode: 0o600 });
    const bak = path.join(home, 'claude_desktop_config.json.bak-20260101T000000Z');
    fs.writeFileSync(bak, JSON.stringify({ mcpServers: { gh: server } }));
    const creds = path.join(tmp.dir, 'creds.json');
    const r = await cli(['import', '--from', bak, '--config', proxy, '--credentials', creds, '--yes']);
    expect(r.error).toBeUndefined();
    expect(r.stdout).toContain('~ gh  already in the proxy config, with literal secrets');
    expect(JSON.parse(fs.readFileSync(proxy, 'utf8')).mcpServers.gh.env).toEqual({ GITHUB_TOKEN: '${GITHUB_TOKEN}' });
    expect(JSON.parse(fs.readFileSync(creds, 'utf8'))).toEqual({ GITHUB_TOKEN: secret });
  });
});

describe('init', () => {
  it('the starter config validates without a warning (no proxy.port under stdio)', async () => {
    const file = path.join(cwd, 'mcp-proxy.json');
    expect((await cli(['init', '--config', file])).status).toBe(0);
    const v = spawnSync(process.execPath, [BUNDLE, 'validate', '--config', file, '--json'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: home },
    });
    const report = JSON.parse(v.stdout);
    expect(report.valid).toBe(true);
    expect(report.problems.filter((p: { severity: string }) => p.severity === 'warning')).toEqual([]);
  });

  it("the README's example config validates with no warning but its unset variables", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const at = readme.indexOf('## Configuration');
    const example = /```json\n([\s\S]*?)```/.exec(readme.slice(at))![1];
    const file = path.join(cwd, 'example.json');
    fs.writeFileSync(file, example);
    const v = spawnSync(process.execPath, [BUNDLE, 'validate', '--config', file, '--json', '--allow-missing'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: home },
    });
    const problems: { kind: string; message: string }[] = JSON.parse(v.stdout).problems;
    expect(problems.filter((p) => p.kind !== 'variable')).toEqual([]);
  });

  it('init --docker after init points at generate compose; the compose copy gets an absolute $schema', async () => {
    const file = path.join(cwd, 'mcp-proxy.json');
    await cli(['init', '--config', file]);
    const again = await cli(['init', '--config', file, '--docker']);
    expect(again.status).toBe(2);
    expect(again.error).toContain(`mcp-proxy generate compose --config ${file}`);

    // A relative $schema (as init writes next to an install) would not resolve from deploy/config/.
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, setJsonValue(text, ['$schema'], '../node_modules/mcp-proxy-server/dist/config.schema.json'));
    const r = await cli(['generate', 'compose', '--config', file, '--output', path.join(cwd, 'deploy')]);
    expect(r.error).toBeUndefined();
    const copy = JSON.parse(fs.readFileSync(path.join(cwd, 'deploy', 'config', 'mcp-proxy.json'), 'utf8'));
    expect(copy.$schema).toMatch(/^https:\/\//);
  });
});

describe('VS Code merge', () => {
  it('adds the entry after an inline neighbour without reformatting it or moving its comment', async () => {
    const file = path.join(cwd, '.vscode', 'mcp.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const neighbour = '    "github": { "type": "http", "url": "https://api.githubcopilot.com/mcp/" } // the GitHub one';
    fs.writeFileSync(file, `{\n  "servers": {\n${neighbour}\n  }\n}\n`);
    const r = await cli([
      'generate',
      'client-config',
      '--client',
      'vscode',
      '--project',
      '--deployment',
      'node',
      '--write',
    ]);
    expect(r.error).toBeUndefined();
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toContain(
      '    "github": { "type": "http", "url": "https://api.githubcopilot.com/mcp/" }, // the GitHub one\n    "mcp-proxy": {',
    );
    expect(text.match(/the GitHub one/g)).toHaveLength(1);
    expect(listFiles(path.dirname(file)).filter((f) => f.includes('.bak-'))).toHaveLength(1);
  });
});

describe('docker as root', () => {
  it('never emits --user 0:0, with or without a credentials file', () => {
    for (const credentialsFile of [undefined, '/root/.config/mcp-proxy/credentials.json']) {
      const l = stdioLaunch({
        deployment: 'docker',
        configPath: '/root/mcp-proxy.json',
        credentialsFile,
        version: '1.0.0',
        execPath: '/usr/bin/node',
        entry: BUNDLE,
        platform: 'linux',
        user: '0:0',
      });
      expect(l.args).not.toContain('--user');
      expect(l.args.join(' ')).not.toContain('0:0');
    }
  });
});

describe('run with a missing ${VAR}', () => {
  it('exits 3 (credentials), as the README says', () => {
    const file = path.join(cwd, 'mcp-proxy.json');
    fs.writeFileSync(
      file,
      JSON.stringify({ mcpServers: { s: { command: 'x', env: { K: '${NOT_SET_ANYWHERE_X}' } } } }),
    );
    const r = spawnSync(process.execPath, [BUNDLE, 'run', '--config', file], {
      encoding: 'utf8',
      input: '',
      env: { PATH: process.env.PATH ?? '', HOME: home },
      timeout: 20_000,
    });
    expect(r.stderr).toContain('NOT_SET_ANYWHERE_X');
    expect(r.status).toBe(3);
  });
});
