/**
 * The one bundle (dist/mcp-proxy.mjs): nothing but Node built-ins left external, the native addons
 * dockerode would pull replaced by stubs, and it runs from a directory with no node_modules anywhere,
 * through its fast paths and through the full CLI (the embedded core).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { describe, expect, it } from 'vitest';
import { tmpDir, writeConfig } from '../helpers/files.js';
import { BUNDLE, ROOT } from '../helpers/paths.js';
import { text } from '../helpers/proxy.js';
import { waitFor } from '../helpers/wait.js';

const DIST = path.join(ROOT, 'dist');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

interface Metafile {
  inputs: Record<string, { imports?: { path: string; external?: boolean }[] }>;
  outputs: Record<string, { bytes: number; imports?: { path: string; external?: boolean }[] }>;
}
const meta: Metafile = JSON.parse(readFileSync(path.join(DIST, 'meta.json'), 'utf8'));

/** A copy of the bundle alone in a fresh temp directory: no node_modules beside or above it. */
function isolatedCopy(): { dir: string; file: string } {
  const dir = tmpDir('mcp-proxy-bundle-');
  const file = path.join(dir, 'mcp-proxy.mjs');
  copyFileSync(BUNDLE, file);
  return { dir, file };
}

function run(file: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [file, ...args], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: cwd, MCP_PROXY_DEPLOYMENT: 'node', ...env },
  });
}

