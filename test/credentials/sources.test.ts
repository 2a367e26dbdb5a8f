import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  credentialsFileSource,
  defaultCredentialsPath,
  defaultSecretsDir,
  dockerSecretsSource,
  dotenvSource,
  environmentSource,
} from '../../src/credentials/sources.js';
import { AppError } from '../../src/errors.js';
import { tempDir, writeFile } from '../helpers/files.js';
import { thrown } from '../helpers/thrown.js';

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

describe('defaultCredentialsPath', () => {
  it('is ~/.config/mcp-proxy/credentials.json on Linux and macOS', () => {
    expect(defaultCredentialsPath({ env: {}, homedir: '/home/me', platform: 'linux' })).toBe(
      '/home/me/.config/mcp-proxy/credentials.json',
    );
    expect(defaultCredentialsPath({ env: {}, homedir: '/Users/me', platform: 'darwin' })).toBe(
      '/Users/me/.config/mcp-proxy/credentials.json',
    );
  });
  it('honours an absolute XDG_CONFIG_HOME and ignores a relative one', () => {
    expect(defaultCredentialsPath({ env: { XDG_CONFIG_HOME: '/xdg' }, homedir: '/home/me', platform: 'linux' })).toBe(
      '/xdg/mcp-proxy/credentials.json',
    );
    expect(defaultCredentialsPath({ env: { XDG_CONFIG_HOME: 'rel' }, homedir: '/home/me', platform: 'linux' })).toBe(
      '/home/me/.config/mcp-proxy/credentials.json',
    );
  });
  it('is %APPDATA%\\mcp-proxy\\credentials.json on Windows', () => {
    expect(
      defaultCredentialsPath({
        env: { APPDATA: 'C:\\Users\\me\\AppData\\Roaming' },
        homedir: 'C:\\Users\\me',
        platform: 'win32',
      }),
    ).toBe('C:\\Users\\me\\AppData\\Roaming\\mcp-proxy\\credentials.json');
    expect(defaultCredentialsPath({ env: {}, homedir: 'C:\\Users\\me', platform: 'win32' })).toBe(
      'C:\\Users\\me\\AppData\\Roaming\\mcp-proxy\\credentials.json',
    );
  });
  it('secrets default to /run/secrets, MCP_PROXY_SECRETS_DIR overriding', () => {
    expect(defaultSecretsDir({})).toBe('/run/secrets');
    expect(defaultSecretsDir({ MCP_PROXY_SECRETS_DIR: '/s' })).toBe('/s');
  });
});

