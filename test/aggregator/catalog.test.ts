/**
 * Name collisions: how they read in the logs (one line per pair of servers, naming the one served), and
 * what the built proxy does with two servers under one prefix: it keeps serving, from the one listed first.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { buildCatalog, type Collision, catalogChanges, describeCollisions } from '../../src/aggregator/catalog.js';
import type { UpstreamConfig } from '../../src/config/schema.js';
import type { UpstreamCatalog } from '../../src/upstream/status.js';
import type { Upstream } from '../../src/upstream/upstream.js';
import { ensureBuilt } from '../helpers/build.js';
import { tempDir } from '../helpers/files.js';
import { connectProxy, ECHO, text, waitFor, writeConfig } from '../helpers/proxy.js';

const tool = (name: string, owners: [string, string] = ['a', 'b']): Collision => ({ kind: 'tool', name, owners });

describe('describeCollisions', () => {
  it('says in one line per pair what is shared and which server is served', () => {
    const lines = describeCollisions([
      { kind: 'prefix', name: 'x', owners: ['a', 'b'] },
      tool('x__echo'),
      { kind: 'prompt', name: 'x__greet', owners: ['a', 'b'] },
      tool('y', ['c', 'd']),
    ]);
    expect(lines).toEqual([
      '"a" and "b" both use the prefix "x" and offer tool "x__echo", prompt "x__greet"; "a"\'s are served (listed first in the config), "b"\'s hidden; set a different "prefix" on one of them',
      '"c" and "d" both offer tool "y"; "c"\'s is served (listed first in the config), "d"\'s hidden; set a different "prefix" on one of them',
    ]);
  });

  it('counts the names it does not show, and says where URIs go when only the prefix is shared', () => {
    const many = ['t1', 't2', 't3', 't4', 't5', 't6'].map((n) => tool(n));
    expect(describeCollisions(many)[0]).toContain('offer tool "t1", tool "t2", tool "t3", tool "t4" and 2 more;');
    expect(describeCollisions([{ kind: 'prefix', name: 'x', owners: ['a', 'b'] }])).toEqual([
      '"a" and "b" both use the prefix "x"; URIs under "x+" that no listed resource names go to "a" (listed first in the config); set a different "prefix" on one of them',
    ]);
  });
});

describe('buildCatalog, rebuilt as servers come and go', () => {
  const catalogOf = (tools: string[], prompts: string[] = []): UpstreamCatalog => ({
    tools: tools.map((name) => ({ name, inputSchema: { type: 'object' as const } })),
    prompts: prompts.map((name) => ({ name })),
    resources: [{ uri: 'mem://a', name: 'a' }],
    resourceTemplates: [{ uriTemplate: 'mem://{x}', name: 'x' }],
  });
  // Only what the index reads of a connection: its name and config; its catalog comes through `served`.
  const conn = (name: string, config: Partial<UpstreamConfig> = {}) =>
    ({ name, config: { type: 'stdio', command: 'x', ...config } }) as unknown as Upstream;

  it("keeps an unchanged server's entries as they were, and reports only the lists that changed", () => {
    const a = conn('a');
    const b = conn('b');
    const catalogs = new Map<Upstream, UpstreamCatalog>([[a, catalogOf(['t1', 't2'], ['p'])]]);
    const build = () => buildCatalog([a, b], '__', (c) => catalogs.get(c));
    const first = build();
    catalogs.set(b, catalogOf(['t3']));
    const second = build();
    expect([...second.tools.keys()]).toEqual(['a__t1', 'a__t2', 'b__t3']);
    expect(second.tools.get('a__t1')?.item).toBe(first.tools.get('a__t1')?.item);
    expect(second.templates[0].item).toBe(first.templates[0].item);
    expect(catalogChanges(first, second)).toEqual({ tools: true, prompts: false, resources: true });
    expect(catalogChanges(second, build())).toEqual({ tools: false, prompts: false, resources: false });
    // A new listing of the same content is a new catalog: renamed afresh, and the same lists as before.
    catalogs.set(a, catalogOf(['t1', 't2'], ['p']));
    const third = build();
    expect(third.tools.get('a__t1')?.item).not.toBe(second.tools.get('a__t1')?.item);
    expect(third.tools.get('a__t1')?.item).toEqual(second.tools.get('a__t1')?.item);
    expect(catalogChanges(second, third)).toEqual({ tools: false, prompts: false, resources: false });
    // Content that changed is seen as such.
    catalogs.set(a, catalogOf(['t1', 't2'], ['p', 'q']));
    expect(catalogChanges(third, build())).toEqual({ tools: false, prompts: true, resources: false });
  });

  it('renames again when the prefix, the separator or the tool filter changed (a reload), the catalog not', () => {
    const catalog = catalogOf(['t1', 't2']);
    const names = (c: Upstream, separator = '__') => [...buildCatalog([c], separator, () => catalog).tools.keys()];
    expect(names(conn('a'))).toEqual(['a__t1', 'a__t2']);
    expect(names(conn('a', { prefix: 'z' }))).toEqual(['z__t1', 'z__t2']);
    expect(names(conn('a', { prefix: 'z' }), '.')).toEqual(['z.t1', 'z.t2']);
    expect(names(conn('a', { prefix: 'z', tools: { exclude: ['t2'] } }), '.')).toEqual(['z.t1']);
    expect(names(conn('a', { prefix: false }))).toEqual(['t1', 't2']);
  });
});

describe('two servers with the same prefix, through the built proxy', () => {
  ensureBuilt();
  const tmp = tempDir('mcp-proxy-collide-');
  afterAll(tmp.cleanup);
  const echo = (who: string) => ({ command: process.execPath, args: [ECHO], env: { FIXTURE_NAME: who }, prefix: 'x' });
  const config = writeConfig(tmp.dir, { mcpServers: { first: echo('first'), second: echo('second') } });

  it('keeps serving the one listed first and logs the collision once, precisely', async () => {
    const s = await connectProxy('v2-2025', config, { args: ['--no-watch'], env: { HOME: tmp.dir } });
    try {
      // Once both are up, the collision is logged and the one listed first answers the shared name.
      await waitFor(() => /offer tool/.test(s.stderr()), 'the collision line');
      const names: string[] = (await s.client.listTools()).tools.map((t: { name: string }) => t.name);
      expect(names.filter((n) => n === 'x__fail')).toHaveLength(1);
      expect(text(await s.client.callTool({ name: 'x__fail', arguments: {} }))).toBe('first failed on purpose');
      const errors = s
        .stderr()
        .split('\n')
        .filter((l) => /name collision/.test(l));
      expect(errors.filter((l) => /offer tool/.test(l))).toHaveLength(1);
      expect(errors.join('\n')).toContain(`"first"'s are served (listed first in the config), "second"'s hidden`);
      expect(s.stderr()).not.toMatch(/the first one is served/);
    } finally {
      await s.close();
    }
  });
});