describe('the bundle', () => {
  it('leaves nothing but Node built-ins external, in every output', () => {
    const outputs = Object.keys(meta.outputs);
    expect(outputs).toEqual(
      expect.arrayContaining(['dist/mcp-proxy.mjs', 'dist/mcp-proxy-core.cjs', 'dist/mcp-proxy-sea.cjs']),
    );
    const externals = Object.values(meta.outputs).flatMap((o) => (o.imports ?? []).filter((i) => i.external));
    expect(externals.length).toBeGreaterThan(0);
    expect(externals.map((i) => i.path).filter((p) => !builtins.has(p))).toEqual([]);
    // Every input was bundled from the repo (or is a stub): none is a native addon.
    expect(Object.keys(meta.inputs).filter((p) => p.endsWith('.node'))).toEqual([]);
  });

  it('bundles the runtime dependencies and replaces ssh2 / cpu-features with stubs', () => {
    const inputs = Object.keys(meta.inputs);
    for (const dep of ['yargs', 'zod', 'pino', 'dockerode', 'docker-modem', '@modelcontextprotocol/server']) {
      expect(inputs.some((p) => p.startsWith(`node_modules/${dep}/`))).toBe(true);
    }
    expect(inputs).toContain('native-stub:ssh2');
    expect(inputs.some((p) => p.startsWith('node_modules/ssh2/') || p.startsWith('node_modules/cpu-features/'))).toBe(
      false,
    );
  });

  it('leaves out what the proxy never runs: BuildKit (gRPC, protobuf) and the OpenTelemetry API', () => {
    const inputs = Object.keys(meta.inputs);
    for (const dep of ['@grpc/grpc-js', '@grpc/proto-loader', 'protobufjs', '@opentelemetry/api']) {
      expect(inputs.some((p) => p.startsWith(`node_modules/${dep}/`))).toBe(false);
    }
    expect(inputs).toEqual(expect.arrayContaining(['unused-stub:@grpc/grpc-js', 'otel-stub:@opentelemetry/api']));
  });

  it('ships an ASCII core (held by V8 as a one-byte string for the life of the process)', () => {
    const core = readFileSync(path.join(DIST, 'mcp-proxy-core.cjs'));
    expect(core.findIndex((b) => b > 0x7f)).toBe(-1);
  });

  it("keys V8's code cache by the core's content, not its length (V8 itself checks only the length)", () => {
    const core = readFileSync(path.join(DIST, 'mcp-proxy-core.cjs'));
    const hash = createHash('sha256').update(core).digest('hex').slice(0, 16);
    expect(readFileSync(BUNDLE, 'utf8')).toContain(`"${hash}"`);
  });

  it('lists the license of every bundled package in dist/THIRD_PARTY_LICENSES.txt', () => {
    const notices = readFileSync(path.join(DIST, 'THIRD_PARTY_LICENSES.txt'), 'utf8');
    for (const dep of ['yargs', 'zod', 'pino', 'dockerode', '@modelcontextprotocol/server']) {
      expect(notices).toMatch(new RegExp(`^${dep.replace(/[/@]/g, '\\$&')}@\\d+\\.\\d+\\.\\d+ \\(`, 'm'));
    }
    expect(notices).toContain('Permission is hereby granted');
  });

  it('keeps the published file small: the core is embedded compressed', () => {
    const launcher = statSync(BUNDLE).size;
    const core = statSync(path.join(DIST, 'mcp-proxy-core.cjs')).size;
    expect(core).toBeGreaterThan(2 * 1024 * 1024);
    expect(launcher).toBeLessThan(core / 3);
    expect(readFileSync(BUNDLE, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('carries the compressed core once, as a comment the launcher reads (no string literal copy)', () => {
    const source = readFileSync(BUNDLE, 'utf8');
    const carrier = /function __mcpCoreCarrier\(\)\{\/\*([A-Za-z0-9+/=]+)\*\/\}\s*$/.exec(source);
    expect(carrier).not.toBeNull();
    const payload = carrier![1]!;
    expect(payload.length).toBeGreaterThan(100_000);
    // The payload's text appears nowhere else in the file.
    expect(source.indexOf(payload.slice(0, 64))).toBe(carrier!.index + 'function __mcpCoreCarrier(){/*'.length);
  });

  it('runs `version --json` with no node_modules, fast path and full CLI alike', () => {
    const { dir, file } = isolatedCopy();
    const fast = run(file, ['version', '--json'], dir);
    expect(fast.stderr).toBe('');
    expect(fast.status).toBe(0);
    const info = JSON.parse(fast.stdout);
    expect(info).toMatchObject({ name: 'mcp-proxy-server', version: pkg.version, deployment: 'node' });
    expect(info.build).not.toBe('source');
    const full = run(file, ['version', '--json'], dir, { MCP_PROXY_NO_FAST_PATH: '1' });
    expect(full.status).toBe(0);
    expect(JSON.parse(full.stdout)).toEqual(info);
  });

  it('prints the same --help as the full CLI (pre-rendered at build time)', () => {
    const { dir, file } = isolatedCopy();
    const fast = run(file, ['--help'], dir);
    const full = run(file, ['--help'], dir, { MCP_PROXY_NO_FAST_PATH: '1' });
    expect(fast.status).toBe(0);
    expect(full.status).toBe(0);
    expect(fast.stdout).toBe(full.stdout);
    for (const cmd of ['run', 'validate', 'version']) expect(fast.stdout).toContain(`mcp-proxy ${cmd}`);
    // yargs (ESM, import.meta.url) works inside the CommonJS core: sub-command help and usage errors.
    const sub = run(file, ['run', '--help'], dir);
    expect(sub.status).toBe(0);
    expect(sub.stdout).toContain('--config');
    const bad = run(file, ['no-such-command'], dir);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^error: /m);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });

  it('runs the embedded example server as a child of itself, with no config and no node_modules', async () => {
    const { dir, file } = isolatedCopy();
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [file, 'run'],
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: dir },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'bundle-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('example__echo');
      const r = await client.callTool({ name: 'example__echo', arguments: { text: 'from a lone bundle' } });
      expect(text(r)).toBe('from a lone bundle');
    } finally {
      await client.close();
    }
  });

  it('refuses an ssh:// DOCKER_HOST with a clear message instead of a missing-module crash', async () => {
    const { dir, file } = isolatedCopy();
    const config = writeConfig(dir, { mcpServers: { d: { image: 'alpine:3' } }, proxy: { retry: { maxAttempts: 1 } } });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [file, 'run', '--config', config],
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: dir, DOCKER_HOST: 'ssh://someone@127.0.0.1:1' },
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const client = new Client({ name: 'bundle-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      await waitFor(() => stderr.includes('[upstream:d]'), 'the docker upstream to report');
      expect(stderr).toContain('ssh:// DOCKER_HOST is not supported in this build');
      expect(stderr).toContain('DOCKER_HOST=unix://');
    } finally {
      await client.close();
    }
  });
});
