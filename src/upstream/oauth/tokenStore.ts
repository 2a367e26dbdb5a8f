/**
 * Where OAuth logins live: one file per server, `<credentials directory>/oauth/<server>.json`, holding
 * the client registration, the discovery result and the tokens, bound to the server's URL and its
 * authorization server (issuer). Written 0600 in a 0700 directory, atomically; refused when readable
 * by others, as the credentials file is.
 *
 * A Docker secret `mcp_proxy_oauth_<server>` (a token file made by `auth login` on a workstation)
 * seeds a container: it is read when it is newer than the file in the credentials directory, and
 * every refresh is written to that directory, so rotated refresh tokens survive a restart whenever
 * the directory is writable (a volume).
 */
import fs from 'node:fs';
import path from 'node:path';
import type {
  OAuthDiscoveryState,
  StoredOAuthClientInformation,
  StoredOAuthTokens,
} from '@modelcontextprotocol/client';
import { assertPrivate } from '../../credentials/sources.js';
import { AppError, errorMessage } from '../../errors.js';
import { atomicWrite } from '../../util/atomicWrite.js';

export interface StoredLogin {
  version: 1;
  server: string;
  /** The server URL this login was made for: its tokens are sent nowhere else. */
  resource: string;
  /** The authorization server's issuer. */
  issuer?: string;
  client?: StoredOAuthClientInformation;
  /** The client was configured (`oauth.clientId`), not registered dynamically. */
  preRegistered?: boolean;
  redirectUrl?: string;
  tokens?: StoredOAuthTokens;
  /** When the access token expires, ms since the epoch (from `expires_in` when it was issued). */
  expiresAt?: number;
  discovery?: OAuthDiscoveryState;
  /** ms since the epoch; the newer of the file and a Docker secret seed wins. */
  savedAt: number;
  /** Set when a refresh was refused: the login is over until `auth login` runs again. */
  needsLogin?: { reason: string; at: number };
}

export interface TokenStoreOptions {
  /** The credentials directory's `oauth` folder. */
  dir: string;
  /** Docker secrets directory (seeds); default none. */
  secretsDir?: string;
  platform?: NodeJS.Platform;
}

export interface LoadedLogin {
  login: StoredLogin;
  /** The file it was read from. */
  origin: string;
}

/** `<dir of the credentials file>/oauth`. */
export function oauthDirFor(credentialsFile: string): string {
  return path.join(path.dirname(credentialsFile), 'oauth');
}

/** The Docker secret name that seeds `server`'s login in a container. */
export function seedSecretName(server: string): string {
  return `mcp_proxy_oauth_${server}`;
}

export class TokenStore {
  readonly dir: string;
  private readonly opts: TokenStoreOptions;
  private readonly cache = new Map<string, { sig: string; value: StoredLogin | undefined }>();

  constructor(opts: TokenStoreOptions) {
    this.opts = opts;
    this.dir = opts.dir;
  }

  file(server: string): string {
    return path.join(this.dir, `${server}.json`);
  }

  seed(server: string): string | undefined {
    return this.opts.secretsDir ? path.join(this.opts.secretsDir, seedSecretName(server)) : undefined;
  }

  /** The newest stored login for `server`, or undefined. Cheap when nothing changed (a stat per file). */
  read(server: string): LoadedLogin | undefined {
    const own = this.readFile(this.file(server), server, true);
    const seedFile = this.seed(server);
    const seed = seedFile ? this.readFile(seedFile, server, false) : undefined;
    if (seed && (!own || seed.savedAt > own.savedAt)) return { login: seed, origin: seedFile as string };
    return own ? { login: own, origin: this.file(server) } : undefined;
  }

  write(login: StoredLogin): string {
    const file = this.file(login.server);
    try {
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      atomicWrite(file, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600, platform: this.opts.platform });
    } catch (e) {
      throw new AppError('CREDENTIALS_INVALID', `cannot write OAuth token file ${file}: ${errorMessage(e)}`, {
        hint: `make ${this.dir} writable (in Docker: a volume at the credentials directory)`,
      });
    }
    return file;
  }

  /** Removes the stored login; true when there was one. */
  remove(server: string): boolean {
    const file = this.file(server);
    const existed = fs.existsSync(file);
    fs.rmSync(file, { force: true });
    this.cache.delete(file);
    return existed;
  }

  private readFile(file: string, server: string, checkMode: boolean): StoredLogin | undefined {
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      this.cache.delete(file);
      return undefined;
    }
    const sig = `${st.ino}:${st.size}:${st.mtimeMs}:${st.mode}`;
    const hit = this.cache.get(file);
    if (hit && hit.sig === sig) return hit.value;
    // Docker secrets are mounted with the host file's mode; like other secrets they are not mode-checked.
    if (checkMode && (this.opts.platform ?? process.platform) !== 'win32') assertPrivate(file, st.mode);
    const value = parseLogin(fs.readFileSync(file, 'utf8'), file, server);
    this.cache.set(file, { sig, value });
    return value;
  }
}

function parseLogin(text: string, file: string, server: string): StoredLogin {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new AppError('CREDENTIALS_INVALID', `OAuth token file ${file} is not valid JSON: ${errorMessage(e)}`, {
      hint: `run \`mcp-proxy auth login ${server}\` to write it again`,
    });
  }
  const d = data as Partial<StoredLogin> | null;
  if (!d || typeof d !== 'object' || d.version !== 1 || typeof d.resource !== 'string') {
    throw new AppError('CREDENTIALS_INVALID', `OAuth token file ${file} is not a token file of this proxy`, {
      hint: `run \`mcp-proxy auth login ${server}\` to write it again`,
    });
  }
  return { ...(d as StoredLogin), server: typeof d.server === 'string' ? d.server : '' };
}