describe('credentials file source', () => {
  it('answers names from a 0600 JSON object with the file as origin', () => {
    const file = writeFile(path.join(tmp.dir, 'credentials.json'), '{"GITHUB_TOKEN": "ghp_abc123", "EMPTY": ""}');
    const src = credentialsFileSource({ path: file, platform: 'linux' });
    expect(src.name).toBe('file');
    expect(src.describe()).toBe(`file ${file}`);
    expect(src.get('GITHUB_TOKEN')).toEqual({ value: 'ghp_abc123', origin: file });
    expect(src.get('EMPTY')).toEqual({ value: '', origin: file });
    expect(src.get('OTHER')).toBeUndefined();
    expect(src.get('toString')).toBeUndefined();
    expect(src.keys()).toEqual(['GITHUB_TOKEN', 'EMPTY']);
    expect(src.places('OTHER')).toEqual([`credentials file ${file} (no key OTHER)`]);
  });

  it('a missing default file is simply empty', () => {
    const file = path.join(tmp.dir, 'nope', 'credentials.json');
    const src = credentialsFileSource({ path: file, platform: 'linux' });
    expect(src.get('X')).toBeUndefined();
    expect(src.places('X')).toEqual([`credentials file ${file} (does not exist)`]);
  });

  it('a missing file named with --credentials is an error (exit 3)', () => {
    const file = path.join(tmp.dir, 'nope.json');
    const e = thrown(() => credentialsFileSource({ path: file, platform: 'linux', explicit: true }).get('X'));
    expect(e).toBeInstanceOf(AppError);
    expect(e.code).toBe('CREDENTIALS_MISSING');
    expect(e.exitCode).toBe(3);
    expect(e.message).toContain(file);
  });

  for (const mode of [0o644, 0o640, 0o604, 0o660]) {
    it(`refuses a file with mode ${mode.toString(8)} and names the chmod fix`, () => {
      const file = writeFile(path.join(tmp.dir, 'my creds.json'), '{"A": "secret-value"}', mode);
      const e = thrown(() => credentialsFileSource({ path: file, platform: 'linux' }).get('A'));
      expect(e.code).toBe('CREDENTIALS_INSECURE');
      expect(e.exitCode).toBe(3);
      expect(e.hint).toBe(`chmod 600 '${file}'`);
      expect(e.format()).toContain(`mode ${mode.toString(8)}`);
      expect(e.format()).not.toContain('secret-value');
    });
  }

  it('accepts 0400 and skips the mode check on Windows', () => {
    const ro = writeFile(path.join(tmp.dir, 'ro.json'), '{"A": "v1"}', 0o400);
    expect(credentialsFileSource({ path: ro, platform: 'linux' }).get('A')?.value).toBe('v1');
    const open = writeFile(path.join(tmp.dir, 'open.json'), '{"A": "v2"}', 0o644);
    expect(credentialsFileSource({ path: open, platform: 'win32' }).get('A')?.value).toBe('v2');
  });

  it("in systemd's credentials directory (LoadCredential=) the ACL's group bits are accepted, others' are not", () => {
    const dir = path.join(tmp.dir, 'credentials');
    const file = writeFile(path.join(dir, 'credentials.json'), '{"A": "v"}', 0o440);
    expect(credentialsFileSource({ path: file, platform: 'linux', systemdDir: dir }).get('A')?.value).toBe('v');
    // The same file elsewhere, or with bits for others, is refused.
    expect(thrown(() => credentialsFileSource({ path: file, platform: 'linux' }).get('A')).code).toBe(
      'CREDENTIALS_INSECURE',
    );
    const other = writeFile(path.join(dir, 'other.json'), '{"A": "v"}', 0o444);
    expect(thrown(() => credentialsFileSource({ path: other, platform: 'linux', systemdDir: dir }).get('A')).code).toBe(
      'CREDENTIALS_INSECURE',
    );
  });

  it('reports invalid JSON with path, line and column', () => {
    const file = writeFile(path.join(tmp.dir, 'c.json'), '{\n  "A": "x",\n  B: "y"\n}\n');
    const e = thrown(() => credentialsFileSource({ path: file, platform: 'linux' }).get('A'));
    expect(e.code).toBe('CREDENTIALS_INVALID');
    expect(e.exitCode).toBe(3);
    expect(e.message).toContain(`${file}:3:3`);
  });

  it('reports non-string values with their line and column', () => {
    const file = writeFile(path.join(tmp.dir, 'c.json'), '{\n  "A": "x",\n  "PORT": 5432,\n  "L": ["a"]\n}\n');
    const e = thrown(() => credentialsFileSource({ path: file, platform: 'linux' }).get('A'));
    expect(e.code).toBe('CREDENTIALS_INVALID');
    expect(e.details).toEqual([
      `${file}:3:3: "PORT" is a number, expected a string`,
      `${file}:4:3: "L" is an array, expected a string`,
    ]);
  });

  it('rejects a top-level array', () => {
    const file = writeFile(path.join(tmp.dir, 'c.json'), '["A"]');
    expect(thrown(() => credentialsFileSource({ path: file, platform: 'linux' }).get('A')).code).toBe(
      'CREDENTIALS_INVALID',
    );
  });
});

describe('environment and .env sources', () => {
  it('the environment answers from the given object', () => {
    const src = environmentSource({ A: 'from-env' });
    expect(src.get('A')).toEqual({ value: 'from-env', origin: 'environment' });
    expect(src.get('B')).toBeUndefined();
    expect(src.places('B')).toEqual(['environment variable B (not set)']);
    expect(src.get('__proto__')).toBeUndefined();
    expect(src.get('toString')).toBeUndefined();
    expect(environmentSource(process.env).get('__proto__')).toBeUndefined();
  });

  it('.env is parsed with dotenv into a copy and never reaches process.env', () => {
    const name = `MCP_PROXY_TEST_DOTENV_${process.pid}`;
    const file = writeFile(
      path.join(tmp.dir, '.env'),
      `# comment\n${name}=dotenv-value\nQUOTED="a b # c"\nexport EXPORTED=yes\nMULTI="line1\nline2"\n`,
    );
    const src = dotenvSource({ path: file });
    expect(src.get(name)).toEqual({ value: 'dotenv-value', origin: file });
    expect(src.get('QUOTED')?.value).toBe('a b # c');
    expect(src.get('EXPORTED')?.value).toBe('yes');
    expect(src.get('MULTI')?.value).toBe('line1\nline2');
    expect(process.env[name]).toBeUndefined();
    expect(src.keys()).toContain(name);
  });

  it('a missing default .env is empty; a missing --env-file is an error', () => {
    const file = path.join(tmp.dir, '.env');
    expect(dotenvSource({ path: file }).get('A')).toBeUndefined();
    expect(dotenvSource({ path: file }).places('A')).toEqual([`.env file ${file} (does not exist)`]);
    const e = thrown(() => dotenvSource({ path: file, explicit: true }).get('A'));
    expect(e.code).toBe('CREDENTIALS_MISSING');
    expect(e.message).toContain(file);
  });
});

