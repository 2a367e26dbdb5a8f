// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are part of what is tested
/**
 * `mcp-proxy add | remove | enable | disable | list` on real files: the config is created or edited in
 * place, secrets go to the credentials store (0600) and never into the config or its backups, a bad
 * edit writes nothing (exit 2), and the result loads with the proxy's own loader.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, sandbox } from '../helpers/cli.js';
import { filesUnder } from '../helpers/files.js';

const GH_TOKEN = 'ghp_serversTestToken0123456789abcdefgh';
const API_KEY = 'sk-serversTestKey0123456789abcdef';

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.cleanup());

const configFile = () => path.join(box.configDir, 'config.json');
const credentialsFile = () => path.join(box.configDir, 'credentials.json');
const readJson = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8'));

describe('add', () => {
  it('creates the config, moves literal secrets to the credentials store, keeps ${VAR} as written', async () => {
    const r = await box.run([
      'add',
      'github',
      '--env',
      `GITHUB_PERSONAL_ACCESS_TOKEN=${GH_TOKEN}`,
      '--env',
      'GITHUB_API_URL=${GH_API:-https://api.github.com}',
      '--env',
      'LOG_LEVEL=debug',
      '--description',
      'GitHub issues and PRs',
      '--',
      'npx',
      '-y',
      '@modelcontextprotocol/server-github',
      '--read-only',
    ]);
    expect(r.error).toBeUndefined();
    expect(r.code).toBe(0);
    expect(readJson(configFile()).mcpServers.github).toEqual({
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-github', '--read-only'],
      env: {
        GITHUB_PERSONAL_ACCESS_TOKEN: '${GITHUB_PERSONAL_ACCESS_TOKEN}',
        GITHUB_API_URL: '${GH_API:-https://api.github.com}',
        LOG_LEVEL: 'debug',
      },
      description: 'GitHub issues and PRs',
    });
    expect(readJson(credentialsFile())).toEqual({ GITHUB_PERSONAL_ACCESS_TOKEN: GH_TOKEN });
    expect(fs.statSync(credentialsFile()).mode & 0o777).toBe(0o600);
    expect(r.stdout).toMatch(/added server "github" to .*config\.json \(created\)/);
    expect(r.stdout).toContain('stored as GITHUB_PERSONAL_ACCESS_TOKEN');
    expect(r.stdout + r.stderr).not.toContain(GH_TOKEN);
  });

  it('puts an Authorization header token in the store, with a backup of the edited file and no literal anywhere', async () => {
    await box.run(['add', 'memory', '--', 'npx', '-y', '@modelcontextprotocol/server-memory']);
    const r = await box.run([
      'add',
      'remote',
      '--url',
      'https://mcp.example.com/mcp',
      '--header',
      `Authorization=Bearer ${API_KEY}`,
      '--header',
      'X-Team=platform',
      '--prefix',
      'rem',
      '--disabled',
    ]);
    expect(r.code).toBe(0);
    expect(readJson(configFile()).mcpServers.remote).toEqual({
      url: 'https://mcp.example.com/mcp',
      headers: { Authorization: 'Bearer ${REMOTE_TOKEN}', 'X-Team': 'platform' },
      prefix: 'rem',
      disabled: true,
    });
    expect(readJson(credentialsFile())).toEqual({ REMOTE_TOKEN: API_KEY });
    const backup = /backup: (\S+)\)/.exec(r.stdout)?.[1];
    expect(backup && fs.existsSync(backup)).toBe(true);
    expect(readJson(backup!).mcpServers).toHaveProperty('memory');
    // The secret is in the credentials file and nowhere else next to it (config, backups).
    const holders = Object.entries(filesUnder(box.dir)).filter(([, text]) => text.includes(API_KEY));
    expect(holders.map(([f]) => f)).toEqual([credentialsFile()]);
  });

  it('a docker server, and --no-prefix', async () => {
    const r = await box.run(['add', 'fetch', '--type', 'docker', '--image', 'mcp/fetch', '--no-prefix']);
    expect(r.code).toBe(0);
    expect(readJson(configFile()).mcpServers.fetch).toEqual({ type: 'docker', image: 'mcp/fetch', prefix: false });
  });

  it('edits a YAML config in place, comments kept', async () => {
    const file = path.join(box.dir, 'mcp-proxy.yaml');
    fs.writeFileSync(file, '# team servers\nmcpServers:\n  memory: # graph\n    command: npx\n');
    const r = await box.run(['add', 'echo', '--', 'node', 'echo.mjs']);
    expect(r.code).toBe(0);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toContain('# team servers');
    expect(text).toContain('# graph');
    expect(text).toContain('  echo:\n    command: node\n    args:\n      - echo.mjs');
    expect(fs.existsSync(configFile())).toBe(false);
  });

  it('refuses, writing nothing (exit 2): an existing name, a bad URL, no command, a bad name, K without =', async () => {
    await box.run(['add', 'a', '--', 'node', 'a.mjs']);
    const before = fs.readFileSync(configFile(), 'utf8');
    const cases: [string[], RegExp][] = [
      [['add', 'a', '--', 'node', 'b.mjs'], /already has a server "a"[\s\S]*--force/],
      [['add', 'api', '--url', 'localhost:3000/mcp'], /invalid[\s\S]*nothing was written[\s\S]*mcpServers\.api\.url/],
      [['add', 'b'], /say what "b" runs/],
      [['add', 'b c', '--', 'x'], /not a valid server name/],
      [['add', 'b', '--env', 'NOVALUE', '--', 'x'], /--env NOVALUE: expected K=V/],
      [['add', 'b', '--url', 'https://x.example/mcp', '--env', 'A=1'], /--env is for servers the proxy starts/],
      [['add', 'b', 'npx', '-y', 'pkg'], /add does not know the option -y[\s\S]*-- npx -y/],
      [['add', 'b', '--api-key', 'k', '--', 'x'], /add does not know the option --api-key/],
      [['add', 'b', '--apiKey', 'k', '--', 'x'], /add does not know the option --apiKey/],
    ];
    for (const [argv, message] of cases) {
      const r = await box.run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.error, argv.join(' ')).toMatch(message);
    }
    expect(fs.readFileSync(configFile(), 'utf8')).toBe(before);
    expect(fs.readdirSync(box.configDir).filter((f) => f.includes('.bak-'))).toEqual([]);
    // --force replaces.
    const forced = await box.run(['add', 'a', '--force', '--', 'node', 'b.mjs']);
    expect(forced.stdout).toMatch(/replaced server "a"/);
    expect(readJson(configFile()).mcpServers.a).toEqual({ command: 'node', args: ['b.mjs'] });
  });

  it('warns about a variable that is set nowhere yet, and says how to store it', async () => {
    const r = await box.run(['add', 'gh', '--env', 'GITHUB_TOKEN=${MY_GH_TOKEN}', '--', process.execPath, 'x.mjs']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/MY_GH_TOKEN[\s\S]*mcp-proxy credentials set MY_GH_TOKEN/);
  });
});

describe('remove, enable, disable', () => {
  it('change only the named server; unknown names get a suggestion and exit 2', async () => {
    await box.run(['add', 'alpha', '--', 'node', 'a.mjs']);
    await box.run(['add', 'beta', '--', 'node', 'b.mjs']);
    expect((await box.run(['disable', 'alpha'])).code).toBe(0);
    expect(readJson(configFile()).mcpServers.alpha.disabled).toBe(true);
    expect((await box.run(['disable', 'alpha'])).stdout).toMatch(/already disabled/);
    expect((await box.run(['enable', 'alpha'])).code).toBe(0);
    expect(readJson(configFile()).mcpServers.alpha).toEqual({ command: 'node', args: ['a.mjs'] });

    const typo = await box.run(['remove', 'alpah']);
    expect(typo.code).toBe(2);
    expect(typo.error).toMatch(/no server "alpah"[\s\S]*did you mean "alpha"/);
    expect((await box.run(['remove', 'alpha'])).code).toBe(0);
    expect(Object.keys(readJson(configFile()).mcpServers)).toEqual(['beta']);
  });

  it('without any config say where they looked (exit 2)', async () => {
    const r = await box.run(['remove', 'x']);
    expect(r.code).toBe(2);
    expect(r.error).toMatch(/no config file found[\s\S]*mcp-proxy add/);
  });
});

describe('list', () => {
  it('shows kind, enabled, command or URL and where each variable is found, masked', async () => {
    await box.run(['add', 'github', '--env', `GITHUB_TOKEN=${GH_TOKEN}`, '--', 'npx', '-y', 'server-github']);
    await box.run(['add', 'remote', '--url', 'https://mcp.example.com/mcp', '--disabled']);
    await box.run(['add', 'other', '--env', 'KEY=${OTHER_KEY}', '--', 'node', 'o.mjs']);
    const r = await box.run(['list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /github\s+stdio\s+yes\s+npx -y server-github\s+GITHUB_TOKEN=gh\*\*\*\*gh \(file .*credentials\.json\)/,
    );
    expect(r.stdout).toMatch(/remote\s+http\s+no\s+https:\/\/mcp\.example\.com\/mcp/);
    expect(r.stdout).toMatch(/other\s+stdio\s+yes\s+node o\.mjs\s+OTHER_KEY \(MISSING\)/);
    expect(r.stdout).not.toContain(GH_TOKEN);

    const json = JSON.parse((await box.run(['list', '--json'])).stdout);
    expect(json.servers.map((s: { name: string; enabled: boolean }) => [s.name, s.enabled])).toEqual([
      ['github', true],
      ['remote', false],
      ['other', true],
    ]);
    expect(json.servers[0].variables[0]).toMatchObject({ name: 'GITHUB_TOKEN', status: 'found', source: 'file' });
  });

  it('masks a literal secret an older config still holds', async () => {
    fs.mkdirSync(box.configDir, { recursive: true });
    fs.writeFileSync(
      configFile(),
      JSON.stringify({ mcpServers: { old: { command: 'node', args: ['--api-key', API_KEY] } } }, null, 2),
    );
    const r = await box.run(['list']);
    expect(r.stdout).toContain('old');
    expect(r.stdout).not.toContain(API_KEY);
  });
});
