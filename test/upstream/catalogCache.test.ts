/** The catalog cache: hit, miss, stale and corrupt entries, secrets kept out, the cache off. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import type { UpstreamConfig } from '../../src/config/schema.js';
import { createLogger } from '../../src/observability/logger.js';
import { CatalogCache, configKey } from '../../src/upstream/catalogCache.js';
import { tmpDir } from '../helpers/proxy.js';

const log = createLogger({ level: 'silent', format: 'json' });
const SECRET = 'sk-live-0123456789abcdef';
const config: UpstreamConfig = {
  type: 'stdio',
  command: 'node',
  args: ['server.js'],
  env: { API_KEY: SECRET },
} as UpstreamConfig;
const entry = {
  catalog: {
    tools: [{ name: 'echo', inputSchema: { type: 'object' as const } }],
    prompts: [],
    resources: [],
    resourceTemplates: [],
  },
  instructions: 'Use echo.',
};

describe('CatalogCache', () => {
  test('a written catalog is read back for the same config, and missed for another', () => {
    const cache = new CatalogCache(tmpDir(), log);
    expect(cache.read('s', config)).toBeUndefined();
    cache.write('s', config, entry);
    expect(cache.read('s', config)).toEqual({ ...entry, capabilities: undefined });
    expect(cache.read('s', { ...config, args: ['other.js'] } as UpstreamConfig)).toBeUndefined();
    expect(cache.read('t', config)).toBeUndefined();
  });

  test('writeAll tells once per batch that wrote something (the kept initialize answer follows it)', () => {
    let told = 0;
    const cache = new CatalogCache(tmpDir(), log, () => told++);
    cache.writeAll([
      ['s', config, entry],
      ['t', config, entry],
    ]);
    expect(told).toBe(1);
    expect(cache.read('t', config)?.instructions).toBe('Use echo.');
    cache.writeAll([]);
    new CatalogCache(undefined, log, () => told++).writeAll([['s', config, entry]]);
    const blocked = path.join(tmpDir(), 'a-file');
    fs.writeFileSync(blocked, '');
    new CatalogCache(path.join(blocked, 'cache'), log, () => told++).writeAll([['s', config, entry]]);
    expect(told).toBe(1);
  });

  test('a changed secret value is the same server; a changed variable name is not', () => {
    expect(configKey('s', { ...config, env: { API_KEY: 'other' } } as UpstreamConfig)).toBe(configKey('s', config));
    expect(configKey('s', { ...config, env: { OTHER_KEY: SECRET } } as UpstreamConfig)).not.toBe(
      configKey('s', config),
    );
  });

  test('no secret value in the file or its name; the file is 0600', () => {
    const dir = tmpDir();
    new CatalogCache(dir, log).write('s', config, entry);
    const [name] = fs.readdirSync(dir);
    expect(name).not.toContain(SECRET);
    const file = path.join(dir, name);
    expect(fs.readFileSync(file, 'utf8')).not.toContain(SECRET);
    if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  test('corrupt, truncated and foreign-format entries are misses, and are replaced by the next write', () => {
    const dir = tmpDir();
    const cache = new CatalogCache(dir, log);
    cache.write('s', config, entry);
    const file = path.join(dir, fs.readdirSync(dir)[0]);
    for (const bad of [
      '{not json',
      '',
      JSON.stringify({ format: 99, server: 's', catalog: entry.catalog }),
      '{"format":1,"server":"s"}',
    ]) {
      fs.writeFileSync(file, bad);
      expect(cache.read('s', config)).toBeUndefined();
    }
    cache.write('s', config, entry);
    expect(cache.read('s', config)?.catalog.tools[0].name).toBe('echo');
  });

  test('off: nothing is read or written', () => {
    const cache = new CatalogCache(undefined, log);
    cache.write('s', config, entry);
    expect(cache.read('s', config)).toBeUndefined();
  });
});
