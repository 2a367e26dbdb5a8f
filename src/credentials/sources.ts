/**
 * Where credentials live. Each source answers `get(NAME)` with the value and where it came from, and
 * can say what it searched (`places(NAME)`) so a missing credential's error names every place.
 *
 * - credentials file: a flat JSON object NAME -> string, `~/.config/mcp-proxy/credentials.json` by default;
 *   refused when group/others can read it (as ssh refuses private keys).
 * - environment, and a `.env` file parsed with dotenv into a copy (never written into process.env).
 * - Docker secrets: files in `/run/secrets` (`github_token` answers `GITHUB_TOKEN`), and `NAME_FILE`.
 *
 * Files are read lazily on the first lookup and again whenever they change (see `whenChanged`).
 */
import fs from 'node:fs';
import path from 'node:path';
import dotenv from 'dotenv';
import { AppError, errorMessage } from '../errors.js';
import { pathApi, userConfigDir } from '../util/paths.js';
import { readTextFileSync } from '../util/textFile.js';

export interface CredentialValue {
  value: string;
  /** A path, or 'environment'. */
  origin: string;
}

export interface CredentialSource {
  /** Short name shown as provenance: 'file', 'env', '.env', 'docker-secret'. */
  readonly name: string;
  /** One line for humans, e.g. "file /home/me/.config/mcp-proxy/credentials.json". */
  describe(): string;
  get(key: string): CredentialValue | undefined;
  /** What was searched for `key`, with its state ("does not exist", "no key X"), for error messages. */
  places(key: string): string[];
  /** Names this source can answer without being asked by name (for `credentials list`). */
  keys(): string[];
}

/** Variable names we look up: also keeps secret file lookups inside their directory. */
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface PlatformPaths {
  env: Record<string, string | undefined>;
  homedir: string;
  platform: NodeJS.Platform;
}

/**
 * The default credentials file: `$XDG_CONFIG_HOME/mcp-proxy/credentials.json` (XDG_CONFIG_HOME must be
 * absolute, else `~/.config`), or `%APPDATA%\mcp-proxy\credentials.json` on Windows.
 */
export function defaultCredentialsPath({ env, homedir, platform }: PlatformPaths): string {
  return pathApi(platform).join(userConfigDir({ env, homedir, platform }), 'credentials.json');
}

/** Default Docker secrets directory, `MCP_PROXY_SECRETS_DIR` overriding `/run/secrets`. */
export function defaultSecretsDir(env: Record<string, string | undefined>): string {
  return env.MCP_PROXY_SECRETS_DIR || '/run/secrets';
}

// ---------------------------------------------------------------------------------------------
// credentials file

export interface CredentialsFileOptions {
  path: string;
  platform: NodeJS.Platform;
  /** The user named this file (`--credentials`): a missing file is then an error, not "nothing here". */
  explicit?: boolean;
  /**
   * systemd's credentials directory ($CREDENTIALS_DIRECTORY, from LoadCredential=): systemd makes a file
   * there readable by the service's user through an ACL, which shows as group bits in its mode; only
   * bits for others are refused there.
   */
  systemdDir?: string;
}

/** Reads, checks and parses a credentials file; undefined when it does not exist (and was not named). */
export function readCredentialsFile(opts: CredentialsFileOptions): Record<string, string> | undefined {
  const file = opts.path;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      if (!opts.explicit) return undefined;
      throw new AppError('CREDENTIALS_MISSING', `credentials file ${file} does not exist`, {
        hint: `create it with \`mcp-proxy credentials set NAME --credentials ${file}\`, or fix the --credentials path`,
      });
    }
    throw new AppError('CREDENTIALS_INVALID', `cannot read credentials file ${file}: ${errorMessage(e)}`);
  }
  if (!stat.isFile()) {
    throw new AppError('CREDENTIALS_INVALID', `credentials file ${file} is not a regular file`);
  }
  if (opts.platform !== 'win32')
    assertPrivate(file, inSystemdDir(file, opts.systemdDir) ? stat.mode & 0o707 : stat.mode);
  let text: string;
  try {
    text = readTextFileSync(file);
  } catch (e) {
    throw new AppError('CREDENTIALS_INVALID', `cannot read credentials file ${file}: ${errorMessage(e)}`);
  }
  return parseCredentialsJson(text, file);
}

