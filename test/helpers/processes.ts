/** The process tree as the OS sees it, read independently of the proxy's own process-tree code. */
import { readdirSync, readFileSync } from 'node:fs';

/** Every pid below `root` (children, grandchildren...), from /proc. */
export function descendantsOf(root: number): number[] {
  const parent = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      parent.set(Number(e), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {}
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length) {
    const p = stack.pop()!;
    for (const [pid, pp] of parent)
      if (pp === p) {
        out.push(pid);
        stack.push(pid);
      }
  }
  return out;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
