import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfigFile } from '../../src/config/load.js';
import type { UpstreamConfig } from '../../src/config/schema.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createTransport } from '../../src/upstream/transports.js';
import { resolveCommand, usualBinDirs } from '../../src/util/which.js';

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

describe('usualBinDirs and the lookup after PATH', () => {
  it('names where tools are usually installed, the running node first, only what exists', () => {
    const all = (d: string) => d !== '/home/u/.deno/bin';
    expect(
      usualBinDirs({ env: {}, homedir: '/home/u', platform: 'linux', execPath: '/opt/node/bin/node', exists: all }),
    ).toEqual([
      '/opt/node/bin',
      '/opt/homebrew/bin',
      '/usr/local/bin',
      '/home/linuxbrew/.linuxbrew/bin',
      '/home/u/.local/bin',
      '/home/u/.cargo/bin',
      '/home/u/.volta/bin',
      '/home/u/.bun/bin',
    ]);
    // The standalone binary is no node: nothing beside it is taken.
    expect(
      usualBinDirs({
        env: { APPDATA: 'C:\\Users\\u\\AppData\\Roaming', ProgramFiles: 'C:\\Program Files' },
        homedir: 'C:\\Users\\u',
        platform: 'win32',
        execPath: 'C:\\tools\\mcp-proxy.exe',
        exists: () => true,
      }),
    ).toEqual([
      'C:\\Users\\u\\AppData\\Roaming\\npm',
      'C:\\Program Files\\nodejs',
      'C:\\Users\\u\\.local\\bin',
      'C:\\Users\\u\\.cargo\\bin',
    ]);
  });

  it.skipIf(process.platform === 'win32')(
    'PATH wins; a bare name PATH misses is looked for in the extra directories and says which',
    () => {
      const onPath = path.join(dir, 'onpath');
      const extra = path.join(dir, 'extra');
      fs.mkdirSync(onPath);
      fs.mkdirSync(extra);
      for (const d of [onPath, extra]) fs.writeFileSync(path.join(d, 'both'), '#!/bin/sh\n', { mode: 0o755 });
      fs.writeFileSync(path.join(extra, 'only-extra'), '#!/bin/sh\n', { mode: 0o755 });
      const opts = { env: { PATH: onPath }, cwd: dir, extraDirs: () => [extra] };
      expect(resolveCommand('both', opts)).toEqual({ found: path.join(onPath, 'both'), searched: [onPath] });
      expect(resolveCommand('only-extra', opts)).toEqual({
        found: path.join(extra, 'only-extra'),
        searched: [onPath],
        extraDir: extra,
      });
      expect(resolveCommand('nowhere', opts)).toEqual({ found: undefined, searched: [onPath] });
    },
  );
});
