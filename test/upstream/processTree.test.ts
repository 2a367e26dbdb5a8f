import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { descendants, groupAlive } from '../../src/upstream/processTree.js';

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
});
