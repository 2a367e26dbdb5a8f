// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references in configs are what these tests are about
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { substitute } from '../../src/config/substitute.js';
import { type CredentialChainOptions, createCredentialChain } from '../../src/credentials/chain.js';
import type { DeploymentKind } from '../../src/deployment/detect.js';
import { Redactor } from '../../src/observability/redact.js';
import { tempDir, writeFile } from '../helpers/files.js';

let tmp: { dir: string; cleanup: () => void };
let home: string;
let cwd: string;
let secrets: string;
let credFile: string;

beforeEach(() => {
  tmp = tempDir();
  home = path.join(tmp.dir, 'home');
  cwd = path.join(tmp.dir, 'project');
  secrets = path.join(tmp.dir, 'secrets');
  credFile = path.join(home, '.config', 'mcp-proxy', 'credentials.json');
});
afterEach(() => tmp.cleanup());

function chain(kind: DeploymentKind, over: Partial<CredentialChainOptions> = {}) {
  return createCredentialChain({
    deployment: { kind, evidence: 'test' },
    env: {},
    cwd,
    homedir: home,
    platform: 'linux',
    secretsDir: secrets,
    ...over,
  });
}

/** The same NAME in all four places, each with its own value. */
function everywhere(name: string) {
  writeFile(credFile, JSON.stringify({ [name]: 'value-from-file' }));
  writeFile(path.join(cwd, '.env'), `${name}=value-from-dotenv\n`);
  writeFile(path.join(secrets, name.toLowerCase()), 'value-from-secret\n');
  return { [name]: 'value-from-env' };
}

describe('precedence per deployment', () => {
  it('docker: Docker secrets, then the credentials file, then the environment, then .env', () => {
    const env = everywhere('TOKEN');
    expect(chain('docker', { env }).find('TOKEN')).toEqual({
      value: 'value-from-secret',
      source: 'docker-secret',
      origin: path.join(secrets, 'token'),
    });
    expect(chain('docker', { env }).sources.map((s) => s.name)).toEqual(['docker-secret', 'file', 'env', '.env']);
  });

  for (const kind of ['binary', 'npx', 'node'] as const) {
    it(`${kind}: the credentials file, then the environment, then .env, then Docker secrets`, () => {
      const env = everywhere('TOKEN');
      const c = chain(kind, { env });
      expect(c.sources.map((s) => s.name)).toEqual(['file', 'env', '.env', 'docker-secret']);
      expect(c.find('TOKEN')).toEqual({ value: 'value-from-file', source: 'file', origin: credFile });
    });
  }

  it('falls through each source in order (node)', () => {
    writeFile(credFile, JSON.stringify({ A: 'file-a' }));
    writeFile(path.join(cwd, '.env'), 'A=dotenv-a\nB=dotenv-b\nC=dotenv-c\n');
    writeFile(path.join(secrets, 'd'), 'secret-d');
    const c = chain('node', { env: { B: 'env-b' } });
    expect(c.find('A')?.source).toBe('file');
    expect(c.find('B')).toEqual({ value: 'env-b', source: 'env', origin: 'environment' });
    expect(c.find('C')).toEqual({ value: 'dotenv-c', source: '.env', origin: path.join(cwd, '.env') });
    expect(c.find('D')?.source).toBe('docker-secret');
    expect(c.lookup('E')).toBeUndefined();
  });

  it('falls through each source in order (docker)', () => {
    writeFile(credFile, JSON.stringify({ B: 'file-b' }));
    writeFile(path.join(cwd, '.env'), 'C=dotenv-c\nD=dotenv-d\n');
    writeFile(path.join(secrets, 'a'), 'secret-a');
    const c = chain('docker', { env: { C: 'env-c' } });
    expect(c.find('A')?.source).toBe('docker-secret');
    expect(c.find('B')?.source).toBe('file');
    expect(c.find('C')?.source).toBe('env');
    expect(c.find('D')?.source).toBe('.env');
  });

  it('the environment wins over .env', () => {
    writeFile(path.join(cwd, '.env'), 'X=from-dotenv\n');
    expect(chain('node', { env: { X: 'from-env' } }).lookup('X')).toBe('from-env');
  });

  it('NAME_FILE resolves in every deployment', () => {
    const f = writeFile(path.join(tmp.dir, 'pw.txt'), 'hunter22\n');
    for (const kind of ['docker', 'node', 'binary', 'npx'] as const) {
      expect(chain(kind, { env: { DB_PASSWORD_FILE: f } }).find('DB_PASSWORD')).toEqual({
        value: 'hunter22',
        source: 'docker-secret',
        origin: f,
      });
    }
  });

  it('--credentials and --env-file paths are relative to cwd and replace the defaults', () => {
    writeFile(path.join(cwd, 'conf', 'creds.json'), '{"A": "custom-file"}');
    writeFile(path.join(cwd, 'conf', 'vars.env'), 'B=custom-env\n');
    writeFile(credFile, '{"A": "default-file"}');
    const c = chain('node', { credentialsFile: 'conf/creds.json', envFile: 'conf/vars.env' });
    expect(c.credentialsFile).toBe(path.join(cwd, 'conf', 'creds.json'));
    expect(c.find('A')).toEqual({ value: 'custom-file', source: 'file', origin: path.join(cwd, 'conf', 'creds.json') });
    expect(c.find('B')?.origin).toBe(path.join(cwd, 'conf', 'vars.env'));
  });

  it('MCP_PROXY_SECRETS_DIR in the environment moves the secrets directory', () => {
    const dir = path.join(tmp.dir, 'other-secrets');
    writeFile(path.join(dir, 'k'), 'v-other');
    const c = createCredentialChain({
      deployment: { kind: 'docker', evidence: 'test' },
      env: { MCP_PROXY_SECRETS_DIR: dir },
      cwd,
      homedir: home,
      platform: 'linux',
    });
    expect(c.find('K')?.origin).toBe(path.join(dir, 'k'));
  });
});

