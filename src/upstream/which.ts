import fs from 'node:fs';
import path from 'node:path';

/**
 * Resolves a command the way spawn will, so a missing one is reported as
 * `command not found: X` with the PATH searched, instead of a bare ENOENT later.
 */
export function resolveCommand(
  command: string,
  env: Record<string, string | undefined>,
  cwd: string,
  platform: NodeJS.Platform = process.platform,
): { found: string } | { missing: true; searched: string[] } {
  const isWin = platform === 'win32';
  const exts = isWin ? (env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';').filter(Boolean) : [''];
  const candidates = (base: string) => (isWin && path.extname(base) ? [base] : exts.map((e) => base + e));
  if (command.includes('/') || (isWin && command.includes('\\'))) {
    const abs = path.resolve(cwd, command);
    for (const c of candidates(abs)) if (isExecutable(c, isWin)) return { found: c };
    return { missing: true, searched: [path.dirname(abs)] };
  }
  const dirs = (env.PATH ?? env.Path ?? '').split(isWin ? ';' : ':').filter(Boolean);
  for (const dir of dirs) {
    for (const c of candidates(path.join(dir, command))) if (isExecutable(c, isWin)) return { found: c };
  }
  return { missing: true, searched: dirs };
}

function isExecutable(file: string, isWin: boolean): boolean {
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) return false;
    if (isWin) return true;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
