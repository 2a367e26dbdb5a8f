/** Runs CLI commands in-process against a context of temporary directories, capturing the output. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { COMMANDS } from '../../src/cli/commands/index.js';
import type { CliContext } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/createCli.js';
import { Redactor } from '../../src/observability/redact.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The AppError's rendering, when the command threw one. */
  error?: string;
}

export interface Sandbox {
  dir: string;
  home: string;
  /** `$XDG_CONFIG_HOME/mcp-proxy`: where the config and credentials files go by default. */
  configDir: string;
  run(argv: string[], env?: NodeJS.ProcessEnv): Promise<CliResult>;
  cleanup(): void;
}

export function sandbox(prefix = 'mcp-cli-'): Sandbox {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const home = path.join(dir, 'home');
  fs.mkdirSync(home, { recursive: true });
  const xdg = path.join(home, '.config');
  return {
    dir,
    home,
    configDir: path.join(xdg, 'mcp-proxy'),
    async run(argv, env = {}) {
      let stdout = '';
      let stderr = '';
      const out = new PassThrough();
      const err = new PassThrough();
      out.on('data', (c) => {
        stdout += c;
      });
      err.on('data', (c) => {
        stderr += c;
      });
      const ctx: CliContext = {
        env: { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: xdg, ...env },
        cwd: dir,
        homedir: home,
        platform: process.platform,
        stdout: out,
        stderr: err,
        stdin: new PassThrough(),
        entry: '',
        execPath: process.execPath,
        deployment: { kind: 'node', evidence: 'test' } as CliContext['deployment'],
        redactor: new Redactor(),
      };
      try {
        const code = await runCli(argv, ctx, COMMANDS);
        return { code, stdout, stderr };
      } catch (e) {
        const error = e as { exitCode?: number; format?: () => string; message?: string };
        return { code: error.exitCode ?? 1, stdout, stderr, error: error.format?.() ?? String(error.message ?? e) };
      }
    },
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
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