describe('redaction and defaults', () => {
  it('every value found is registered with the redactor', () => {
    const redactor = new Redactor();
    writeFile(credFile, JSON.stringify({ A: 'file-secret-123' }));
    const c = chain('node', { env: { B: 'env-secret-456' }, redactor });
    c.lookup('A');
    c.lookup('B');
    expect(redactor.redact('a=file-secret-123 b=env-secret-456')).toBe('a=fi****23 b=en****56');
  });

  it('`${VAR:-default}` gets its default only when the chain finds nothing', () => {
    writeFile(credFile, JSON.stringify({ SET: 'from-file' }));
    const c = chain('node');
    const r = substitute({ a: '${SET:-d1}', b: '${UNSET:-d2}', c: '${REQUIRED}' }, c.lookup);
    expect(r.value).toEqual({ a: 'from-file', b: 'd2', c: '' });
    expect(r.missing.map((m) => m.name)).toEqual(['REQUIRED']);
  });

  it('a refused credentials file stops the lookup (no silent fall-through to the environment)', () => {
    writeFile(credFile, '{"A": "x"}', 0o644);
    expect(() => chain('node', { env: { A: 'env' } }).lookup('A')).toThrow(/accessible by other users/);
  });
});

describe('describeMissing', () => {
  it('node: names the variable, every place searched in order, and how to set it here', () => {
    const text = chain('node').describeMissing('GITHUB_TOKEN');
    expect(text).toBe(
      [
        'GITHUB_TOKEN is not set. Searched, in this order (node deployment):',
        `  1. credentials file ${credFile} (does not exist)`,
        '  2. environment variable GITHUB_TOKEN (not set)',
        `  3. .env file ${path.join(cwd, '.env')} (does not exist)`,
        `  4. Docker secret ${secrets}/GITHUB_TOKEN or ${secrets}/github_token (directory does not exist)`,
        '  5. variable GITHUB_TOKEN_FILE naming a file (not set)',
        'Set it in one of these ways:',
        `  - mcp-proxy credentials set GITHUB_TOKEN   (stores it in ${credFile}, mode 0600)`,
        `  - export GITHUB_TOKEN=...   (in the environment that starts the proxy, e.g. the MCP client's "env")`,
        `  - add GITHUB_TOKEN=... to ${path.join(cwd, '.env')}`,
      ].join('\n'),
    );
  });

  it('docker: Docker secrets first, and the compose way to add one', () => {
    writeFile(credFile, '{"OTHER": "x"}');
    const text = chain('docker').describeMissing('GITHUB_TOKEN');
    const lines = text.split('\n');
    expect(lines[0]).toBe('GITHUB_TOKEN is not set. Searched, in this order (docker deployment):');
    expect(lines[1]).toContain(`1. Docker secret ${secrets}/GITHUB_TOKEN or ${secrets}/github_token`);
    expect(lines[3]).toBe(`  3. credentials file ${credFile} (no key GITHUB_TOKEN)`);
    expect(text).toContain('add a Docker secret github_token (compose: `secrets: [github_token]`');
    expect(text).toContain('docker run -e GITHUB_TOKEN=...');
    expect(text).not.toContain('credentials set');
  });

  it('npx: the set command is spelled the npx way; a custom --credentials file is carried over', () => {
    const custom = writeFile(path.join(tmp.dir, 'etc', 'creds.json'), '{}');
    const text = chain('npx', { credentialsFile: custom }).describeMissing('API_KEY');
    expect(text).toContain(`npx mcp-proxy-server credentials set API_KEY --credentials ${custom}`);
    expect(text).toContain(`credentials file ${custom} (no key API_KEY)`);
  });

  it('Windows: PowerShell syntax', () => {
    const text = createCredentialChain({
      deployment: { kind: 'binary', evidence: 'test' },
      env: { APPDATA: 'C:\\Users\\me\\AppData\\Roaming' },
      cwd: 'C:\\work',
      homedir: 'C:\\Users\\me',
      platform: 'win32',
      secretsDir: secrets,
    }).describeMissing('API_KEY');
    expect(text).toContain('$env:API_KEY = "..."');
    expect(text).toContain('C:\\Users\\me\\AppData\\Roaming\\mcp-proxy\\credentials.json');
  });
});

