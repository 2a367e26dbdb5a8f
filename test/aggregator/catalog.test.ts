/**
 * Name collisions: how they read in the logs (one line per pair of servers, naming the one served), and
 * what the built proxy does with two servers under one prefix: it keeps serving, from the one listed first.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { type Collision, describeCollisions } from '../../src/aggregator/catalog.js';
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
