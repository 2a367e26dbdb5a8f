/** Named API keys: shown once, stored as a hash in a 0600 file, verified in constant time, followed live. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import {
  createKey,
  digest,
  KEY_PREFIX,
  KeyStore,
  parseDuration,
  readKeysFile,
  revokeKey,
} from '../../src/gateway/keys.js';
import { tempDir } from '../helpers/files.js';
import { waitFor } from '../helpers/wait.js';

const tmp = tempDir('mcp-proxy-keys-');
afterAll(tmp.cleanup);
let n = 0;
const freshFile = () => path.join(tmp.dir, `d${n++}`, 'keys.json');

describe('keys file', () => {
  test('create: the key is returned once; the file holds only its hash, mode 0600 in a 0700 directory', () => {
    const file = freshFile();
    const { key, record } = createKey(file, { name: 'alice', roles: ['dev'], profile: 'small' });
    expect(key.startsWith(KEY_PREFIX)).toBe(true);
    expect(key.length).toBeGreaterThan(40);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain(key);
    expect(text).not.toContain(key.slice(KEY_PREFIX.length, KEY_PREFIX.length + 12));
    expect(record.hash).toBe(digest(key));
    expect(readKeysFile(file).keys.alice).toMatchObject({ roles: ['dev'], profile: 'small' });
    if (process.platform !== 'win32') {
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    }
    // Two keys never collide, and a name is taken once.
    const other = createKey(file, { name: 'bob' });
    expect(other.key).not.toBe(key);
    expect(() => createKey(file, { name: 'alice' })).toThrow(/exists already/);
    expect(() => createKey(file, { name: 'no spaces' })).toThrow(/not a valid key name/);
  });

  test('revoke: removes the one key; an unknown name lists the known ones', () => {
    const file = freshFile();
    createKey(file, { name: 'alice' });
    createKey(file, { name: 'bob' });
    revokeKey(file, 'alice');
    expect(Object.keys(readKeysFile(file).keys)).toEqual(['bob']);
    expect(() => revokeKey(file, 'alice')).toThrow(/no key named "alice"/);
  });

  test('durations', () => {
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    expect(parseDuration('12h')).toBe(12 * 3_600_000);
    expect(() => parseDuration('soon')).toThrow(/not a duration/);
    expect(() => parseDuration('0d')).toThrow(/not a duration/);
  });

  test('a damaged file is an error naming it', () => {
    const file = freshFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"version": 1, "keys": {"a": {"hash": "plain"}}}');
    expect(() => readKeysFile(file)).toThrow(file);
  });
});

describe('KeyStore', () => {
  test('verify: the key proves its identity; a changed, unknown or expired key proves nothing', () => {
    const file = freshFile();
    let now = Date.parse('2026-01-01T00:00:00Z');
    const { key } = createKey(file, { name: 'alice', roles: ['dev'], ttlMs: 60_000, now: new Date(now) });
    const store = new KeyStore(file, { now: () => now });
    expect(store.verify(key)).toEqual({
      id: 'key:alice',
      kind: 'key',
      roles: ['dev'],
      claims: { name: 'alice' },
    });
    expect(store.verify(`${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`)).toBeUndefined();
    expect(store.verify('mcpk_unknown')).toBeUndefined();
    expect(store.verify(key.slice(KEY_PREFIX.length))).toBeUndefined();
    now += 60_000;
    expect(store.verify(key)).toBeUndefined();
  });

  test('watch: a key revoked or created in the file is followed without a restart', async () => {
    const file = freshFile();
    const alice = createKey(file, { name: 'alice' }).key;
    const store = new KeyStore(file);
    store.watch();
    try {
      expect(store.verify(alice)?.id).toBe('key:alice');
      revokeKey(file, 'alice');
      await waitFor(() => store.verify(alice) === undefined, 'the revoked key to be refused');
      const bob = createKey(file, { name: 'bob' }).key;
      await waitFor(() => store.verify(bob)?.id === 'key:bob', 'the new key to be accepted');
    } finally {
      store.close();
    }
  });

  test('a damaged file keeps the keys read before (and reports it)', () => {
    const file = freshFile();
    const { key } = createKey(file, { name: 'alice' });
    const errors: string[] = [];
    const store = new KeyStore(file, { onError: (m) => errors.push(m) });
    fs.writeFileSync(file, 'not json');
    store.load();
    expect(store.verify(key)?.id).toBe('key:alice');
    expect(errors[0]).toContain('damaged');
  });
});
