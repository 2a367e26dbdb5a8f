/** Temporary directories and the files tests write into them or read back. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Every directory tmpDir made in this test file, removed after its last test (test/setup.ts). */
const made = new Set<string>();

/** A fresh temporary directory, removed once the test file's tests (and their afterAll hooks) are done. */
export function tmpDir(prefix = 'mcp-proxy-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.add(dir);
  return dir;
}

/**
 * Removes every directory tmpDir made so far. What a process a test started may still write there is
 * its own: a failure to remove is not the test's.
 */
export function removeTmpDirs(): void {
  for (const dir of made) {
    try {
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
    } catch {
      // left to the OS
    }
  }
  made.clear();
}

/** A fresh temporary directory with its cleanup, for `afterAll(tmp.cleanup)`. */
export function tempDir(prefix = 'mcp-proxy-test-'): { dir: string; cleanup: () => void } {
  const dir = tmpDir(prefix);
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export function writeConfig(dir: string, config: unknown, name = 'mcp-proxy.json'): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/** Writes `content` to `file` (creating parent directories) with `mode`. */
export function writeFile(file: string, content: string, mode = 0o600): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  fs.chmodSync(file, mode);
  return file;
}

/** The names in `dir`, sorted (none when it does not exist). */
export function listFiles(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

/** Every file under `dir` with its text (for "the secret is nowhere" checks). */
export function filesUnder(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const p = path.join(e.parentPath, e.name);
    out[p] = fs.readFileSync(p, 'utf8');
  }
  return out;
}

export interface HomeAndProject {
  dir: string;
  home: string;
  /** `project/`, the working directory of the command under test. */
  cwd: string;
  cleanup: () => void;
}

/** A temporary directory holding an empty `home/` and `project/`, as a user's machine has. */
export function homeAndProject(prefix?: string): HomeAndProject {
  const tmp = tempDir(prefix);
  const home = path.join(tmp.dir, 'home');
  const cwd = path.join(tmp.dir, 'project');
  fs.mkdirSync(home, { recursive: true });
  fs.mkdirSync(cwd, { recursive: true });
  return { ...tmp, home, cwd };
}
