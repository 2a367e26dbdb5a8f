/**
 * Which literal values of a config are registered with the redactor (configSecrets), and redactDeep
 * over the error data an upstream sends.
 */
import { describe, expect, it } from 'vitest';
import { configSecrets, registerConfigSecrets } from '../../src/cli/configSecrets.js';
import type { UpstreamConfig } from '../../src/config/schema.js';
import { mask, Redactor, redactDeep } from '../../src/observability/redact.js';

const servers = {
  gh: {
    type: 'stdio',
    command: 'npx',
    args: ['-y', 'server-github', '--api-key', 'flag-secret-value-123'],
    env: {
      GITHUB_PERSONAL_ACCESS_TOKEN: 'ghp_abcdefghijklmnopqrstuvwxyz0123',
      DB_PASSWORD: 'hunter2hunter2',
      AUTH_MODE: 'oauth',
      DEBUG: 'true',
      USE_AUTH: 'yes',
      CLIENT_ID: 'my-client',
      LOG_DIR: '/var/log/gh',
    },
  },
  remote: {
    type: 'http',
    url: 'https://user:url-pass-w0rd@mcp.example.com/mcp?api_key=query-key-4567&region=eu',
    headers: { Authorization: 'Bearer bearer-token-abcdef', 'X-API-Key': 'header-key-98765', Accept: 'text/plain' },
  },
  basic: { type: 'sse', url: 'https://mcp.example.com/sse', headers: { Authorization: 'Basic dXNlcjpwYXNzd29yZA==' } },
} as unknown as Record<string, UpstreamConfig>;

describe('configSecrets', () => {
  const found = configSecrets(servers);

  it('finds env values named like credentials or shaped like tokens, and --flag values', () => {
    expect(found).toEqual(
      expect.arrayContaining(['ghp_abcdefghijklmnopqrstuvwxyz0123', 'hunter2hunter2', 'flag-secret-value-123']),
    );
  });

  it('finds header credentials: Bearer and Basic with and without the scheme, X-API-Key', () => {
    expect(found).toEqual(
      expect.arrayContaining([
        'bearer-token-abcdef',
        'Bearer bearer-token-abcdef',
        'header-key-98765',
        'Basic dXNlcjpwYXNzd29yZA==',
        'dXNlcjpwYXNzd29yZA==',
      ]),
    );
  });

  it('finds a URL password and a secret query parameter', () => {
    expect(found).toEqual(expect.arrayContaining(['url-pass-w0rd', 'query-key-4567']));
  });

  it('leaves settings alone: modes, booleans, ids, paths, ordinary headers', () => {
    for (const v of ['oauth', 'true', 'yes', 'my-client', '/var/log/gh', 'text/plain', 'eu', 'npx', 'server-github']) {
      expect(found).not.toContain(v);
    }
  });

  it('registered, they are masked in any text', () => {
    const redactor = new Redactor();
    registerConfigSecrets(servers, redactor);
    const out = redactor.redact('401 for key header-key-98765 with Authorization: Bearer bearer-token-abcdef');
    expect(out).not.toContain('header-key-98765');
    expect(out).not.toContain('bearer-token-abcdef');
    expect(out).toContain(mask('header-key-98765'));
  });
});

describe('redactDeep', () => {
  const redactor = new Redactor();
  redactor.add('deep-secret-value');
  const redact = (t: string) => redactor.redact(t);

  it('masks strings at any depth, keys included, and keeps everything else', () => {
    const data = { key: 'deep-secret-value', n: 3, ok: true, list: [{ h: 'Bearer deep-secret-value' }, null] };
    const out = redactDeep(data, redact);
    expect(JSON.stringify(out)).not.toContain('deep-secret-value');
    expect(out).toEqual({
      key: mask('deep-secret-value'),
      n: 3,
      ok: true,
      list: [{ h: `Bearer ${mask('deep-secret-value')}` }, null],
    });
    expect(redactDeep({ 'deep-secret-value': 1 }, redact)).toEqual({ [mask('deep-secret-value')]: 1 });
  });

  it('returns the same value when nothing needed masking', () => {
    const data = { a: ['x', { b: 'y' }] };
    expect(redactDeep(data, redact)).toBe(data);
    expect(redactDeep(undefined, redact)).toBeUndefined();
  });
});
