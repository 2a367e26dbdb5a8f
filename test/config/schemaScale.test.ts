/**
 * Scale settings of a server entry: replicas (a count, or endpoints merged onto the entry), balance,
 * backups and the cache, as the proxy reads them; mistakes are named with their place and the fix.
 */
import { describe, expect, test } from 'vitest';
import { ConfigError } from '../../src/config/configError.js';
import { parseConfigText } from '../../src/config/load.js';
import { normalizeServerEntry } from '../../src/config/schema.js';
import { replicaEntries } from '../../src/config/schemaScale.js';

function parse(server: unknown) {
  return parseConfigText(JSON.stringify({ mcpServers: { s: server } }), 'c.json', () => undefined).config.mcpServers.s;
}

function problem(server: unknown): string {
  try {
    parse(server);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    const err = e as ConfigError;
    return [err.message, ...err.problems.map((p) => `${p.path}: ${p.message} ${p.hint ?? ''}`)].join('\n');
  }
  throw new Error('expected the config to be refused');
}

function replicas(server: unknown) {
  const entry = parse(server) as Record<string, unknown>;
  return replicaEntries('s', entry, normalizeServerEntry);
}

describe('replicas in a server entry', () => {
  test('a count of a stdio server: that many copies of the entry, labelled name#i', () => {
    const r = replicas({ command: 'node', args: ['x.js'], replicas: 3, balance: 'least-outstanding' });
    expect(r.map((x) => x.label)).toEqual(['s#1', 's#2', 's#3']);
    for (const x of r) expect(x.config).toEqual({ type: 'stdio', command: 'node', args: ['x.js'] });
  });

  test("endpoints take the entry's fields, override its own, carry weight and backup", () => {
    const r = replicas({
      headers: { Authorization: 'Bearer t' },
      timeout: 5000,
      replicas: [{ url: 'http://a/mcp', weight: 3 }, { url: 'http://b/mcp' }, { url: 'http://c/mcp', backup: true }],
      balance: 'weighted',
    });
    expect(r.map((x) => [x.label, (x.config as { url: string }).url, x.weight, x.backup])).toEqual([
      ['s#1', 'http://a/mcp', 3, false],
      ['s#2', 'http://b/mcp', 1, false],
      ['s#3', 'http://c/mcp', 1, true],
    ]);
    expect(r[1].config).toEqual({
      type: 'http',
      url: 'http://b/mcp',
      headers: { Authorization: 'Bearer t' },
      timeout: 5000,
    });
  });

  test('a replica of another kind keeps only the kind-free fields of the entry', () => {
    const r = replicas({ url: 'http://a/mcp', headers: { X: '1' }, timeout: 9, replicas: [{}, { command: 'node' }] });
    expect(r[0].config).toEqual({ type: 'http', url: 'http://a/mcp', headers: { X: '1' }, timeout: 9 });
    expect(r[1].config).toEqual({ type: 'stdio', command: 'node', timeout: 9 });
  });

  test('no replicas: the entry itself under its own name', () => {
    expect(replicas({ command: 'node' })).toEqual([
      { label: 's', config: { type: 'stdio', command: 'node' }, weight: 1, backup: false },
    ]);
  });

  test('mistakes are refused with the place and the fix', () => {
    expect(problem({ url: 'http://a/mcp', replicas: 2 })).toMatch(/mcpServers\.s\.replicas.*list its endpoints/s);
    expect(problem({ replicas: [{ url: 'http://a/mcp', backup: true }] })).toMatch(/every replica is a backup/);
    expect(problem({ command: 'node', replicas: 2, isolation: 'session' })).toMatch(/"balance": "session"/);
    expect(problem({ command: 'node', balance: 'session' })).toMatch(/add "replicas"/);
    expect(problem({ command: 'node', replicas: 2, balance: 'random' })).toMatch(/balance/);
    expect(problem({ replicas: [{ url: 'http://a/mcp' }, { url: 'not a url' }] })).toMatch(
      /replicas\.1\.url|replicas\[1\]\.url/,
    );
    expect(problem({ command: 'node', replicas: 0 })).toMatch(/replicas/);
  });
});

describe('cache settings', () => {
  test('server-wide and per tool', () => {
    const s = parse({
      command: 'node',
      cache: { ttlMs: 1000, maxEntries: 10, tools: { search: { ttlMs: 50 }, now: false } },
    });
    expect(s.cache).toEqual({ ttlMs: 1000, maxEntries: 10, tools: { search: { ttlMs: 50 }, now: false } });
  });

  test('a tool rule without a TTL, or an unknown key, is refused', () => {
    expect(problem({ command: 'node', cache: { tools: { search: {} } } })).toMatch(/cache\.tools\.search/);
    expect(problem({ command: 'node', cache: { ttl: 5 } })).toMatch(/ttl/);
  });
});