function inSystemdDir(file: string, dir: string | undefined): boolean {
  return dir !== undefined && dir !== '' && path.dirname(file) === path.resolve(dir);
}

/** Refuses a file that group or others may read or write, naming the fix (as ssh does for keys). */
export function assertPrivate(file: string, mode: number): void {
  if ((mode & 0o077) === 0) return;
  const octal = (mode & 0o777).toString(8).padStart(3, '0');
  throw new AppError('CREDENTIALS_INSECURE', `credentials file ${file} is accessible by other users (mode ${octal})`, {
    details: ['It holds secrets, so it must be readable by its owner only; it was not read.'],
    hint: `chmod 600 ${shellQuote(file)}`,
  });
}

/** Parses the flat NAME -> string object, reporting the line and column of what is wrong. */
export function parseCredentialsJson(text: string, file: string): Record<string, string> {
  if (text.trim() === '') return {};
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    const msg = errorMessage(e).replace(/\s*\(line \d+ column \d+\)/, '');
    const pos = /position (\d+)/.exec(msg);
    const { line, col } = lineCol(text, pos ? Number(pos[1]) : text.length);
    throw new AppError('CREDENTIALS_INVALID', `credentials file ${file}:${line}:${col} is not valid JSON: ${msg}`, {
      hint: 'it must be one JSON object of NAME to string value, e.g. {"GITHUB_TOKEN": "ghp_..."}',
    });
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    throw new AppError('CREDENTIALS_INVALID', `credentials file ${file}:1:1 must be a JSON object of NAME to string`, {
      hint: 'e.g. {"GITHUB_TOKEN": "ghp_..."}',
    });
  }
  const out: Record<string, string> = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    if (typeof value === 'string') {
      out[key] = value;
      continue;
    }
    const at = keyPosition(text, key);
    problems.push(`${file}:${at.line}:${at.col}: "${key}" is ${describeType(value)}, expected a string`);
  }
  if (problems.length) {
    throw new AppError('CREDENTIALS_INVALID', `credentials file ${file} has non-string values`, {
      details: problems,
      hint: 'write every value as a JSON string, e.g. "PORT": "5432"',
    });
  }
  return out;
}

export function credentialsFileSource(opts: CredentialsFileOptions): CredentialSource {
  return keyValueFileSource('file', `file ${opts.path}`, opts.path, () => readCredentialsFile(opts), {
    place: (key, exists) => `credentials file ${opts.path} (${exists ? `no key ${key}` : 'does not exist'})`,
  });
}

/** A source backed by one file of NAME -> value, re-read when it changes; undefined from `read`: no file. */
function keyValueFileSource(
  name: string,
  description: string,
  file: string,
  read: () => Record<string, string> | undefined,
  o: { place: (key: string, exists: boolean) => string },
): CredentialSource {
  const load = whenChanged(file, read);
  return {
    name,
    describe: () => description,
    get(key) {
      const d = load();
      if (d && Object.hasOwn(d, key)) return { value: d[key], origin: file };
      return undefined;
    },
    places: (key) => [o.place(key, load() !== undefined)],
    keys: () => Object.keys(load() ?? {}),
  };
}

// ---------------------------------------------------------------------------------------------
// environment and .env

export function environmentSource(env: Record<string, string | undefined>): CredentialSource {
  return {
    name: 'env',
    describe: () => 'environment',
    get(key) {
      // Own string properties only: `${__proto__}` must not find Object.prototype.
      const v = Object.hasOwn(env, key) ? env[key] : undefined;
      return typeof v === 'string' ? { value: v, origin: 'environment' } : undefined;
    },
    places: (key) => [`environment variable ${key} (not set)`],
    // The whole environment is not a credential store; list shows only what the config references.
    keys: () => [],
  };
}

export interface DotenvOptions {
  path: string;
  /** Named with --env-file: a missing file is an error. */
  explicit?: boolean;
}

