// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references in configs are what these tests are about
/**
 * `mcp-proxy credentials set|check|list` through the BUILT bundle (dist/mcp-proxy.mjs), as users run it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type BundleResult, ensureBuilt, runBundle } from '../helpers/build.js';
import { type HomeAndProject, homeAndProject, writeFile } from '../helpers/files.js';
import { BUNDLE } from '../helpers/paths.js';

beforeAll(ensureBuilt);

let tmp: HomeAndProject;
let home: string;
let cwd: string;
let secrets: string;
let credFile: string;

beforeEach(() => {
  tmp = homeAndProject('mcp-cred-cli-');
  home = tmp.home;
  cwd = tmp.cwd;
  secrets = path.join(tmp.dir, 'secrets');
  credFile = path.join(home, '.config', 'mcp-proxy', 'credentials.json');
});
afterEach(() => tmp.cleanup());

function run(args: string[], opts: { env?: Record<string, string>; input?: string } = {}): BundleResult {
  return runBundle(args, {
    cwd,
    input: opts.input,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: home,
      MCP_PROXY_DEPLOYMENT: 'node',
      MCP_PROXY_SECRETS_DIR: secrets,
      ...opts.env,
    },
  });
}

function writeConfig(env: Record<string, string>): string {
  return writeFile(
    path.join(cwd, 'mcp-proxy.json'),
    JSON.stringify({ mcpServers: { gh: { command: 'node', args: ['server.js'], env } } }, null, 2),
    0o644,
  );
}

describe('credentials set', () => {
  it('stores a piped value in a 0600 file inside a 0700 directory, never echoing it', () => {
    const secret = 'ghp_piped_secret_value_1234';
    const r = run(['credentials', 'set', 'GITHUB_TOKEN'], { input: `${secret}\n` });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`stored GITHUB_TOKEN in ${credFile} (mode 0600)\n`);
    expect(`${r.stdout}${r.stderr}`).not.toContain(secret);
    expect(fs.statSync(credFile).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(credFile)).mode & 0o777).toBe(0o700);
    expect(JSON.parse(fs.readFileSync(credFile, 'utf8'))).toEqual({ GITHUB_TOKEN: secret });
    // No temp files left behind by the atomic write.
    expect(fs.readdirSync(path.dirname(credFile))).toEqual(['credentials.json']);
  });

  it('merges with what is there, replaces a name, and repairs a too-open mode', () => {
    writeFile(credFile, '{"KEEP": "kept-value", "API_KEY": "old-value"}', 0o644);
    const r = run(['credentials', 'set', 'API_KEY'], { input: 'new-value-5678' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('updated API_KEY');
    expect(r.stderr).toContain('was readable by other users; it is now 0600');
    expect(JSON.parse(fs.readFileSync(credFile, 'utf8'))).toEqual({ KEEP: 'kept-value', API_KEY: 'new-value-5678' });
    expect(fs.statSync(credFile).mode & 0o777).toBe(0o600);
  });

  it('refuses a value given on the command line, without echoing it or writing anything', () => {
    const r = run(['credentials', 'set', 'GITHUB_TOKEN', 'ghp_value_typed_in_argv_999']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('credentials take no value on the command line');
    expect(r.stderr).toContain('printf %s "$VALUE" | mcp-proxy credentials set GITHUB_TOKEN');
    expect(`${r.stdout}${r.stderr}`).not.toContain('ghp_value_typed_in_argv_999');
    expect(fs.existsSync(credFile)).toBe(false);
  });

  it('writes to --credentials FILE (relative to cwd), creating its directory', () => {
    const r = run(['credentials', 'set', 'DB_URL', '--credentials', 'private/creds.json'], { input: 'postgres://x' });
    expect(r.status).toBe(0);
    const file = path.join(cwd, 'private', 'creds.json');
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ DB_URL: 'postgres://x' });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.existsSync(credFile)).toBe(false);
  });

  it('refuses an empty stdin, a bad name, and a broken existing file (without clobbering it)', () => {
    const empty = run(['credentials', 'set', 'A_TOKEN'], { input: '' });
    expect(empty.status).toBe(2);
    expect(empty.stderr).toContain('no value for A_TOKEN: stdin was empty');

    const bad = run(['credentials', 'set', '1BAD-NAME'], { input: 'x' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('"1BAD-NAME" is not a valid variable name');

    writeFile(credFile, '{"A": "x",,}');
    const broken = run(['credentials', 'set', 'B'], { input: 'value' });
    expect(broken.status).toBe(3);
    expect(broken.stderr).toContain(`${credFile}:1:11 is not valid JSON`);
    expect(fs.readFileSync(credFile, 'utf8')).toBe('{"A": "x",,}');
  });
});

/** Runs the bundle on a real pseudo-terminal (python3's pty), typing `typed` once the prompt shows. */
const PTY_DRIVER = `
import os, pty, select, sys
typed = sys.argv[1].encode()
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
out, sent = b"", False
while True:
    r, _, _ = select.select([fd], [], [], 60)
    if not r:
        break
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    out += data
    if not sent and b"(input hidden): " in out:
        os.write(fd, typed + b"\\r")
        sent = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf-8", "replace"))
sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)
`;
const hasPython = spawnSync('python3', ['-c', 'import pty'], { encoding: 'utf8' }).status === 0;

