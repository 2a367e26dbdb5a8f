// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are part of what is tested
/** `generate compose` and `init` through the BUILT bundle; the compose file checked by `docker-compose config`. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ensureBuilt, runBundle } from '../helpers/build.js';
import { type HomeAndProject, homeAndProject, listFiles } from '../helpers/files.js';
import { ROOT } from '../helpers/paths.js';

const composeBin = ['docker-compose'].find((b) => spawnSync(b, ['version'], { encoding: 'utf8' }).status === 0);
if (!composeBin) {
  console.warn('\n*** docker-compose is not installed: the `docker-compose config` checks are SKIPPED ***\n');
}

beforeAll(ensureBuilt);

let tmp: HomeAndProject;
let home: string;
let cwd: string;
beforeEach(() => {
  tmp = homeAndProject('mcp-compose-');
  home = tmp.home;
  cwd = tmp.cwd;
});
afterEach(() => tmp.cleanup());

function run(args: string[], env: Record<string, string> = {}) {
  return runBundle(args, {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: home, MCP_PROXY_DEPLOYMENT: 'node', ...env },
  });
}

function composeConfig(dir: string) {
  return spawnSync(composeBin!, ['-f', path.join(dir, 'compose.yaml'), 'config', '-q'], {
    cwd: dir,
    encoding: 'utf8',
  });
}

const mode = (p: string) => fs.statSync(p).mode & 0o777;

describe('generate compose', () => {
  const GH = 'ghp_composeSecretValue0123456789abcdef';
  const DB = 'postgres://app:db-pass-9876@db:5432/app';

  function setup(): { config: string; out: string } {
    const config = path.join(cwd, 'mcp-proxy.json');
    fs.writeFileSync(
      config,
      JSON.stringify(
        {
          mcpServers: {
            github: { command: 'npx', args: ['-y', 'gh-server'], env: { GITHUB_TOKEN: '${GITHUB_TOKEN}' } },
            db: { command: 'npx', args: ['-y', 'pg-server', '${DATABASE_URL}'] },
            opt: { url: 'https://example.com/mcp', headers: { 'X-Opt': '${OPTIONAL_HEADER:-none}' } },
            todo: { command: 'npx', args: ['todo'], env: { TODO_KEY: '${TODO_KEY}' } },
          },
        },
        null,
        2,
      ),
    );
    const cred = path.join(home, '.config', 'mcp-proxy', 'credentials.json');
    fs.mkdirSync(path.dirname(cred), { recursive: true });
    fs.writeFileSync(cred, JSON.stringify({ GITHUB_TOKEN: GH }), { mode: 0o600 });
    return { config, out: path.join(tmp.dir, 'deploy') };
  }

  it('writes compose.yaml, the config copy and 0600 secret files (generated token, resolvable variables)', () => {
    const { config, out } = setup();
    const r = run(['generate', 'compose', '--config', config, '--output', out], { DATABASE_URL: DB });
    expect(r.stderr).not.toMatch(/error/);
    expect(r.status).toBe(0);
    expect(listFiles(out)).toEqual(['compose.yaml', 'config', 'secrets']);
    expect(listFiles(path.join(out, 'config'))).toEqual(['mcp-proxy.json']);
    expect(fs.readFileSync(path.join(out, 'config', 'mcp-proxy.json'), 'utf8')).toBe(fs.readFileSync(config, 'utf8'));
    const secrets = path.join(out, 'secrets');
    expect(mode(secrets)).toBe(0o700);
    expect(listFiles(secrets)).toEqual(['database_url', 'github_token', 'mcp_proxy_token']);
    for (const f of listFiles(secrets)) expect(mode(path.join(secrets, f))).toBe(0o600);
    const token = fs.readFileSync(path.join(secrets, 'mcp_proxy_token'), 'utf8').trim();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(fs.readFileSync(path.join(secrets, 'github_token'), 'utf8')).toBe(GH);
    expect(fs.readFileSync(path.join(secrets, 'database_url'), 'utf8')).toBe(DB);
    // Nothing secret is printed.
    for (const s of [GH, DB, token]) expect(`${r.stdout}${r.stderr}`).not.toContain(s);
    // The missing required one is named with what to do; the defaulted one is left to its default.
    expect(r.stderr).toContain(`TODO_KEY is not set here: write its value to ${path.join(secrets, 'todo_key')}`);

    const doc = parseYaml(fs.readFileSync(path.join(out, 'compose.yaml'), 'utf8'));
    const svc = doc.services['mcp-proxy'];
    expect(svc.secrets).toEqual(['mcp_proxy_token', 'github_token', 'database_url', 'todo_key']);
    expect(svc.ports).toEqual(['127.0.0.1:8765:8765']);
    // Our uid:gid, so the 0600 files are readable in the container; never root (then the image's node user).
    const uid = process.getuid!();
    expect(svc.user).toBe(uid === 0 ? '1000:1000' : `${uid}:${process.getgid!()}`);
    for (const f of listFiles(secrets)) expect(fs.statSync(path.join(secrets, f)).uid).toBe(uid === 0 ? 1000 : uid);
    expect(Object.keys(doc.secrets)).not.toContain('optional_header');
  });

  it('a second run keeps the token and changes nothing', () => {
    const { config, out } = setup();
    run(['generate', 'compose', '--config', config, '--output', out], { DATABASE_URL: DB });
    const token = fs.readFileSync(path.join(out, 'secrets', 'mcp_proxy_token'), 'utf8');
    const compose = fs.readFileSync(path.join(out, 'compose.yaml'), 'utf8');
    const r = run(['generate', 'compose', '--config', config, '--output', out], { DATABASE_URL: DB });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('compose.yaml: unchanged');
    expect(fs.readFileSync(path.join(out, 'secrets', 'mcp_proxy_token'), 'utf8')).toBe(token);
    expect(fs.readFileSync(path.join(out, 'compose.yaml'), 'utf8')).toBe(compose);
    expect(listFiles(out).filter((f) => f.includes('.bak-'))).toEqual([]);
  });

  it.skipIf(!composeBin)('passes `docker-compose config`', () => {
    const { config, out } = setup();
    expect(run(['generate', 'compose', '--config', config, '--output', out, '--port', '9911']).status).toBe(0);
    const c = composeConfig(out);
    expect(c.stderr).toBe('');
    expect(c.status).toBe(0);
  });

  it('without a config says how to make one and writes nothing', () => {
    const out = path.join(tmp.dir, 'deploy');
    const r = run(['generate', 'compose', '--output', out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: no proxy config at .*config\.json/m);
    expect(r.stderr).toContain('mcp-proxy init');
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe('init', () => {
  it('writes a starter config that validates, refuses to overwrite, and --force keeps a backup', () => {
    const file = path.join(home, '.config', 'mcp-proxy', 'config.json');
    const r = run(['init']);
    expect(r.stderr).not.toMatch(/^error/m);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`created ${file}\n`);
    const value = JSON.parse(fs.readFileSync(file, 'utf8'));
    // Run from the repository's dist/, the schema beside the bundle is referenced relatively when it exists.
    const local = path.join(ROOT, 'dist', 'config.schema.json');
    expect(value.$schema).toBe(
      fs.existsSync(local)
        ? path.relative(path.dirname(file), local)
        : 'https://unpkg.com/mcp-proxy-server/dist/config.schema.json',
    );
    expect(value.mcpServers.memory.description).toMatch(/Example/);
    const v = run(['validate', '--config', file]);
    expect(v.stderr).not.toMatch(/^error/m);
    expect(v.status).toBe(0);

    fs.writeFileSync(file, '{"mcpServers": {"mine": {"command": "x"}}}');
    const again = run(['init']);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain(`error: ${file} already exists; nothing was written`);
    expect(again.stderr).toContain('--force');
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).mcpServers.mine).toBeDefined();

    const forced = run(['init', '--force']);
    expect(forced.status).toBe(0);
    expect(forced.stdout).toMatch(/backup: .*config\.json\.bak-/);
    const backup = listFiles(path.dirname(file)).find((f) => f.includes('.bak-'))!;
    expect(fs.readFileSync(path.join(path.dirname(file), backup), 'utf8')).toContain('"mine"');
  });

  it('--docker also writes the compose setup next to it', () => {
    const file = path.join(cwd, 'mcp-proxy.json');
    const out = path.join(cwd, 'docker');
    const r = run(['init', '--config', file, '--docker', '--output', out]);
    expect(r.status).toBe(0);
    expect(listFiles(out)).toEqual(['compose.yaml', 'config', 'secrets']);
    expect(listFiles(path.join(out, 'secrets'))).toEqual(['mcp_proxy_token']);
    if (composeBin) expect(composeConfig(out).status).toBe(0);
  });
});
