/**
 * Everything a stdio server's process started, however deep, so that stopping the server (or the proxy's
 * exit) leaves nothing behind, also when a launcher in between (npx, sh) has died and its children were
 * handed to init. Two ways to tell them:
 *
 * - `group`: the server starts in a process group of its own (a new session: Node's `detached`), and the
 *   group is signalled. It also keeps a terminal's Ctrl-C (sent to the foreground group) from reaching the
 *   servers before the proxy has drained its calls.
 * - `mark` (Linux, when the proxy has no controlling terminal, as under a desktop client, an IDE or in a
 *   container): the server stays in the proxy's session and carries MCP_PROXY_TREE in its environment,
 *   which everything it starts inherits; its processes are found in /proc. Where the kernel schedules each
 *   session as a group (autogroup, on by default on many Linux systems), a session per server made 20
 *   servers booting at once on two cores take about 3.5% longer (`npm run bench`, 20 stdio servers).
 *
 * Windows has neither: its tree is ended with taskkill /T. MCP_PROXY_PROCESS_TREES=group|mark picks one on
 * Linux. The state is one per process: the launcher starts servers with its own copy of this module
 * (cli/run/preread.ts), and a tree is untracked by whichever copy sees it end.
 */
import { groupAlive, killTree, markedPids, ownSession, signalAll } from './processTree.js';

export type TreeMode = 'group' | 'mark' | 'taskkill';

/** The variable a server's processes carry in mark mode (a list: a proxy behind a proxy adds its own). */
export const TREE_VARIABLE = 'MCP_PROXY_TREE';

interface TreeState {
  mode?: TreeMode;
  /** Live trees: the server's pid -> its mark (mark mode), or undefined (its group is its pid). */
  live: Map<number, string | undefined>;
  hooked: boolean;
  /** Marks made so far (with the pid and start time, unique on the machine). */
  made: number;
  stamp: string;
}

const KEY = Symbol.for('mcp-proxy.serverTrees');
const shared = globalThis as { [KEY]?: TreeState };
shared[KEY] ??= { live: new Map(), hooked: false, made: 0, stamp: `${process.pid}.${Date.now().toString(36)}` };
const state = shared[KEY];

/** How this process tells a server's processes (decided once). */
export function treeMode(): TreeMode {
  state.mode ??= chooseTreeMode(process.platform, process.env, ownSession);
  return state.mode;
}

/** The mode for a platform, an environment and this process's session (read only on Linux). */
export function chooseTreeMode(
  platform: NodeJS.Platform,
  env: NodeJS.ProcessEnv,
  session: () => { terminal: boolean } | undefined,
): TreeMode {
  if (platform === 'win32') return 'taskkill';
  if (platform !== 'linux') return 'group';
  const chosen = env.MCP_PROXY_PROCESS_TREES;
  if (chosen === 'group' || chosen === 'mark') return chosen;
  const own = session();
  return own && !own.terminal ? 'mark' : 'group';
}

/** How to spawn a server: its environment (marked in mark mode), whether it gets a session of its own, its mark. */
export function treeSpawnOptions(
  env: Record<string, string> | undefined,
  mode: TreeMode = treeMode(),
): { env: Record<string, string> | undefined; detached: boolean; mark?: string } {
  if (mode !== 'mark') return { env, detached: mode === 'group' };
  const mark = `${state.stamp}.${++state.made}`;
  const base = env ?? (process.env as Record<string, string>);
  const outer = base[TREE_VARIABLE];
  return { env: { ...base, [TREE_VARIABLE]: outer ? `${outer} ${mark}` : mark }, detached: false, mark };
}

/**
 * Tracks a started server's tree: if the proxy exits without closing it (an error path, a forced exit on
 * a second signal), the 'exit' hook still ends it.
 */
export function trackTree(pid: number, mark: string | undefined): void {
  state.live.set(pid, mark);
  if (state.hooked) return;
  state.hooked = true;
  process.once('exit', () => {
    for (const pid of state.live.keys()) signalTreeNow(pid, 'SIGKILL');
  });
}

/** The tree is gone (or handed to nobody): the exit hook no longer signals it. */
export function untrackTree(pid: number): void {
  state.live.delete(pid);
}

/** Signals a server's whole tree; whatever is gone already is ignored. */
export function signalTreeNow(pid: number, signal: NodeJS.Signals): void {
  const mark = state.live.get(pid);
  if (process.platform === 'win32') killTree(pid);
  else if (mark !== undefined) signalAll([pid, ...markedPids(TREE_VARIABLE, mark)], signal);
  else {
    try {
      process.kill(-pid, signal);
    } catch {
      // gone already
    }
  }
}

/** Whether any process of a server's tree (other than a zombie) is still there, the server's own included. */
export function treeAlive(pid: number): boolean {
  const mark = state.live.get(pid);
  if (mark !== undefined) return markedPids(TREE_VARIABLE, mark).length > 0;
  return groupAlive(pid);
}
