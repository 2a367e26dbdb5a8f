/**
 * scripts/install.sh against a local release server (node:http on 127.0.0.1, port 0): it picks this
 * machine's binary, verifies it against SHA256SUMS, installs it and says how to add it to PATH; a
 * corrupted or unlisted download is refused and nothing is installed. Serves the real linux-x64
 * binary when it has been built (dist/binaries), else a small stand-in with its own SHA256SUMS.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tmpDir } from '../helpers/files.js';
import { ROOT } from '../helpers/paths.js';

const SCRIPT = path.join(ROOT, 'scripts/install.sh');
const REAL_BINARY = path.join(ROOT, 'dist/binaries/mcp-proxy-linux-x64');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

const host = `${process.platform === 'win32' ? 'win' : process.platform}-${process.arch === 'x64' ? 'x64' : process.arch}`;
const asset = `mcp-proxy-${host}`;
const useReal = host === 'linux-x64' && existsSync(REAL_BINARY);
const STAND_IN = Buffer.from(`#!/bin/sh\necho "mcp-proxy-server ${pkg.version} (stand-in for the install test)"\n`);
const payload: Buffer = useReal ? readFileSync(REAL_BINARY) : STAND_IN;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Release directories the server offers: /ok (good), /bad (corrupted file), /unlisted, /empty. */
const releases: Record<string, Record<string, Buffer>> = {};
let server: http.Server;
let base: string;

beforeAll(async () => {
  const corrupted = Buffer.from(payload);
  corrupted[corrupted.length >> 1] ^= 0xff;
  const sums = Buffer.from(`${sha(payload)}  ${asset}\n${'0'.repeat(64)}  mcp-proxy-other-platform\n`);
  releases.ok = { [asset]: payload, SHA256SUMS: sums };
  releases.bad = { [asset]: corrupted, SHA256SUMS: sums };
  releases.unlisted = { [asset]: payload, SHA256SUMS: Buffer.from(`${'0'.repeat(64)}  mcp-proxy-other-platform\n`) };
  releases.empty = { SHA256SUMS: sums };
  server = http.createServer((req, res) => {
    const [, dir, file] = (req.url ?? '').split('/');
    const body = releases[dir ?? '']?.[file ?? ''];
    if (!body) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

/** Each install's home holds a copy of the binary (over 100 MB): removed once the tests are done. */
const homes: string[] = [];

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

/**
 * Runs install.sh asynchronously (the release server lives in this process: a synchronous spawn would
 * block it). Resolves with the exit status and output.
 */
async function install(release: string, opts: { onPath?: boolean } = {}) {
  const home = tmpDir('mcp-proxy-install-');
  homes.push(home);
  const dir = path.join(home, 'bin');
  const env = {
    PATH: `${opts.onPath ? `${dir}:` : ''}/usr/local/bin:/usr/bin:/bin`,
    HOME: home,
    MCP_PROXY_RELEASE_URL: `${base}/${release}/`,
    MCP_PROXY_INSTALL_DIR: dir,
  };
  const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = execFile('sh', [SCRIPT], { env, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
  return { ...r, dir, dest: path.join(dir, 'mcp-proxy') };
}

describe(`install.sh (${useReal ? 'the real linux-x64 binary' : 'a stand-in binary'})`, () => {
  it.skipIf(process.platform === 'win32')(
    'downloads, verifies and installs, then says how to add it to PATH',
    async () => {
      const r = await install('ok');
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`SHA-256 verified (${sha(payload)})`);
      expect(readFileSync(r.dest).equals(payload)).toBe(true);
      expect(statSync(r.dest).mode & 0o111).toBe(0o111);
      // It ran the installed binary once and printed its version line.
      expect(r.stdout).toContain(`mcp-proxy-server ${pkg.version}`);
      expect(r.stdout).toContain(`${r.dir} is not on your PATH`);
      expect(r.stdout).toContain(`export PATH="${r.dir}:$PATH"`);
      // Only the binary is left behind.
      expect(readdirSync(r.dir)).toEqual(['mcp-proxy']);
    },
  );

  it.skipIf(process.platform === 'win32')(
    'does not print PATH instructions when the directory is on PATH',
    async () => {
      const r = await install('ok', { onPath: true });
      expect(r.status).toBe(0);
      expect(r.stdout).not.toContain('is not on your PATH');
      expect(r.stdout).toContain('run `mcp-proxy --help` to start');
    },
  );

  it.skipIf(process.platform === 'win32')(
    'refuses a corrupted download: non-zero exit, clear message, nothing installed',
    async () => {
      const r = await install('bad');
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(`checksum mismatch for ${asset}`);
      expect(r.stderr).toContain('nothing was installed');
      expect(existsSync(r.dest)).toBe(false);
      expect(existsSync(r.dir) ? readdirSync(r.dir) : []).toEqual([]);
    },
  );

  it.skipIf(process.platform === 'win32')('refuses a file that SHA256SUMS does not list', async () => {
    const r = await install('unlisted');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`${asset} is not listed in SHA256SUMS`);
    expect(existsSync(r.dest)).toBe(false);
  });

  it.skipIf(process.platform === 'win32')('names the URL when the binary is missing from the release', async () => {
    const r = await install('empty');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`could not download ${base}/empty/${asset}`);
    expect(r.stderr).toContain('MCP_PROXY_RELEASE_URL');
    expect(existsSync(r.dest)).toBe(false);
  });
});