/** Parses a .env file with dotenv into a fresh object; process.env is never touched. */
export function readDotenvFile(opts: DotenvOptions): Record<string, string> | undefined {
  let text: string;
  try {
    text = readTextFileSync(opts.path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if ((code === 'ENOENT' || code === 'EISDIR') && !opts.explicit) return undefined;
    throw new AppError(
      code === 'ENOENT' ? 'CREDENTIALS_MISSING' : 'CREDENTIALS_INVALID',
      code === 'ENOENT'
        ? `env file ${opts.path} does not exist`
        : `cannot read env file ${opts.path}: ${errorMessage(e)}`,
      { hint: 'fix the --env-file path' },
    );
  }
  return { ...dotenv.parse(text) };
}

export function dotenvSource(opts: DotenvOptions): CredentialSource {
  return keyValueFileSource('.env', `.env file ${opts.path}`, opts.path, () => readDotenvFile(opts), {
    place: (key, exists) => `.env file ${opts.path} (${exists ? `no ${key}=` : 'does not exist'})`,
  });
}

// ---------------------------------------------------------------------------------------------
// Docker secrets

export interface SecretsOptions {
  dir: string;
  /** For the NAME_FILE convention. */
  env: Record<string, string | undefined>;
}

/**
 * Docker secrets: `<dir>/<NAME>` or `<dir>/<name>` (lowercase file for an uppercase variable), and
 * `NAME_FILE=/path` pointing at a file anywhere (the convention of the official Docker images).
 * One trailing newline is trimmed, as `echo token > file` writes one.
 */
export function dockerSecretsSource(opts: SecretsOptions): CredentialSource {
  const dirExists = () => isDirectory(opts.dir);
  const candidates = (key: string) => [...new Set([key, key.toLowerCase()])].map((n) => path.join(opts.dir, n));
  return {
    name: 'docker-secret',
    describe: () => `Docker secrets ${opts.dir}${dirExists() ? '' : ' (does not exist)'}, and NAME_FILE variables`,
    get(key) {
      if (!VARIABLE_NAME.test(key)) return undefined;
      const pointer = opts.env[`${key}_FILE`];
      if (pointer) {
        const value = readSecretFile(pointer, `${key}_FILE`);
        return { value, origin: pointer };
      }
      if (!dirExists()) return undefined;
      for (const file of candidates(key)) {
        if (isFile(file)) return { value: readSecretFile(file), origin: file };
      }
      return undefined;
    },
    places(key) {
      const files = candidates(key).join(' or ');
      return [
        `Docker secret ${files} (${dirExists() ? 'no such file' : 'directory does not exist'})`,
        `variable ${key}_FILE naming a file (not set)`,
      ];
    },
    keys() {
      if (!dirExists()) return [];
      try {
        return fs
          .readdirSync(opts.dir)
          .filter((n) => VARIABLE_NAME.test(n) && isFile(path.join(opts.dir, n)))
          .map((n) => n.toUpperCase());
      } catch {
        return [];
      }
    },
  };
}

function readSecretFile(file: string, via?: string): string {
  try {
    return readTextFileSync(file).replace(/\r?\n$/, '');
  } catch (e) {
    const where = via ? `${via}=${file}` : file;
    throw new AppError('CREDENTIALS_INVALID', `cannot read secret file ${where}: ${errorMessage(e)}`, {
      hint: via ? `point ${via} at a readable file, or unset it` : undefined,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// helpers

/**
 * Caches `read()` until the file changes (inode, size, mtime or mode), so a long-running proxy that
 * reloads its config sees an edited credentials or .env file, while lookups between edits cost a stat.
 * A read that throws is not cached: the next lookup tries again.
 */
function whenChanged<T>(file: string, read: () => T): () => T {
  let signature: string | undefined;
  let value: T;
  return () => {
    let sig: string;
    try {
      const st = fs.statSync(file);
      sig = `${st.ino}:${st.size}:${st.mtimeMs}:${st.mode}`;
    } catch (e) {
      sig = `error:${(e as NodeJS.ErrnoException).code}`;
    }
    if (sig !== signature) {
      value = read();
      signature = sig;
    }
    return value;
  };
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, col: lines[lines.length - 1].length + 1 };
}

function keyPosition(text: string, key: string): { line: number; col: number } {
  const i = text.indexOf(JSON.stringify(key));
  return lineCol(text, Math.max(i, 0));
}

function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

/** Quotes a path for a POSIX shell only when it needs it. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./~@%+=:,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
