/**
 * Known catalogs: a connected server's catalog is written to the disk cache a moment later (servers
 * connect in a burst at start-up), together with those connecting meanwhile, and at once on flush (the
 * pool's close); an unchanged catalog is not written again. A real cache directory.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, test, vi } from 'vitest';
import type { UpstreamConfig } from '../../src/config/schema.js';
import { createLogger } from '../../src/observability/logger.js';
import { CatalogCache } from '../../src/upstream/catalogCache.js';
import { KnownCatalogs } from '../../src/upstream/knownCatalogs.js';
import type { Upstream } from '../../src/upstream/upstream.js';
import { tmpDir } from '../helpers/proxy.js';

const log = createLogger({ level: 'silent', format: 'json' });
const conn = (name: string, tool = 'echo') =>
  ({
    name,
    config: { type: 'stdio', command: 'node', args: [`${name}.js`] } as UpstreamConfig,
    catalog: {
      tools: [{ name: tool, inputSchema: { type: 'object' } }],
      prompts: [],
      resources: [],
      resourceTemplates: [],
    },
    capabilities: { tools: {} },
    instructions: undefined,
  }) as unknown as Upstream;

afterEach(() => {
  vi.useRealTimers();
});

function setup(redact = (t: string) => t) {
  const dir = tmpDir();
  const cache = new CatalogCache(dir, log);
  const known = new KnownCatalogs(cache, redact, () => true);
  return { dir, cache, known, files: () => fs.readdirSync(dir).filter((f) => f.endsWith('.json')).length };
}

describe('KnownCatalogs', () => {
  test('catalogs are written together a moment after the first connected, not at once', () => {
    vi.useFakeTimers();
    const { cache, known, files } = setup();
    const a = conn('a');
    known.remember(a);
    known.remember(conn('b'));
    expect(known.get('a')?.catalog.tools[0]?.name).toBe('echo'); // known in memory at once
    expect(files()).toBe(0);
    vi.advanceTimersByTime(999);
    expect(files()).toBe(0);
    vi.advanceTimersByTime(1);
    expect(files()).toBe(2);
    expect(cache.read('a', a.config)?.catalog.tools[0]?.name).toBe('echo');
  });

  test('flush writes what is due at once; an unchanged catalog is not due again, a changed one is', () => {
    const { dir, cache, known, files } = setup();
    const a = conn('a');
    known.remember(a);
    known.flush();
    expect(files()).toBe(1);
    fs.rmSync(dir, { recursive: true });
    known.remember(a);
    known.flush();
    expect(fs.existsSync(dir)).toBe(false);
    known.remember(conn('a', 'renamed'));
    known.flush();
    expect(cache.read('a', a.config)?.catalog.tools[0]?.name).toBe('renamed');
  });

  test('a forgotten server is not written', () => {
    const { known, files } = setup();
    known.remember(conn('a'));
    known.forget('a');
    known.flush();
    expect(files()).toBe(0);
  });

  // A config value that merely looks like a secret (a long name prefix) is masked everywhere it appears.
  test('a name the masking would change stays usable in memory, and that catalog is not written', () => {
    const secret = 'a_tool_name_so_long_that_it_looks_like_a_key_';
    const { cache, known, files } = setup((t) => t.replaceAll(secret, 'a_****y_'));
    const a = conn('a', `${secret}1`);
    known.remember(a);
    known.flush();
    expect(known.get('a')?.catalog.tools[0]?.name).toBe(`${secret}1`);
    expect(files()).toBe(0);
    expect(cache.read('a', a.config)).toBeUndefined();
  });

  test('a secret in a description is masked in the file; the names are kept', () => {
    const { cache, known } = setup((t) => t.replaceAll('sk-secret', '****'));
    const a = conn('a');
    (a.catalog.tools[0] as { description?: string }).description = 'uses sk-secret';
    known.remember(a);
    known.flush();
    expect(cache.read('a', a.config)?.catalog.tools[0]).toMatchObject({ name: 'echo', description: 'uses ****' });
    expect(known.get('a')?.catalog.tools[0]?.description).toBe('uses sk-secret');
  });
});
