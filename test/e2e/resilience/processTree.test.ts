import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { descendants, groupAlive, isAlive } from '../../../src/upstream/processTree.js';
import { ProcessStdioTransport } from '../../../src/upstream/stdioTransport.js';
import { FIXTURES, NODE, ROOT } from '../../helpers/paths.js';
import { until } from '../../helpers/wait.js';

/** sh -> node flaky-server -> node grandchild: what `npx`-style launchers look like. */
function wrapped(extra: Partial<ConstructorParameters<typeof ProcessStdioTransport>[0]> = {}) {
  return new ProcessStdioTransport({
    command: 'sh',
    args: ['-c', `"${NODE}" "${FIXTURES}/flaky-server.mjs"; true`],
    env: { PATH: process.env.PATH ?? '', FLAKY_GRANDCHILD: '1' },
    stderr: 'pipe',
    ...extra,
  });
}

async function tree(t: ProcessStdioTransport): Promise<number[]> {
  let pids: number[] = [];
  await until(() => {
    pids = [t.pid!, ...descendants(t.pid!)];
    return pids.length >= 3;
  });
  return pids;
}

describe.skipIf(process.platform === 'win32')('stdio upstream process trees', () => {
  it('close() stops the whole tree and fires onclose once', async () => {
    const t = wrapped();
    let closes = 0;
    t.onclose = () => closes++;
    await t.start();
    const pids = await tree(t);
    expect(pids).toHaveLength(3);
    await t.close();
    expect(pids.filter(isAlive)).toEqual([]);
    expect(groupAlive(t.pid!)).toBe(false);
    expect(closes).toBe(1);
    expect(t.exit).toBeUndefined(); // we closed it: not "exited by itself"
  });

  it('when the direct child dies, the rest of its group is stopped and the exit is described', async () => {
    const t = wrapped();
    let closed = false;
    t.onclose = () => {
      closed = true;
    };
    await t.start();
    const pids = await tree(t);
    process.kill(t.pid!, 'SIGKILL');
    expect(await until(() => closed)).toBe(true);
    expect(await until(() => pids.every((p) => !isAlive(p)))).toBe(true);
    expect(t.exit).toEqual({ code: null, signal: 'SIGKILL' });
    await t.close();
  });

  it('keeps the last stderr lines of a server that dies at start', async () => {
    const t = new ProcessStdioTransport({
      command: NODE,
      args: [path.join(FIXTURES, 'flaky-server.mjs')],
      env: { PATH: process.env.PATH ?? '', FLAKY_MODE: 'exit-at-start' },
      stderr: 'pipe',
    });
    let closed = false;
    t.onclose = () => {
      closed = true;
    };
    await t.start();
    expect(await until(() => closed)).toBe(true);
    expect(t.exit).toEqual({ code: 1, signal: null });
    expect(t.stderrTail.join('\n')).toMatch(/FATAL: missing API_KEY/);
  });

  it('a proxy that exits without closing its upstreams still takes their process groups down', async () => {
    // A child node process starts a wrapped upstream, prints the tree, then calls process.exit().
    const script = `
      import { ProcessStdioTransport } from ${JSON.stringify(path.join(ROOT, 'src/upstream/stdioTransport.ts'))};
      import { descendants } from ${JSON.stringify(path.join(ROOT, 'src/upstream/processTree.ts'))};
      const t = new ProcessStdioTransport({ command: 'sh', args: ['-c', ${JSON.stringify(`"${NODE}" "${FIXTURES}/flaky-server.mjs"; true`)}],
        env: { PATH: process.env.PATH, FLAKY_GRANDCHILD: '1', FLAKY_IGNORE_EOF: '1' } });
      await t.start();
      for (let i = 0; i < 100 && descendants(t.pid).length < 2; i++) await new Promise((r) => setTimeout(r, 20));
      console.log(JSON.stringify([t.pid, ...descendants(t.pid)]));
      process.exit(0);
    `;
    const child = spawn(NODE, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(0);
    const pids = JSON.parse(out.trim()) as number[];
    expect(pids.length).toBe(3);
    // The server ignores end-of-input: only the exit hook's signal to its group can end it.
    expect(await until(() => pids.every((p) => !isAlive(p)), 5000)).toBe(true);
  });
});
