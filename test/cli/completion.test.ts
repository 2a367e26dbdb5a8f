/**
 * Shell completion and the bare command line: client names after --client and import --from (not
 * subcommands or flags), a script for bash, zsh, fish and PowerShell (bash run for real against the
 * built bundle), and what `mcp-proxy`, `--version`, `-V` and `generate` alone do.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENTS } from '../../src/generate/clients.js';
import { ensureBuilt } from '../helpers/build.js';
import { makeContext, runInProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/files.js';
import { BUNDLE } from '../helpers/paths.js';

const complete = async (words: string[]) => {
  const r = await runInProcess(makeContext({ home: '/nonexistent', cwd: '/' }), ['--get-yargs-completions', ...words]);
  return r.stdout.split('\n').filter(Boolean);
};
const cli = (argv: string[]) => runInProcess(makeContext({ home: '/nonexistent', cwd: '/' }), argv);

describe('completion values', () => {
  it('--client c<TAB> offers the clients starting with c, not subcommands', async () => {
    expect(await complete(['mcp-proxy', 'generate', 'client-config', '--client', 'c'])).toEqual([
      'claude-desktop',
      'cursor',
      'claude-code',
      'cline',
      'codex',
    ]);
    expect(await complete(['mcp-proxy', 'generate', 'client-config', '--client', ''])).toEqual([...CLIENTS]);
    expect(await complete(['mcp-proxy', 'restore', '--client', 'z'])).toEqual(['zed']);
  });

  it('import --from <TAB> offers client names; a path prefix gets nothing (the shell completes the file)', async () => {
    expect(await complete(['mcp-proxy', 'import', '--from', ''])).toEqual([...CLIENTS]);
    expect(await complete(['mcp-proxy', 'import', '--from', 'gem'])).toEqual(['gemini-cli']);
    expect(await complete(['mcp-proxy', 'import', '--from', './my'])).toEqual([]);
  });

  it('command names still complete', async () => {
    const words = await complete(['mcp-proxy', '']);
    for (const c of ['run', 'import', 'generate', 'restore', 'completion']) expect(words).toContain(c);
  });
});

describe('completion scripts', () => {
  it('one per shell, each asking the CLI for completions', async () => {
    for (const shell of ['bash', 'zsh', 'fish', 'powershell']) {
      const r = await cli(['completion', shell]);
      expect(r.status, shell).toBe(0);
      expect(r.stdout, shell).toContain('--get-yargs-completions');
    }
    expect((await cli(['completion', 'fish'])).stdout).toContain('complete -c mcp-proxy');
    expect((await cli(['completion', 'powershell'])).stdout).toContain('Register-ArgumentCompleter -Native');
    expect((await cli(['completion', 'tcsh'])).status).toBe(2);
  });

  describe('bash, for real', () => {
    let tmp: { dir: string; cleanup: () => void };
    beforeAll(() => {
      ensureBuilt();
      tmp = tempDir('mcp-completion-');
      // `mcp-proxy` on PATH, as after a global install.
      fs.writeFileSync(path.join(tmp.dir, 'mcp-proxy'), `#!/bin/sh\nexec "${process.execPath}" "${BUNDLE}" "$@"\n`, {
        mode: 0o755,
      });
    });
    afterAll(() => tmp.cleanup());

    const bashComplete = (line: string[]) => {
      const script = spawnSync(process.execPath, [BUNDLE, 'completion', 'bash'], { encoding: 'utf8' }).stdout;
      const words = line.map((w) => `'${w}'`).join(' ');
      const program = `${script}\nCOMP_WORDS=(${words}); COMP_CWORD=${line.length - 1}; _mcp_proxy_completions; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const r = spawnSync('bash', ['-c', program], {
        encoding: 'utf8',
        env: { PATH: `${tmp.dir}:${process.env.PATH}`, HOME: tmp.dir },
      });
      return r.stdout.split('\n').filter(Boolean);
    };

    it('--client c<TAB> and import --from <TAB> complete client names', () => {
      expect(bashComplete(['mcp-proxy', 'generate', 'client-config', '--client', 'cu'])).toEqual(['cursor']);
      expect(bashComplete(['mcp-proxy', 'import', '--from', 'wind'])).toEqual(['windsurf']);
      expect(bashComplete(['mcp-proxy', 'res'])).toEqual(['restore']);
    });
  });
});

describe('the bare command line', () => {
  it('mcp-proxy alone names every command', async () => {
    const r = await cli([]);
    expect(r.status).toBe(2);
    for (const c of ['run', 'validate', 'status', 'credentials', 'init', 'import', 'generate', 'restore', 'version']) {
      expect(r.error).toContain(c);
    }
  });

  it('--version and -V print the version (exit 0)', async () => {
    for (const flag of ['--version', '-V']) {
      const r = await cli([flag]);
      expect(r.status, flag).toBe(0);
      expect(r.stdout, flag).toMatch(/^mcp-proxy-server \S+/);
    }
  });

  it('generate alone says what it needs, not yargs internals', async () => {
    const r = await cli(['generate']);
    expect(r.status).toBe(2);
    expect(r.error).toContain('generate what? client-config, compose or systemd');
    expect(r.error).not.toContain('non-option');
  });
});
