import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfigFile } from '../../src/config/load.js';
import type { UpstreamConfig } from '../../src/config/schema.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createTransport } from '../../src/upstream/transports.js';
import { resolveCommand } from '../../src/util/which.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-proxy-which-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe.skipIf(process.platform === 'win32')('resolveCommand (execute bit)', () => {
  it('skips a file without the execute bit and finds the runnable one later on PATH', () => {
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    fs.mkdirSync(a);
    fs.mkdirSync(b);
    fs.writeFileSync(path.join(a, 'tool'), '#!/bin/sh\n', { mode: 0o644 });
    fs.writeFileSync(path.join(b, 'tool'), '#!/bin/sh\n', { mode: 0o755 });
    const r = resolveCommand('tool', { env: { PATH: `${a}:${b}` }, cwd: dir });
    expect(r).toEqual({ found: path.join(b, 'tool'), searched: [a, b] });
  });

  it('validate and the upstream agree that a non-executable file is not a command', async () => {
    const bin = path.join(dir, 'noexec');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'srv'), '#!/bin/sh\n', { mode: 0o644 });
    const file = path.join(dir, 'noexec.json');
    fs.writeFileSync(file, JSON.stringify({ mcpServers: { s: { command: 'srv', env: { PATH: bin } } } }));
    const env = { PATH: bin };
    const report = await validateConfigFile({ env, cwd: dir, homedir: dir, platform: 'linux', path: file });
    expect(report.problems).toEqual([
      expect.objectContaining({ severity: 'warning', message: `command not found: srv (searched ${bin})` }),
    ]);
    await expect(
      createTransport('s', { type: 'stdio', command: 'srv', env: { PATH: bin } } as UpstreamConfig, {
        logger: silentLogger(),
        env,
        cwd: dir,
        runId: 't',
      }),
    ).rejects.toThrow('command not found: srv');
  });
});

describe('resolveCommand on Windows', () => {
  const files = new Set(['C:\\tools\\uvx.EXE', 'C:\\tools\\uvx', 'C:\\tools\\run.CMD']);
  const base = { platform: 'win32' as const, cwd: 'C:\\', isRunnable: (p: string) => files.has(p) };

  it('does not take a bare name without a PATHEXT extension (spawn would not run it)', () => {
    expect(resolveCommand('uvx', { ...base, env: { Path: 'C:\\tools', PATHEXT: '.COM;.EXE' } }).found).toBe(
      'C:\\tools\\uvx.EXE',
    );
  });

  it("defaults PATHEXT to Windows' own list", () => {
    expect(resolveCommand('run', { ...base, env: { Path: 'C:\\tools' } }).found).toBe('C:\\tools\\run.CMD');
  });
});
