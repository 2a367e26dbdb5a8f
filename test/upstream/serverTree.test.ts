/**
 * How a server's tree is told (src/upstream/serverTree.ts): a process group of its own, or, on Linux
 * without a controlling terminal, a mark in the environment of every process under it, which a proxy
 * behind a proxy extends rather than replaces.
 */
import { describe, expect, test } from 'vitest';
import { chooseTreeMode, TREE_VARIABLE, treeSpawnOptions } from '../../src/upstream/serverTree.js';

describe('the tree mode', () => {
  const noTerminal = () => ({ terminal: false });
  const terminal = () => ({ terminal: true });

  test('Linux without a controlling terminal (a desktop client, an IDE, a container) marks; with one, groups', () => {
    expect(chooseTreeMode('linux', {}, noTerminal)).toBe('mark');
    // Ctrl-C goes to the terminal's foreground group: the servers stay out of it.
    expect(chooseTreeMode('linux', {}, terminal)).toBe('group');
    // No /proc to read: groups, as before.
    expect(chooseTreeMode('linux', {}, () => undefined)).toBe('group');
  });

  test('MCP_PROXY_PROCESS_TREES picks one on Linux; other systems keep groups, Windows taskkill', () => {
    expect(chooseTreeMode('linux', { MCP_PROXY_PROCESS_TREES: 'group' }, noTerminal)).toBe('group');
    expect(chooseTreeMode('linux', { MCP_PROXY_PROCESS_TREES: 'mark' }, terminal)).toBe('mark');
    expect(chooseTreeMode('linux', { MCP_PROXY_PROCESS_TREES: 'other' }, noTerminal)).toBe('mark');
    expect(chooseTreeMode('darwin', { MCP_PROXY_PROCESS_TREES: 'mark' }, noTerminal)).toBe('group');
    expect(chooseTreeMode('win32', {}, noTerminal)).toBe('taskkill');
  });
});

describe('spawn options', () => {
  test('a group: a session of its own, the environment as given', () => {
    const env = { PATH: '/bin' };
    expect(treeSpawnOptions(env, 'group')).toEqual({ env, detached: true });
  });

  test('a mark: the proxy’s session, a mark unique to each start, added to one an outer proxy gave', () => {
    const a = treeSpawnOptions({ PATH: '/bin' }, 'mark');
    const b = treeSpawnOptions({ PATH: '/bin', [TREE_VARIABLE]: 'outer.1' }, 'mark');
    expect(a.detached).toBe(false);
    expect(a.env).toEqual({ PATH: '/bin', [TREE_VARIABLE]: a.mark });
    expect(b.env?.[TREE_VARIABLE]).toBe(`outer.1 ${b.mark}`);
    expect(a.mark).not.toBe(b.mark);
    expect(a.mark).toMatch(new RegExp(`^${process.pid}\\.`));
    // No environment given: the child inherits the proxy's, marked.
    const inherited = treeSpawnOptions(undefined, 'mark');
    expect(inherited.env?.PATH).toBe(process.env.PATH);
    expect(inherited.env?.[TREE_VARIABLE]).toContain(inherited.mark);
  });
});
