/** Following the config and credentials files for live reload. */
import fs from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';

/**
 * Watches the directories of `files`, filtered to those files: a watch on the file itself ends when
 * the file is deleted or renamed over (editors and config tools save that way), a directory watch
 * sees the new file. A directory that does not exist yet (the credentials file's, typically) is
 * watched from its nearest existing ancestor, so creating it is seen too.
 */
export async function watchFiles(
  files: string[],
  onChange: () => void,
  logger: Logger,
): Promise<{ close(): Promise<void> }> {
  const { watch } = await import('chokidar');
  let timer: NodeJS.Timeout | undefined;
  const wanted = new Set(files.map((f) => path.resolve(f)));
  // The paths an event may come from: the files, and the directories from each watched root down to them.
  const allowed = new Set<string>(wanted);
  const targets = new Set<string>();
  let depth = 0;
  for (const file of wanted) {
    let dir = path.dirname(file);
    const below: string[] = [];
    while (!fs.existsSync(dir) && path.dirname(dir) !== dir) {
      below.push(dir);
      dir = path.dirname(dir);
    }
    targets.add(dir);
    allowed.add(dir);
    for (const d of below) allowed.add(d);
    depth = Math.max(depth, below.length);
  }
  // Only existing paths: chokidar reports "ready" before it watches anything when given a missing one.
  const watcher = watch([...targets], {
    ignoreInitial: true,
    depth,
    awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 25 },
    ignored: (p: string) => !allowed.has(path.resolve(p)),
  });
  let changed = false;
  const newDirs = new Set<string>();
  const fire = () => {
    const inNewDir = [...wanted].some((f) => fs.existsSync(f) && [...newDirs].some((d) => f.startsWith(d + path.sep)));
    newDirs.clear();
    if (changed || inNewDir) onChange();
    changed = false;
  };
  watcher.on('all', (event: string, p: string) => {
    const full = path.resolve(p);
    if (wanted.has(full)) changed = true;
    // A directory on the way to a file appeared. chokidar reads a new directory before it watches it,
    // so a file renamed into it at once (mkdir -p, then an atomic write) can fall between the two and
    // send nothing: look for the files themselves when the timer fires.
    else if (event === 'addDir' && allowed.has(full)) newDirs.add(full);
    else return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(fire, 150);
  });
  watcher.on('error', (e) => logger.debug({ err: errorMessage(e) }, 'watch error'));
  // Changes are seen once the first scan is done.
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  logger.debug({ files: [...wanted], watching: [...targets] }, 'watching the config for changes');
  return {
    close: async () => {
      if (timer) clearTimeout(timer);
      await watcher.close();
    },
  };
}

/** Identity and version of files (inode, size, mtime), to tell whether any changed since. */
export function fileStamps(files: string[]): string {
  return files
    .map((f) => {
      try {
        const s = fs.statSync(f);
        return `${s.ino}:${s.size}:${s.mtimeMs}`;
      } catch {
        return '-';
      }
    })
    .join('|');
}
