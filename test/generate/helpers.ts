import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { COMMANDS } from '../../src/cli/commands/index.js';
import type { CliContext } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/createCli.js';
import type { DeploymentKind } from '../../src/deployment/detect.js';
import { isAppError } from '../../src/errors.js';
import { Redactor } from '../../src/observability/redact.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BUNDLE = path.join(ROOT, 'dist/mcp-proxy.mjs');

export function tempDir(prefix = 'mcp-onboard-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

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
  env?: Record<string, string>;
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

export function listFiles(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}
