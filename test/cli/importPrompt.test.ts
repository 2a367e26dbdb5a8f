// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are part of what is tested
/** The interactive question when a terminal is attached (in-process, stdin a TTY-like stream). */
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeContext, runInProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/files.js';

let tmp: { dir: string; cleanup: () => void };
let home: string;
const TOKEN = 'ghp_promptTestToken0123456789abcdefghij';

beforeEach(() => {
  tmp = tempDir('mcp-prompt-');
  home = path.join(tmp.dir, 'home');
  const file = path.join(home, '.config', 'Claude', 'claude_desktop_config.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ mcpServers: { gh: { command: 'gh-mcp', env: { GITHUB_TOKEN: TOKEN } } } }));
});
afterEach(() => tmp.cleanup());

async function importAnswering(answer: string) {
  const t = makeContext({ home, cwd: tmp.dir });
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean };
  stdin.isTTY = true;
  stdin.write(answer);
  t.ctx.stdin = stdin;
  const r = await runInProcess(t, ['import', '--from', 'claude-desktop']);
  stdin.end();
  return r;
}

const proxyConfig = () =>
  JSON.parse(fs.readFileSync(path.join(home, '.config', 'mcp-proxy', 'config.json'), 'utf8')).mcpServers.gh;
const credFile = () => path.join(home, '.config', 'mcp-proxy', 'credentials.json');

describe('import asks before moving secrets when a terminal is attached', () => {
  it('"y" moves them', async () => {
    const r = await importAnswering('y\n');
    expect(r.error).toBeUndefined();
    expect(r.stderr).toMatch(/Move 1 secret\(s\) into .*credentials\.json \(mode 0600\).*\[Y\/n\]/);
    expect(proxyConfig().env.GITHUB_TOKEN).toBe('${GITHUB_TOKEN}');
    expect(JSON.parse(fs.readFileSync(credFile(), 'utf8'))).toEqual({ GITHUB_TOKEN: TOKEN });
  });

  it('"n" keeps them literal in a 0600 config', async () => {
    const r = await importAnswering('n\n');
    expect(r.error).toBeUndefined();
    expect(proxyConfig().env.GITHUB_TOKEN).toBe(TOKEN);
    expect(fs.existsSync(credFile())).toBe(false);
    expect(fs.statSync(path.join(home, '.config', 'mcp-proxy', 'config.json')).mode & 0o777).toBe(0o600);
  });
});
