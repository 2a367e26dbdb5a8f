/**
 * How a stdio upstream's process is started: its resolved parameters (command, arguments, the complete
 * environment, working directory) and the spawn itself. One place for both the stdio transport and the
 * early start (prespawn.ts), so a process started early is started exactly as the transport would.
 * Light on purpose: no SDK, so `run` can start servers before the heavy modules load.
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import spawn from 'cross-spawn';
import type { UpstreamConfig } from '../config/schema.js';
import { isDirectory } from '../util/paths.js';
import { fallbackDirs, resolveCommand } from '../util/which.js';
import { buildChildEnv } from './childEnv.js';
import { trackTree, treeSpawnOptions } from './serverTree.js';

export interface StdioParams {
  command: string;
  args?: string[];
  /** The complete environment of the child (nothing else is inherited). */
  env?: Record<string, string>;
  cwd?: string;
  stderr?: 'pipe' | 'ignore' | 'inherit';
  /** How long close() waits after closing stdin before signalling, ms (default 1000). */
  exitGraceMs?: number;
  /** Between SIGTERM and SIGKILL, ms (default 1000). */
  killGraceMs?: number;
  /** How its tree is told (serverTree.ts); this process's mode when unset (tests set both). */
  tree?: 'group' | 'mark';
}

/** What a stdio upstream is started with, or where its command was looked for in vain, or its missing working directory. */
export type ResolvedStdio =
  | {
      params: StdioParams;
      /** Found outside PATH, in this usual directory (usualBinDirs). */
      extraDir?: string;
    }
  | { notFound: string[] }
  | { noCwd: string };

export function resolveStdio(
  config: Extract<UpstreamConfig, { type: 'stdio' }>,
  parentEnv: NodeJS.ProcessEnv,
  defaultCwd: string,
): ResolvedStdio {
  const env = buildChildEnv(parentEnv, config.env);
  const cwd = config.cwd ?? defaultCwd;
  // Else the spawn fails with ENOENT, which reads as the command not being found.
  if (config.cwd !== undefined && !isDirectory(path.resolve(defaultCwd, cwd)))
    return { noCwd: path.resolve(defaultCwd, cwd) };
  // A server's own PATH is taken as it is: only the inherited one may be short.
  const extraDirs = fallbackDirs(env, process.platform, config.env);
  const resolved = resolveCommand(config.command, { env, cwd, extraDirs });
  if (!resolved.found) return { notFound: resolved.searched };
  if (resolved.extraDir) {
    // Started by its full path, with that directory on its PATH (npx runs `node` from beside it).
    const key = Object.keys(env).find((k) => k.toUpperCase() === 'PATH') ?? 'PATH';
    env[key] = env[key] ? `${env[key]}${path.delimiter}${resolved.extraDir}` : resolved.extraDir;
    const params = { command: resolved.found, args: config.args ?? [], env, cwd, stderr: 'pipe' as const };
    return { params, extraDir: resolved.extraDir };
  }
  return { params: { command: config.command, args: config.args ?? [], env, cwd, stderr: 'pipe' } };
}

/** Same process, same key: command, arguments, environment (in any order) and working directory. */
export function spawnKey(p: StdioParams): string {
  const env = Object.entries(p.env ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([p.command, p.args ?? [], env, p.cwd ?? null, p.stderr ?? 'pipe']);
}

/**
 * Starts the child so that its whole tree can be found and signalled later (serverTree.ts): in a process
 * group of its own, or marked.
 */
export function spawnStdioChild(p: StdioParams): ChildProcess {
  const tree = treeSpawnOptions(p.env, p.tree);
  const child = spawn(p.command, p.args ?? [], {
    env: tree.env,
    cwd: p.cwd,
    stdio: ['pipe', 'pipe', p.stderr === 'ignore' ? 'ignore' : p.stderr === 'inherit' ? 'inherit' : 'pipe'],
    shell: false,
    windowsHide: true,
    detached: tree.detached,
  });
  child.once('spawn', () => {
    if (child.pid) trackTree(child.pid, tree.mark);
  });
  return child;
}

/** What happens to a child, in the order it happened. */
export interface ChildEvents {
  spawn(): void;
  error(error: Error): void;
  exit(code: number | null, signal: NodeJS.Signals | null): void;
  stdout(chunk: Buffer): void;
  stderr(chunk: Buffer): void;
  stderrEnd(): void;
  /** An error on one of its pipes. */
  streamError(error: Error): void;
}

type Recorded = { [K in keyof ChildEvents]: [K, Parameters<ChildEvents[K]>] }[keyof ChildEvents];

/**
 * A child whose events are kept until its owner takes it, then replayed in order and passed on live.
 * A process started before its transport exists loses nothing: not its first stderr bytes, not an
 * exit (Node discards the output of an exited child nobody reads), not a failed spawn.
 */
export class HeldChild {
  private recorded: Recorded[] | undefined = [];
  private sink?: ChildEvents;
  private exited = false;

  constructor(
    readonly child: ChildProcess,
    readonly params: StdioParams,
  ) {
    const on = (...event: Recorded) => {
      if (event[0] === 'exit') this.exited = true;
      if (this.recorded) this.recorded.push(event);
      else if (this.sink) deliver(this.sink, event);
    };
    child.on('spawn', () => on('spawn', []));
    child.on('error', (e) => on('error', [e]));
    // 'exit', not 'close': a grandchild holding the pipes open must not hide the server's death.
    child.on('exit', (code, signal) => on('exit', [code, signal]));
    child.stdin?.on('error', (e) => on('streamError', [e]));
    child.stdout?.on('data', (c: Buffer) => on('stdout', [c]));
    child.stdout?.on('error', (e) => on('streamError', [e]));
    child.stderr?.on('data', (c: Buffer) => on('stderr', [c]));
    child.stderr?.on('end', () => on('stderrEnd', []));
  }

  /** The process has ended (whoever holds it). */
  get hasExited(): boolean {
    return this.exited;
  }

  /** Gives the events so far, then every later one, to `sink` (once). */
  handTo(sink: ChildEvents): void {
    if (this.sink) throw new Error('the child was handed over already');
    this.sink = sink;
    // Events that arrive while the past is replayed queue behind it.
    const queue = this.recorded ?? [];
    for (let event = queue.shift(); event; event = queue.shift()) deliver(sink, event);
    this.recorded = undefined;
  }
}

function deliver(sink: ChildEvents, [name, args]: Recorded): void {
  (sink[name] as (...a: unknown[]) => void)(...args);
}
