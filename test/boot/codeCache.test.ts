/**
 * V8's code cache for the core: where it lives, that `run` writes it and a later start uses it, and
 * that a corrupt or foreign file is only a slower start (V8 rejects it; it is written again).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { coreCodeCache } from '../../src/boot/codeCache.js';
import { ensureBuilt, runBundle } from '../helpers/build.js';
import { tmpDir, writeConfig } from '../helpers/files.js';
import { ECHO, NODE } from '../helpers/paths.js';

const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
});

describe('coreCodeCache', () => {
  test('saves and reads back per key; another key replaces the old file; off is off', () => {
    const dir = tmpDir();
    const env = { MCP_PROXY_CODE_CACHE: dir };
    const a = coreCodeCache(env, '1.0.0-v20-x64-100')!;
    expect(a.data).toBeUndefined();
    a.save(Buffer.from('compiled'));
    expect(coreCodeCache(env, '1.0.0-v20-x64-100')!.data?.toString()).toBe('compiled');
    coreCodeCache(env, '1.0.1-v20-x64-101')!.save(Buffer.from('newer'));
    expect(fs.readdirSync(dir)).toEqual(['core-1.0.1-v20-x64-101.v8']);
    if (process.platform !== 'win32') {
      expect(fs.statSync(path.join(dir, 'core-1.0.1-v20-x64-101.v8')).mode & 0o777).toBe(0o600);
    }
    expect(coreCodeCache({ MCP_PROXY_CODE_CACHE: 'off' }, 'k')).toBeUndefined();
  });

  test('keeps the source next to it, read back only at the expected size; other versions go', () => {
    const dir = tmpDir();
    const env = { MCP_PROXY_CODE_CACHE: dir };
    const a = coreCodeCache(env, 'v1')!;
    expect(a.source(6)).toBeUndefined();
    a.saveSource('exports');
    a.save(Buffer.from('compiled'));
    expect(coreCodeCache(env, 'v1')!.source(7)).toBe('exports');
    expect(coreCodeCache(env, 'v1')!.source(8)).toBeUndefined(); // truncated or foreign: decompress instead
    coreCodeCache(env, 'v2')!.saveSource('newer');
    expect(fs.readdirSync(dir).sort()).toEqual(['core-v1.v8', 'core-v2.js']);
    expect(coreCodeCache(env, 'v1')!.source(7)).toBeUndefined();
  });

  test('by default in the user cache directory; an unwritable place is no error', () => {
    const home = tmpDir();
    const c = coreCodeCache({ XDG_CACHE_HOME: path.join(home, 'xdg') }, 'k')!;
    c.save(Buffer.from('x'));
    if (process.platform === 'linux') expect(fs.existsSync(path.join(home, 'xdg/mcp-proxy/code/core-k.v8'))).toBe(true);
    const file = path.join(home, 'a-file');
    fs.writeFileSync(file, '');
    expect(() =>
      coreCodeCache({ MCP_PROXY_CODE_CACHE: path.join(file, 'below') }, 'k')!.save(Buffer.from('x')),
    ).not.toThrow();
  });

  test('`run` writes it and the source; a later run reads both, or with corrupt ones still serves (and replaces them)', () => {
    ensureBuilt();
    const dir = tmpDir();
    const cacheDir = path.join(dir, 'code');
    const config = writeConfig(dir, { mcpServers: { e: { command: NODE, args: [ECHO] } } });
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      MCP_PROXY_CODE_CACHE: cacheDir,
      MCP_PROXY_CACHE_DIR: 'off',
      MCP_PROXY_TRACE_STARTUP: '1',
    };
    const serve = () => {
      const r = runBundle(['run', '--config', config, '--no-watch'], { env, input: `${INIT}\n`, timeout: 30_000 });
      expect(r.stdout).toContain('"id":0');
      return r;
    };
    expect(serve().stderr).toContain('core decompressed');
    const files = fs.readdirSync(cacheDir).sort();
    expect(files).toHaveLength(2);
    const [source, code] = files.map((f) => path.join(cacheDir, f));
    expect(source).toMatch(/core-.*\.js$/);
    expect(code).toMatch(/core-.*\.v8$/);
    const produced = fs.statSync(code).size;
    expect(produced).toBeGreaterThan(1000);
    const sourceBytes = fs.statSync(source).size;
    expect(sourceBytes).toBeGreaterThan(100_000);
    const warm = serve().stderr;
    expect(warm).toContain('core read');
    expect(warm).toContain('code cache used');
    fs.writeFileSync(code, 'not V8 code cache data');
    fs.truncateSync(source, 1000);
    expect(serve().stderr).toContain('core decompressed');
    expect(fs.statSync(code).size).toBeGreaterThan(1000);
    expect(fs.statSync(source).size).toBe(sourceBytes);
  });
});