describe('credentials set on a terminal', () => {
  it.skipIf(!hasPython || process.platform === 'win32')('prompts without echoing what is typed', () => {
    const secret = 'typed-on-a-tty-secret-31337';
    const r = spawnSync(
      'python3',
      ['-c', PTY_DRIVER, secret, process.execPath, BUNDLE, 'credentials', 'set', 'TTY_TOKEN'],
      {
        cwd,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', HOME: home, MCP_PROXY_DEPLOYMENT: 'node', TERM: 'dumb' },
      },
    );
    expect(r.stdout).toContain('TTY_TOKEN (input hidden): ');
    expect(r.stdout).toContain(`stored TTY_TOKEN in ${credFile}`);
    expect(r.stdout).not.toContain(secret);
    expect(r.status).toBe(0);
    expect(JSON.parse(fs.readFileSync(credFile, 'utf8'))).toEqual({ TTY_TOKEN: secret });
  });
});

describe('credentials check', () => {
  it('exits 3 naming each missing variable, every place searched, and how to set it', () => {
    writeConfig({ GITHUB_TOKEN: '${GITHUB_TOKEN}', LEVEL: '${LOG_LEVEL:-info}' });
    const r = run(['credentials', 'check']);
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(
      new RegExp(
        `MISSING +GITHUB_TOKEN +used at mcpServers\\.gh\\.env\\.GITHUB_TOKEN \\(${path.join(cwd, 'mcp-proxy.json')}:\\d+:\\d+\\)`,
      ),
    );
    expect(r.stdout).toMatch(/- +MCP_PROXY_TOKEN +not set \(read by the proxy/);
    expect(r.stdout).toMatch(/default +LOG_LEVEL/);
    expect(r.stderr).toContain('error: 1 required variable is not set: GITHUB_TOKEN');
    for (const place of [
      `credentials file ${credFile} (does not exist)`,
      'environment variable GITHUB_TOKEN (not set)',
      `.env file ${path.join(cwd, '.env')} (does not exist)`,
      `Docker secret ${secrets}/GITHUB_TOKEN or ${secrets}/github_token`,
      'variable GITHUB_TOKEN_FILE naming a file',
      'mcp-proxy credentials set GITHUB_TOKEN',
      'export GITHUB_TOKEN=...',
    ]) {
      expect(r.stderr).toContain(place);
    }
  });

  it('exits 0 listing where each value came from, masked; the raw values never appear', () => {
    const fileSecret = 'ghp_file_secret_abcdef';
    const envSecret = 'env-secret-value-0987';
    const dotenvSecret = 'dotenv-secret-value-5555';
    const dockerSecret = 'docker-secret-value-4242';
    writeFile(credFile, JSON.stringify({ GITHUB_TOKEN: fileSecret }));
    writeFile(path.join(cwd, '.env'), `DB_PASSWORD=${dotenvSecret}\n`);
    writeFile(path.join(secrets, 'slack_token'), `${dockerSecret}\n`);
    writeConfig({
      GITHUB_TOKEN: '${GITHUB_TOKEN}',
      API_KEY: '${API_KEY}',
      DB_PASSWORD: '${DB_PASSWORD}',
      SLACK_TOKEN: '${SLACK_TOKEN}',
      LEVEL: '${LOG_LEVEL:-info}',
    });
    const r = run(['credentials', 'check', '--config', 'mcp-proxy.json', '--log-level', 'debug'], {
      env: { API_KEY: envSecret },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`ok +GITHUB_TOKEN +gh\\*\\*\\*\\*ef +from file ${credFile}`));
    expect(r.stdout).toMatch(/ok +API_KEY +en\*\*\*\*87 +from env environment/);
    expect(r.stdout).toContain(`from .env ${path.join(cwd, '.env')}`);
    expect(r.stdout).toContain(`from docker-secret ${path.join(secrets, 'slack_token')}`);
    expect(r.stdout).toMatch(/default +LOG_LEVEL/);
    for (const s of [fileSecret, envSecret, dotenvSecret, dockerSecret]) {
      expect(r.stdout).not.toContain(s);
      expect(r.stderr).not.toContain(s);
    }
  });

  it('in a docker deployment a Docker secret beats the credentials file; --json reports it', () => {
    writeFile(credFile, JSON.stringify({ GITHUB_TOKEN: 'value-in-file-1111' }));
    writeFile(path.join(secrets, 'github_token'), 'value-in-secret-2222\n');
    writeConfig({ GITHUB_TOKEN: '${GITHUB_TOKEN}' });
    const r = run(['credentials', 'check', '--json'], { env: { MCP_PROXY_DEPLOYMENT: 'docker' } });
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.deployment).toEqual({ kind: 'docker', evidence: 'MCP_PROXY_DEPLOYMENT=docker' });
    expect(out.variables).toEqual([
      {
        name: 'GITHUB_TOKEN',
        status: 'found',
        usedBy: 'config',
        source: 'docker-secret',
        origin: path.join(secrets, 'github_token'),
        value: 'va****22',
      },
      { name: 'MCP_PROXY_TOKEN', status: 'optional', usedBy: 'proxy' },
    ]);
    expect(r.stdout).not.toContain('value-in-secret-2222');
  });

  it("reports where the proxy's own MCP_PROXY_TOKEN comes from, masked", () => {
    writeFile(path.join(secrets, 'mcp_proxy_token'), 'proxy-bearer-token-0001\n');
    writeConfig({});
    const r = run(['credentials', 'check'], { env: { MCP_PROXY_DEPLOYMENT: 'docker' } });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `ok +MCP_PROXY_TOKEN +pr\\*\\*\\*\\*01 +from docker-secret ${path.join(secrets, 'mcp_proxy_token')} +\\(read by the proxy`,
      ),
    );
    expect(r.stdout).not.toContain('proxy-bearer-token-0001');
  });

  it('a credentials file readable by others is refused with the chmod fix (exit 3)', () => {
    writeFile(credFile, '{"GITHUB_TOKEN": "world-readable-secret"}', 0o644);
    writeConfig({ GITHUB_TOKEN: '${GITHUB_TOKEN}' });
    const r = run(['credentials', 'check']);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain(`hint: chmod 600 ${credFile}`);
    expect(r.stderr).not.toContain('world-readable-secret');
  });

  it('--env-file reads another .env file; a missing one is an error', () => {
    writeFile(path.join(cwd, 'conf', 'prod.env'), 'API_KEY=prod-key-value-77\n');
    writeConfig({ API_KEY: '${API_KEY}' });
    const ok = run(['credentials', 'check', '--env-file', 'conf/prod.env']);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain(`from .env ${path.join(cwd, 'conf', 'prod.env')}`);
    // Node itself (nodejs/node#54232) also checks a script's `--env-file F` and stops with exit 9
    // "node: F: not found" before our code runs; either way the run fails and names the file.
    const missing = run(['credentials', 'check', '--env-file', 'nope.env']);
    expect([3, 9]).toContain(missing.status);
    expect(missing.stderr).toContain('nope.env');
    expect(missing.stderr).toMatch(/does not exist|not found/);
  });
});

