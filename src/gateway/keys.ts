/**
 * Named API keys. `createKey` makes a key and returns it once; only its SHA-256 digest is stored. A key is
 * 256 random bits, so a fast hash is enough: no one can guess a preimage, and a slow KDF (scrypt) would buy
 * nothing but CPU on every request. Digests are compared with `timingSafeEqual`, so timing tells nothing
 * about a stored digest. The file (JSON, 0600, atomic replace) sits beside the credentials file unless
 * the config names one; a running proxy follows it (`KeyStore.watch`), so a revoked key stops working
 * without a restart.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AppError, errorMessage } from '../errors.js';
import { atomicWrite } from '../util/atomicWrite.js';
import type { Identity } from './identity.js';

/** Every key starts with this, so the proxy tells a key from a JWT or the shared token at a glance. */
export const KEY_PREFIX = 'mcpk_';
export const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;

const KeyRecord = z
  .object({
    hash: z.string().regex(/^sha256:[0-9a-f]{64}$/),
    roles: z.array(z.string()).default([]),
    profile: z.string().optional(),
    created: z.string(),
    expires: z.string().optional(),
  })
  .strict();
const KeysFile = z.object({ version: z.literal(1), keys: z.record(z.string(), KeyRecord) }).strict();

export type KeyRecord = z.infer<typeof KeyRecord>;
export type KeysFile = z.infer<typeof KeysFile>;

/** The default keys file: beside the credentials file. */
export function defaultKeysFile(credentialsFile: string): string {
  return path.join(path.dirname(credentialsFile), 'keys.json');
}

/** The file's keys; a missing file has none. A damaged one is an error naming the file. */
export function readKeysFile(file: string): KeysFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, keys: {} };
    throw new AppError('CONFIG_INVALID', `cannot read the keys file ${file}: ${errorMessage(e)}`);
  }
  const parsed = KeysFile.safeParse(safeJson(text));
  if (!parsed.success) {
    throw new AppError('CONFIG_INVALID', `the keys file ${file} is damaged: ${parsed.error.issues[0]?.message}`, {
      hint: 'restore it from a backup, or delete it and create the keys again',
    });
  }
  return parsed.data;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function writeKeysFile(file: string, data: KeysFile): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  atomicWrite(file, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
}

export function digest(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

export interface CreateKeyOptions {
  name: string;
  roles?: string[];
  profile?: string;
  /** Lifetime in ms from `now`. */
  ttlMs?: number;
  now?: Date;
}

/** Creates NAME and returns the key (shown once; the file keeps only its digest). */
export function createKey(file: string, opts: CreateKeyOptions): { key: string; record: KeyRecord } {
  if (!KEY_NAME.test(opts.name)) {
    throw new AppError('USAGE', `"${opts.name}" is not a valid key name`, {
      hint: 'use 1-64 of letters, digits, "_", "-", ".", "@", starting with a letter or digit (e.g. alice)',
    });
  }
  const data = readKeysFile(file);
  if (data.keys[opts.name]) {
    throw new AppError('USAGE', `a key named "${opts.name}" exists already`, {
      hint: `revoke it first (\`mcp-proxy keys revoke ${opts.name}\`) or choose another name`,
    });
  }
  const now = opts.now ?? new Date();
  const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  const record: KeyRecord = {
    hash: digest(key),
    roles: opts.roles ?? [],
    ...(opts.profile ? { profile: opts.profile } : {}),
    created: now.toISOString(),
    ...(opts.ttlMs ? { expires: new Date(now.getTime() + opts.ttlMs).toISOString() } : {}),
  };
  data.keys[opts.name] = record;
  writeKeysFile(file, data);
  return { key, record };
}

/** Removes NAME; an unknown name is a usage error listing the known ones. */
export function revokeKey(file: string, name: string): void {
  const data = readKeysFile(file);
  if (!data.keys[name]) {
    const known = Object.keys(data.keys);
    throw new AppError('USAGE', `no key named "${name}"`, {
      hint: known.length ? `keys: ${known.join(', ')}` : `there are no keys in ${file}`,
    });
  }
  delete data.keys[name];
  writeKeysFile(file, data);
}

/** "30d", "12h", "90m", "45s", "2w", "1y" -> ms. */
export function parseDuration(text: string): number {
  const m = /^(\d+)\s*(s|m|h|d|w|y)$/.exec(text.trim());
  const unit = { s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5, y: 31536e6 } as const;
  if (!m || Number(m[1]) <= 0) {
    throw new AppError('USAGE', `"${text}" is not a duration`, {
      hint: 'use a number and a unit: 30d, 12h, 90m, 2w, 1y',
    });
  }
  return Number(m[1]) * unit[m[2] as keyof typeof unit];
}

interface Loaded {
  name: string;
  digest: Buffer;
  identity: Identity;
  expiresAt?: number;
}

/** The keys a running proxy accepts, read from the file and re-read when it changes. */
export class KeyStore {
  private byDigest = new Map<string, Loaded>();
  private watcher?: fs.FSWatcher;
  private timer?: NodeJS.Timeout;

  constructor(
    readonly file: string,
    private readonly opts: { now?: () => number; onError?: (message: string) => void } = {},
  ) {
    this.load();
  }

  get size(): number {
    return this.byDigest.size;
  }

  /** Re-reads the file; a damaged file keeps the keys as they were (and is reported). */
  load(): void {
    let data: KeysFile;
    try {
      data = readKeysFile(this.file);
    } catch (e) {
      this.opts.onError?.(errorMessage(e));
      return;
    }
    const next = new Map<string, Loaded>();
    for (const [name, r] of Object.entries(data.keys)) {
      const hex = r.hash.slice('sha256:'.length);
      next.set(hex, {
        name,
        digest: Buffer.from(hex, 'hex'),
        expiresAt: r.expires ? Date.parse(r.expires) : undefined,
        identity: Object.freeze({
          id: `key:${name}`,
          kind: 'key',
          roles: [...r.roles],
          claims: { name, ...(r.profile ? { profile: r.profile } : {}) },
        }) as Identity,
      });
    }
    this.byDigest = next;
  }

  /** The identity a presented key proves, or undefined (unknown, revoked or expired). */
  verify(presented: string): Identity | undefined {
    if (!presented.startsWith(KEY_PREFIX)) return undefined;
    const d = createHash('sha256').update(presented, 'utf8').digest();
    const found = this.byDigest.get(d.toString('hex'));
    if (!found || !timingSafeEqual(d, found.digest)) return undefined;
    if (found.expiresAt !== undefined && (this.opts.now ?? Date.now)() >= found.expiresAt) return undefined;
    return found.identity;
  }

  /**
   * Follows the file: its directory is watched (a rename over the file, as the atomic writer does, ends
   * a watch on the file itself).
   */
  watch(): void {
    const dir = path.dirname(this.file);
    if (this.watcher) return;
    try {
      // A key created later goes into this directory: it must exist to be watched.
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch {
      return;
    }
    const base = path.basename(this.file);
    this.watcher = fs.watch(dir, (_event, name) => {
      if (name !== null && name !== base) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.load(), 50);
    });
    this.watcher.on('error', () => {});
    this.watcher.unref();
  }

  close(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
  }
}