describe('Docker secrets source', () => {
  it('a lowercase secret file answers the uppercase variable, one trailing newline trimmed', () => {
    const dir = path.join(tmp.dir, 'secrets');
    writeFile(path.join(dir, 'github_token'), 'ghp_fromsecret\n');
    writeFile(path.join(dir, 'two_newlines'), 'v\n\n');
    const src = dockerSecretsSource({ dir, env: {} });
    expect(src.get('GITHUB_TOKEN')).toEqual({ value: 'ghp_fromsecret', origin: path.join(dir, 'github_token') });
    expect(src.get('TWO_NEWLINES')?.value).toBe('v\n');
    expect(src.keys().sort()).toEqual(['GITHUB_TOKEN', 'TWO_NEWLINES']);
  });

  it('an exact-name file is preferred and matched as is', () => {
    const dir = path.join(tmp.dir, 'secrets');
    writeFile(path.join(dir, 'API_KEY'), 'exact');
    writeFile(path.join(dir, 'api_key'), 'lower');
    writeFile(path.join(dir, 'db_password'), 'pw\r\n');
    const src = dockerSecretsSource({ dir, env: {} });
    expect(src.get('API_KEY')?.value).toBe('exact');
    expect(src.get('db_password')?.value).toBe('pw');
  });

  it('NAME_FILE points at a file anywhere and wins over the directory', () => {
    const dir = path.join(tmp.dir, 'secrets');
    writeFile(path.join(dir, 'github_token'), 'from-dir');
    const elsewhere = writeFile(path.join(tmp.dir, 'elsewhere', 'x'), 'from-pointer\n');
    const src = dockerSecretsSource({ dir, env: { GITHUB_TOKEN_FILE: elsewhere } });
    expect(src.get('GITHUB_TOKEN')).toEqual({ value: 'from-pointer', origin: elsewhere });
  });

  it('NAME_FILE works without a secrets directory, and an unreadable one is an error naming it', () => {
    const f = writeFile(path.join(tmp.dir, 'tok'), 'abc');
    expect(dockerSecretsSource({ dir: path.join(tmp.dir, 'none'), env: { T_FILE: f } }).get('T')?.value).toBe('abc');
    const e = thrown(() =>
      dockerSecretsSource({ dir: path.join(tmp.dir, 'none'), env: { T_FILE: path.join(tmp.dir, 'missing') } }).get('T'),
    );
    expect(e.code).toBe('CREDENTIALS_INVALID');
    expect(e.message).toContain(`T_FILE=${path.join(tmp.dir, 'missing')}`);
  });

  it('names that are not variable names never escape the directory', () => {
    const dir = path.join(tmp.dir, 'secrets');
    writeFile(path.join(dir, 'ok'), 'x');
    writeFile(path.join(tmp.dir, 'outside'), 'leak');
    const src = dockerSecretsSource({ dir, env: {} });
    expect(src.get('../outside')).toBeUndefined();
    expect(src.get('OUTSIDE')).toBeUndefined();
  });

  it('a missing directory answers nothing and says so', () => {
    const dir = path.join(tmp.dir, 'none');
    const src = dockerSecretsSource({ dir, env: {} });
    expect(src.get('A')).toBeUndefined();
    expect(src.describe()).toContain('(does not exist)');
    expect(src.places('A')).toEqual([
      `Docker secret ${dir}/A or ${dir}/a (directory does not exist)`,
      'variable A_FILE naming a file (not set)',
    ]);
  });
});

describe('files saved as UTF-16 (Windows PowerShell 5 writes `echo ... > file` so)', () => {
  const utf16 = (file: string, text: string) => {
    writeFile(file, '');
    fs.writeFileSync(file, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    return file;
  };

  it('a .env file, a NAME_FILE secret and the credentials file give their values, not NUL-riddled text', () => {
    const env = utf16(path.join(tmp.dir, '.env'), 'API_KEY=from-dotenv\r\n');
    expect(dotenvSource({ path: env }).get('API_KEY')?.value).toBe('from-dotenv');
    const secret = utf16(path.join(tmp.dir, 'token.txt'), 'from-file\r\n');
    expect(dockerSecretsSource({ dir: path.join(tmp.dir, 'none'), env: { T_FILE: secret } }).get('T')?.value).toBe(
      'from-file',
    );
    const creds = utf16(path.join(tmp.dir, 'credentials.json'), '{"X": "from-store"}');
    expect(credentialsFileSource({ path: creds, platform: 'linux' }).get('X')?.value).toBe('from-store');
  });
});
