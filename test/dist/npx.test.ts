/**
 * The npm package as users get it: `npm pack` output holds only what it needs and declares no runtime
 * dependencies (the bundle carries them), and `npx -y ./<tarball>` runs it with nothing installed (an
 * empty directory, an isolated npm cache): `version`, and `run` over stdio with a real upstream and with
 * the embedded example server (which the proxy starts from its own entry in the npx cache).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { beforeAll, describe, expect, it } from 'vitest';
import { tmpDir, writeConfig } from '../helpers/files.js';
import { ECHO, ROOT } from '../helpers/paths.js';
import { text } from '../helpers/proxy.js';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

interface PackResult {
  filename: string;
  files: { path: string }[];
  size: number;
  unpackedSize: number;
}

let work: string;
let tarball: string;
let packed: PackResult;
let cache: string;

/**
 * Environment for npm/npx: an isolated cache and HOME (no user config found by accident), and nothing
 * from this repo's npm setup leaking in.
 */
function npmEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    npm_config_cache: cache,
    npm_config_update_notifier: 'false',
  };
  delete env.XDG_CONFIG_HOME;
  delete env.MCP_PROXY_CONFIG;
  for (const k of Object.keys(env)) {
    if (k.startsWith('npm_') && !['npm_config_cache', 'npm_config_update_notifier'].includes(k)) delete env[k];
  }
  delete env.MCP_PROXY_DEPLOYMENT;
  return env;
}

beforeAll(() => {
  work = tmpDir('mcp-proxy-npx-');
  cache = path.join(work, 'npm-cache');
  // --ignore-scripts: `prepack` would rebuild dist/ under the other test files using it.
  const out = execFileSync(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {
    cwd: ROOT,
    encoding: 'utf8',
    env: npmEnv(work),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  packed = JSON.parse(out)[0];
  tarball = path.join(work, packed.filename);
}, 60_000);

/** A fresh empty directory holding only a copy of the tarball, as a user would run `npx -y ./x.tgz`. */
function withTarball(): string {
  const dir = tmpDir('mcp-proxy-npx-run-');
  copyFileSync(tarball, path.join(dir, packed.filename));
  return dir;
}

describe('npm package', () => {
  it('contains only the bundle, the JSON Schema, the licenses, README and package.json', () => {
    const files = packed.files.map((f) => f.path).sort();
    const expected = [
      'LICENSE',
      'dist/THIRD_PARTY_LICENSES.txt',
      'dist/config.schema.json',
      'dist/mcp-proxy.mjs',
      'package.json',
    ];
    if (existsSync(path.join(ROOT, 'README.md'))) expected.push('README.md');
    expect(files).toEqual(expected.sort());
  });

  it('is as large as docs/install.md says (packed and unpacked, to the MB figure shown)', () => {
    const doc = readFileSync(path.join(ROOT, 'docs/install.md'), 'utf8');
    const m = /about ([\d.]+) MB packed \(([\d.]+) MB unpacked/.exec(doc);
    expect(m, 'install.md states the package size').not.toBeNull();
    // The doc rounds to 0.1 MB; a build that drifts past that makes the doc wrong.
    expect(Math.abs(Number(m![1]) - packed.size / 1e6)).toBeLessThanOrEqual(0.05);
    expect(Math.abs(Number(m![2]) - packed.unpackedSize / 1e6)).toBeLessThanOrEqual(0.05);
  });

  it('declares no runtime dependencies and a bin that is the bundle', () => {
    const dir = tmpDir('mcp-proxy-npx-pkg-');
    execFileSync('tar', ['-xzf', tarball, '-C', dir]);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'package/package.json'), 'utf8'));
    for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies', 'bundleDependencies']) {
      // A runtime dependency here means someone added one with `npm install PKG`: the bundle already
      // carries it, so it belongs in devDependencies (see docs/install.md).
      expect(Object.keys(manifest[field] ?? {}), field).toEqual([]);
    }
    expect(manifest.bin).toEqual({ 'mcp-proxy': 'dist/mcp-proxy.mjs' });
    expect(manifest.scripts?.install ?? manifest.scripts?.postinstall).toBeUndefined();
  });

  it("names its repository, so the registry page links the README's relative links and issues there", () => {
    const dir = tmpDir('mcp-proxy-npx-repo-');
    execFileSync('tar', ['-xzf', tarball, '-C', dir]);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'package/package.json'), 'utf8'));
    // The same repository the install scripts download releases from.
    const release = /https:\/\/github\.com\/([\w.-]+\/[\w.-]+)\/releases/.exec(
      readFileSync(path.join(ROOT, 'scripts/install.sh'), 'utf8'),
    )![1];
    expect(manifest.repository).toEqual({ type: 'git', url: `git+https://github.com/${release}.git` });
    expect(manifest.homepage).toBe(`https://github.com/${release}#readme`);
    expect(manifest.bugs).toEqual({ url: `https://github.com/${release}/issues` });
  });

  it('has README and docs links that resolve inside the repository (npm rewrites them against it)', () => {
    const broken: string[] = [];
    for (const doc of ['README.md', ...readdirSync(path.join(ROOT, 'docs')).map((f) => `docs/${f}`)]) {
      if (!doc.endsWith('.md')) continue;
      const text = readFileSync(path.join(ROOT, doc), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)\s#]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target)) continue;
        const file = path.resolve(ROOT, path.dirname(doc), target);
        if (!file.startsWith(`${ROOT}${path.sep}`) || !existsSync(file)) broken.push(`${doc}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('runs `npx -y ./<tarball> version` in an empty directory and reports itself as npx', () => {
    const dir = withTarball();
    const r = spawnSync(npx, ['-y', `./${packed.filename}`, 'version', '--json'], {
      cwd: dir,
      encoding: 'utf8',
      env: npmEnv(dir),
    });
    expect(r.status, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.name).toBe('mcp-proxy-server');
    expect(info.deployment).toBe('npx');
  }, 120_000);

  async function connectNpx(args: string[], cwd: string) {
    const transport = new StdioClientTransport({
      command: npx,
      args: ['-y', `./${packed.filename}`, ...args],
      cwd,
      env: npmEnv(cwd) as Record<string, string>,
      stderr: 'pipe',
    });
    const client = new Client({ name: 'npx-test', version: '1.0.0' });
    await client.connect(transport);
    return client;
  }

  it('runs a proxy over stdio through npx in front of a real upstream', async () => {
    const dir = withTarball();
    const config = writeConfig(dir, { mcpServers: { echo: { command: process.execPath, args: [ECHO] } } });
    const client = await connectNpx(['run', '--config', config], dir);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('echo__add');
      const r = await client.callTool({ name: 'echo__add', arguments: { a: 1, b: 41 } });
      expect(text(r)).toBe('42');
    } finally {
      await client.close();
    }
  }, 120_000);

  it('serves the embedded example server through npx when there is no config', async () => {
    const dir = withTarball();
    const client = await connectNpx(['run'], dir);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('example__echo');
      const r = await client.callTool({ name: 'example__echo', arguments: { text: 'via npx' } });
      expect(text(r)).toBe('via npx');
    } finally {
      await client.close();
    }
  }, 120_000);
});
