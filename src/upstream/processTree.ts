import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/**
 * The descendants of a process (children, grandchildren...), so that closing an upstream started
 * through `npx`/`sh` takes the real server with it. Linux reads /proc; elsewhere `ps`.
 */
export function descendants(rootPid: number): number[] {
  const parentOf = readParentMap();
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parentOf) {
    const list = children.get(ppid);
    if (list) list.push(pid);
    else children.set(ppid, [pid]);
  }
  const out: number[] = [];
  const stack = [...(children.get(rootPid) ?? [])];
  while (stack.length) {
    const pid = stack.pop()!;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

function readParentMap(): Map<number, number> {
  const map = new Map<number, number>();
  if (process.platform === 'linux') {
    for (const p of procTable()) map.set(p.pid, p.ppid);
    return map;
  }
  if (process.platform === 'win32') return map;
  try {
    const out = execFileSync('ps', ['-A', '-o', 'pid=,ppid='], { encoding: 'utf8' });
    for (const line of out.split('\n')) {
      const [pid, ppid] = line.trim().split(/\s+/).map(Number);
      if (pid && ppid !== undefined) map.set(pid, ppid);
    }
  } catch {
    // no ps: nothing we can do
  }
  return map;
}

interface ProcEntry {
  pid: number;
  ppid: number;
  pgrp: number;
  session: number;
  state: string;
}

/**
 * Every process in /proc (Linux), read once per event-loop turn: stopping many servers at once asks
 * for the process table once per server, and each read opens a file per process on the machine.
 */
let table: ProcEntry[] | undefined;
function procTable(): ProcEntry[] {
  if (table) return table;
  const out: ProcEntry[] = [];
  let entries: string[] = [];
  try {
    entries = fs.readdirSync('/proc');
  } catch {}
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid pgrp ... ; comm may contain spaces and parens, so split after the last ')'.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const [state = '', ppid, pgrp, session] = rest;
      out.push({ pid: Number(entry), state, ppid: Number(ppid), pgrp: Number(pgrp), session: Number(session) });
    } catch {
      // process went away
    }
  }
  table = out;
  setImmediate(() => {
    table = undefined;
  }).unref();
  return out;
}

/** True while the process exists and is not a zombie (a zombie is dead, only not yet reaped). */
export function isAlive(pid: number): boolean {
  if (process.platform === 'linux') {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Sends a signal to each pid, ignoring ones already gone. */
export function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Windows: ends a process and all its descendants (no process groups there). */
export function killTree(pid: number): void {
  if (process.platform !== 'win32') {
    signalAll([pid, ...descendants(pid)], 'SIGKILL');
    return;
  }
  try {
    execFileSync('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true });
  } catch {
    // already gone
  }
}

/**
 * Whether any live (non-zombie) process is in process group `pgid`. Linux reads /proc (a zombie
 * member would keep `kill(-pgid, 0)` succeeding where init does not reap promptly); elsewhere
 * `kill(-pgid, 0)`.
 */
export function groupAlive(pgid: number): boolean {
  if (process.platform === 'win32') return false;
  if (process.platform === 'linux') return procTable().some((p) => p.pgrp === pgid && p.state !== 'Z');
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** This process's session and whether it has a controlling terminal (Linux: /proc/self/stat). */
export function ownSession(): { session: number; terminal: boolean } | undefined {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { session: Number(rest[3]), terminal: Number(rest[4]) !== 0 };
  } catch {
    return undefined;
  }
}

/**
 * The live processes of this process's session (Linux) whose environment has `name` set to a
 * space-separated list holding `mark` (what a server and everything it starts inherit; serverTree.ts).
 * Only the session's processes are read: a server's tree stays in it unless one of them starts a session
 * of its own, which leaves a process group as well. Read once per event-loop turn, as the process table:
 * stopping many servers at once asks once.
 */
export function markedPids(name: string, mark: string): number[] {
  return markTable(name).get(mark) ?? [];
}

let marks: { name: string; byMark: Map<string, number[]> } | undefined;
function markTable(name: string): Map<string, number[]> {
  if (marks?.name === name) return marks.byMark;
  const byMark = new Map<string, number[]>();
  const own = ownSession();
  const prefix = `${name}=`;
  for (const p of own ? procTable() : []) {
    if (p.session !== own?.session || p.state === 'Z' || p.pid === process.pid) continue;
    let environ: string;
    try {
      environ = fs.readFileSync(`/proc/${p.pid}/environ`, 'latin1');
    } catch {
      continue; // gone, or not ours to read
    }
    const entry = environ.split('\0').find((e) => e.startsWith(prefix));
    for (const mark of entry?.slice(prefix.length).split(' ') ?? []) {
      const list = byMark.get(mark);
      if (list) list.push(p.pid);
      else byMark.set(mark, [p.pid]);
    }
  }
  marks = { name, byMark };
  setImmediate(() => {
    marks = undefined;
  }).unref();
  return byMark;
}
