import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { descendants, groupAlive, markedPids } from '../../src/upstream/processTree.js';
import { TREE_VARIABLE, treeSpawnOptions } from '../../src/upstream/serverTree.js';

const linux = process.platform === 'linux';

describe.skipIf(!linux)('the process table (Linux)', () => {
  afterEach(() => vi.restoreAllMocks());

  it('is read once per event-loop turn, however many servers ask, and afresh in the next turn', async () => {
    const scans = vi.spyOn(fs, 'readdirSync');
    const procScans = () => scans.mock.calls.filter(([p]) => p === '/proc').length;
    await new Promise((r) => setImmediate(r));
    const before = procScans();
    for (let i = 0; i < 5; i++) {
      descendants(process.pid);
      groupAlive(process.pid);
    }
    expect(procScans() - before).toBe(1);
    await new Promise((r) => setImmediate(r));
    descendants(process.pid);
    expect(procScans() - before).toBe(2);
  });

  it('sees a child started in an earlier turn, and its process group', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e9)'], { detached: true, stdio: 'ignore' });
    try {
      await new Promise((r) => child.once('spawn', r));
      await new Promise((r) => setImmediate(r));
      expect(descendants(process.pid)).toContain(child.pid);
      expect(groupAlive(child.pid!)).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('finds the processes carrying a mark (a child and its child), reading their environments once per turn', async () => {
    const { env, mark } = treeSpawnOptions({ PATH: process.env.PATH ?? '' }, 'mark');
    // sh keeps running beside its node child: two processes with the mark.
    const child = spawn('sh', ['-c', `"${process.execPath}" -e "setInterval(() => {}, 1e9)"; true`], {
      env,
      stdio: 'ignore',
    });
    try {
      await new Promise((r) => child.once('spawn', r));
      const two = async () => {
        for (let i = 0; i < 100; i++) {
          await new Promise((r) => setTimeout(r, 20));
          if (markedPids(TREE_VARIABLE, mark!).length === 2) return true;
        }
        return false;
      };
      expect(await two()).toBe(true);
      expect(markedPids(TREE_VARIABLE, mark!)).toContain(child.pid);
      expect(markedPids(TREE_VARIABLE, 'another')).toEqual([]);
      const reads = vi.spyOn(fs, 'readFileSync');
      await new Promise((r) => setImmediate(r));
      for (let i = 0; i < 5; i++) markedPids(TREE_VARIABLE, mark!);
      const environs = reads.mock.calls.filter(([f]) => String(f).endsWith('/environ'));
      expect(environs.length).toBeGreaterThanOrEqual(2);
      expect(new Set(environs.map(([f]) => f)).size).toBe(environs.length);
    } finally {
      for (const pid of markedPids(TREE_VARIABLE, mark!)) process.kill(pid, 'SIGKILL');
      child.kill('SIGKILL');
    }
  });
});