describe('changes while running (config reload)', () => {
  it('sees a credentials file replaced atomically, a .env edited in place, and a new secret', () => {
    writeFile(credFile, JSON.stringify({ A: 'first-a-value' }));
    writeFile(path.join(cwd, '.env'), 'B=first-b\n');
    const c = chain('node');
    expect(c.lookup('A')).toBe('first-a-value');
    expect(c.lookup('B')).toBe('first-b');
    expect(c.lookup('C')).toBeUndefined();

    // `credentials set` replaces the file by rename (new inode).
    const tmpFile = `${credFile}.tmp`;
    writeFile(tmpFile, JSON.stringify({ A: 'second-a-value' }));
    fs.renameSync(tmpFile, credFile);
    // An editor rewriting .env in place (same inode, new size).
    fs.writeFileSync(path.join(cwd, '.env'), 'B=second-b-longer\n');
    writeFile(path.join(secrets, 'c'), 'new-secret');

    expect(c.lookup('A')).toBe('second-a-value');
    expect(c.lookup('B')).toBe('second-b-longer');
    expect(c.lookup('C')).toBe('new-secret');
  });

  it('a file made world-readable later is refused on the next lookup', () => {
    writeFile(credFile, JSON.stringify({ A: 'value-a' }));
    const c = chain('node');
    expect(c.lookup('A')).toBe('value-a');
    fs.chmodSync(credFile, 0o644);
    expect(() => c.lookup('A')).toThrow(/chmod|accessible by other users/);
  });
});
