/** Runs CLI commands in-process against a context of temporary directories, capturing the output. */
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { COMMANDS } from '../../src/cli/commands/index.js';
import type { CliContext } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/createCli.js';
import type { DeploymentKind } from '../../src/deployment/detect.js';
import { isAppError } from '../../src/errors.js';
import { Redactor } from '../../src/observability/redact.js';
import { tmpDir } from './files.js';
import { BUNDLE } from './paths.js';

export interface TestContext {
  ctx: CliContext;
  stdout(): string;
  stderr(): string;
}

function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => {
    text += d.toString();
  });
  return { stream, text: () => text };
}

/** A CliContext over temp directories, with captured stdout/stderr and a non-TTY empty stdin. */
export function makeContext(o: {
  home: string;
  cwd: string;
  platform?: NodeJS.Platform;
  env?: Record<string, string | undefined>;
  deployment?: DeploymentKind;
  execPath?: string;
  entry?: string;
}): TestContext {
  const out = sink();
  const err = sink();
  const stdin = new PassThrough();
  stdin.end();
  const ctx: CliContext = {
    env: { ...(o.env ?? {}) },
    cwd: o.cwd,
    homedir: o.home,
    platform: o.platform ?? 'linux',
    stdout: out.stream,
    stderr: err.stream,
    stdin,
    entry: o.entry ?? BUNDLE,
    execPath: o.execPath ?? process.execPath,
    deployment: { kind: o.deployment ?? 'node', evidence: 'test' },
    redactor: new Redactor(),
  };
  return { ctx, stdout: out.text, stderr: err.text };
}

/** Runs the CLI in-process; AppErrors come back as { code, message } like main.ts would print them. */
export async function runInProcess(
  t: TestContext,
  argv: string[],
): Promise<{ status: number; stdout: string; stderr: string; error?: string }> {
  try {
    const status = await runCli(argv, t.ctx, COMMANDS);
    return { status, stdout: t.stdout(), stderr: t.stderr() };
  } catch (e) {
    if (isAppError(e)) return { status: e.exitCode, stdout: t.stdout(), stderr: t.stderr(), error: e.format() };
    throw e;
  }
}

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

/** A home and working directory of its own, on this machine's platform, for running several commands. */
export function sandbox(prefix = 'mcp-cli-'): Sandbox {
  const dir = tmpDir(prefix);
  const home = path.join(dir, 'home');
  fs.mkdirSync(home, { recursive: true });
  const xdg = path.join(home, '.config');
  return {
    dir,
    home,
    configDir: path.join(xdg, 'mcp-proxy'),
    async run(argv, env = {}) {
      const t = makeContext({
        home,
        cwd: dir,
        platform: process.platform,
        env: { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: xdg, ...env },
        entry: '',
      });
      try {
        const code = await runCli(argv, t.ctx, COMMANDS);
        return { code, stdout: t.stdout(), stderr: t.stderr() };
      } catch (e) {
        const error = e as { exitCode?: number; format?: () => string; message?: string };
        const rendered = error.format?.() ?? String(error.message ?? e);
        return { code: error.exitCode ?? 1, stdout: t.stdout(), stderr: t.stderr(), error: rendered };
      }
    },
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