describe('credentials list', () => {
  it('lists stored names with their source, masked, and marks shadowed ones', () => {
    writeFile(credFile, JSON.stringify({ GITHUB_TOKEN: 'file-token-abcdef' }));
    writeFile(path.join(secrets, 'github_token'), 'secret-token-123456');
    writeFile(path.join(cwd, '.env'), 'OTHER=dotenv-other-value\n');
    const r = run(['credentials', 'list', '--json']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.credentials).toEqual([
      { name: 'GITHUB_TOKEN', source: 'file', origin: credFile, value: 'fi****ef', effective: true },
      { name: 'OTHER', source: '.env', origin: path.join(cwd, '.env'), value: 'do****ue', effective: true },
      {
        name: 'GITHUB_TOKEN',
        source: 'docker-secret',
        origin: path.join(secrets, 'github_token'),
        value: 'se****56',
        effective: false,
      },
    ]);
    const human = run(['credentials', 'list']);
    expect(human.stdout).toContain('(shadowed by an earlier source)');
    expect(human.stdout).not.toContain('file-token-abcdef');
  });
});

describe('version', () => {
  it('reports the deployment and its evidence', () => {
    const r = run(['version'], { env: { MCP_PROXY_DEPLOYMENT: 'docker' } });
    expect(r.stdout).toContain('installed as: docker (MCP_PROXY_DEPLOYMENT=docker)');
  });
});
