/** The token file store: private files, atomic writes, a Docker secret seed that is used when newer. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type StoredLogin, TokenStore } from '../../../src/upstream/oauth/tokenStore.js';
import { tempDir } from '../../helpers/files.js';

const tmp = tempDir('mcp-oauth-store-');
afterAll(() => tmp.cleanup());

const login = (savedAt: number, access: string): StoredLogin => ({
  version: 1,
  server: 's',
  resource: 'https://mcp.example.com/mcp',
  tokens: { access_token: access, token_type: 'Bearer' },
  savedAt,
});

describe('TokenStore', () => {
  it('writes 0600 in a 0700 directory and reads back what it wrote, seeing later changes', () => {
    const store = new TokenStore({ dir: path.join(tmp.dir, 'a', 'oauth') });
    store.write(login(1, 'one'));
    expect(fs.statSync(store.file('s')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(store.dir).mode & 0o777).toBe(0o700);
    expect(store.read('s')?.login.tokens?.access_token).toBe('one');
    new TokenStore({ dir: store.dir }).write(login(2, 'two'));
    expect(store.read('s')?.login.tokens?.access_token).toBe('two');
    expect(fs.readdirSync(store.dir)).toEqual(['s.json']);
  });

  it('refuses a token file that group or others can read', () => {
    const store = new TokenStore({ dir: path.join(tmp.dir, 'b', 'oauth') });
    store.write(login(1, 'one'));
    fs.chmodSync(store.file('s'), 0o640);
    expect(() => store.read('s')).toThrow(/accessible by other users \(mode 640\)/);
  });

  it('a Docker secret seeds the login; whichever of the two is newer wins', () => {
    const secrets = path.join(tmp.dir, 'c', 'secrets');
    fs.mkdirSync(secrets, { recursive: true });
    const store = new TokenStore({ dir: path.join(tmp.dir, 'c', 'oauth'), secretsDir: secrets });
    expect(store.read('s')).toBeUndefined();
    const seed = path.join(secrets, 'mcp_proxy_oauth_s');
    fs.writeFileSync(seed, JSON.stringify(login(10, 'seeded')), { mode: 0o644 });
    expect(store.read('s')).toEqual({ login: expect.objectContaining({ savedAt: 10 }), origin: seed });
    store.write(login(20, 'refreshed'));
    expect(store.read('s')?.login.tokens?.access_token).toBe('refreshed');
    fs.writeFileSync(seed, JSON.stringify(login(30, 'new workstation login')));
    expect(store.read('s')?.login.tokens?.access_token).toBe('new workstation login');
  });

  it('a file that is not a token file is refused with the command that rewrites it', () => {
    const store = new TokenStore({ dir: path.join(tmp.dir, 'd', 'oauth') });
    fs.mkdirSync(store.dir, { recursive: true });
    fs.writeFileSync(store.file('s'), '{"x":1}', { mode: 0o600 });
    expect(() => store.read('s')).toThrow(/is not a token file of this proxy/);
  });
});
