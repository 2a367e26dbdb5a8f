// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are part of what is tested
/**
 * `mcp-proxy restore`: puts back what `--write` replaced (latest backup by default, or --backup FILE),
 * backing up what it replaces; secrets that import moved out of the backup come back from the
 * credentials store, and a missing one exits 3 without writing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeContext, runInProcess } from '../helpers/cli.js';
import { type HomeAndProject, homeAndProject, listFiles } from '../helpers/files.js';

let tmp: HomeAndProject;
let home: string;
let cwd: string;
let cursorFile: string;
let creds: string;

beforeEach(() => {
  tmp = homeAndProject('mcp-restore-');
  home = tmp.home;
  cwd = tmp.cwd;
  cursorFile = path.join(home, '.cursor', 'mcp.json');
  fs.mkdirSync(path.dirname(cursorFile), { recursive: true });
  creds = path.join(tmp.dir, 'creds.json');
});
afterEach(() => tmp.cleanup());

const cli = (args: string[]) => runInProcess(makeContext({ home, cwd }), args);
const backups = () => listFiles(path.dirname(cursorFile)).filter((f) => f.includes('.bak-'));

describe('restore', () => {
  it('undoes import --write: the client gets its servers and secrets back, and what it replaced is backed up', async () => {
    const original = `${JSON.stringify(
      {
        mcpServers: {
          gh: {
            command: 'npx',
            args: ['-y', 'gh-server'],
            env: { GITHUB_TOKEN: 'ghp_restoreTest0123456789abcdefghijkl' },
          },
        },
      },
      null,
      2,
    )}\n`;
    fs.writeFileSync(cursorFile, original);
    const proxy = path.join(cwd, 'proxy.json');
    const imp = await cli([
      'import',
      '--from',
      'cursor',
      '--config',
      proxy,
      '--credentials',
      creds,
      '--write',
      '--yes',
    ]);
    expect(imp.error).toBeUndefined();
    const afterImport = fs.readFileSync(cursorFile, 'utf8');
    expect(afterImport).not.toContain('ghp_');
    expect(backups()).toHaveLength(1);
    expect(fs.readFileSync(path.join(path.dirname(cursorFile), backups()[0]), 'utf8')).not.toContain('ghp_');

    const r = await cli(['restore', '--client', 'cursor', '--credentials', creds]);
    expect(r.error).toBeUndefined();
    expect(r.stdout).toContain(`restored ${cursorFile}`);
    expect(fs.readFileSync(cursorFile, 'utf8')).toBe(original);
    expect(fs.statSync(cursorFile).mode & 0o777).toBe(0o600);
    // What restore replaced is itself a backup now.
    expect(backups()).toHaveLength(2);
    const newest = backups().sort().at(-1)!;
    expect(fs.readFileSync(path.join(path.dirname(cursorFile), newest), 'utf8')).toBe(afterImport);
  });

  it('--backup FILE picks an older one; --list shows them; a missing credential exits 3 and writes nothing', async () => {
    fs.writeFileSync(cursorFile, '{"mcpServers": {}}\n');
    const b1 = `${cursorFile}.bak-20260101T000000Z`;
    const b2 = `${cursorFile}.bak-20260202T000000Z`;
    fs.writeFileSync(b1, '{"mcpServers": {"one": {"command": "a"}}}\n');
    fs.writeFileSync(
      b2,
      '{"mcpServers": {"two": {"env": {"K": "${mcp-proxy-credential:NOT_STORED}"}, "command": "b"}}}\n',
    );
    const list = await cli(['restore', '--client', 'cursor', '--list']);
    expect(list.stdout.trim().split('\n')).toEqual([b1, b2]);

    const missing = await cli(['restore', '--client', 'cursor']);
    expect(missing.status).toBe(3);
    expect(missing.error).toContain('NOT_STORED');
    expect(fs.readFileSync(cursorFile, 'utf8')).toBe('{"mcpServers": {}}\n');

    const older = await cli(['restore', '--client', 'cursor', '--backup', b1]);
    expect(older.error).toBeUndefined();
    expect(fs.readFileSync(cursorFile, 'utf8')).toBe(fs.readFileSync(b1, 'utf8'));
  });

  it('no backup, an unknown client or neither --client nor --file: a precise error', async () => {
    const none = await cli(['restore', '--client', 'cursor']);
    expect(none.status).toBe(2);
    expect(none.error).toContain(`no backup of ${cursorFile}`);
    expect((await cli(['restore', '--client', 'nope'])).error).toContain('unknown client "nope"');
    expect((await cli(['restore'])).error).toContain('--client NAME or --file FILE');
  });
});
