import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { descendants, isAlive } from '../../../src/upstream/processTree.js';
import { TREE_VARIABLE, treeAlive } from '../../../src/upstream/serverTree.js';
import { ProcessStdioTransport } from '../../../src/upstream/stdioTransport.js';
import { FIXTURES, NODE, ROOT } from '../../helpers/paths.js';
import { until } from '../../helpers/wait.js';

/** sh -> node flaky-server -> node grandchild: what `npx`-style launchers look like. */
function wrapped(mode: Mode, extra: Partial<ConstructorParameters<typeof ProcessStdioTransport>[0]> = {}) {
  return new ProcessStdioTransport({
    tree: mode,
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

type Mode = 'group' | 'mark';
/** A process group per server everywhere on POSIX; on Linux, also the marked tree in the proxy's session. */
const MODES: Mode[] = process.platform === 'linux' ? ['group', 'mark'] : ['group'];

/** How the OS places a process (Linux): its group and session, and whether its environment has the mark. */
function placed(pid: number): { pgrp: number; session: number; marked: boolean } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const [, , pgrp, session] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const environ = fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
  return {
    pgrp: Number(pgrp),
    session: Number(session),
    marked: environ.some((e) => e.startsWith(`${TREE_VARIABLE}=`)),
  };
}

describe.skipIf(process.platform === 'win32').each(MODES)('stdio upstream process trees (%s)', (mode) => {
  it('close() stops the whole tree and fires onclose once', async () => {
    const t = wrapped(mode);
    let closes = 0;
    t.onclose = () => closes++;
    await t.start();
    const pids = await tree(t);
    expect(pids).toHaveLength(3);
    if (process.platform === 'linux') {
      const own = placed(process.pid);
      for (const p of pids.map(placed)) {
        // A group (and session) of the server's own, or the proxy's session with the mark on every process.
        if (mode === 'group') expect(p).toMatchObject({ pgrp: t.pid, marked: false });
        else expect(p).toEqual({ pgrp: own.pgrp, session: own.session, marked: true });
      }
    }
    await t.close();
    expect(pids.filter(isAlive)).toEqual([]);
    expect(treeAlive(t.pid!)).toBe(false);
    expect(closes).toBe(1);
    expect(t.exit).toBeUndefined(); // we closed it: not "exited by itself"
  });

  it('when the direct child dies, the rest of its tree (handed to init by then) is stopped and the exit is described', async () => {
    // It ignores end-of-input: only a signal to its tree ends what is left.
    const t = wrapped(mode, {
      env: { PATH: process.env.PATH ?? '', FLAKY_GRANDCHILD: '1', FLAKY_IGNORE_EOF: '1' },
    });
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

  it('a proxy that exits without closing its upstreams still takes their trees down', async () => {
    // A child node process starts a wrapped upstream, prints the tree, then calls process.exit().
    const script = `
      import { ProcessStdioTransport } from ${JSON.stringify(path.join(ROOT, 'src/upstream/stdioTransport.ts'))};
      import { descendants } from ${JSON.stringify(path.join(ROOT, 'src/upstream/processTree.ts'))};
      const t = new ProcessStdioTransport({ command: 'sh', args: ['-c', ${JSON.stringify(`"${NODE}" "${FIXTURES}/flaky-server.mjs"; true`)}],
        env: { PATH: process.env.PATH, FLAKY_GRANDCHILD: '1', FLAKY_IGNORE_EOF: '1' }, tree: ${JSON.stringify(mode)} });
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
    // The server ignores end-of-input: only the exit hook's signal to its tree can end it.
    expect(await until(() => pids.every((p) => !isAlive(p)), 5000)).toBe(true);
  });
});
