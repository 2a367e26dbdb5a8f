/**
 * What a stdio `run` loads before it answers `initialize`: each Node built-in is compiled when first
 * loaded, so the stdio path must not pay for what only other paths use (the HTTP frontend, the audit
 * reader's readline, the web streams an HTTP upstream's SSE parser needs, and, once the core's source
 * is kept beside V8's code cache, zlib; node:crypto, which the catalog cache's file names and temp files
 * do without).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { ensureBuilt } from '../helpers/build.js';
import { tmpDir, writeConfig } from '../helpers/files.js';
import { BUNDLE, ECHO, NODE } from '../helpers/paths.js';

const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
});

/**
 * Preloaded into the proxy: at its first stdout write that holds LOADED_AT (an answer's id) it lists
 * the modules loaded so far, and the directories read so far (LOADED_OUT.dirs).
 */
const PRELOAD = `
const fs = require('node:fs');
const path = require('node:path');
const write = process.stdout.write;
const readdirSync = fs.readdirSync;
const dirs = [];
fs.readdirSync = function (dir, ...rest) {
  dirs.push(path.resolve(String(dir)));
  return readdirSync.call(this, dir, ...rest);
};
let listed = false;
process.stdout.write = function (...a) {
  if (!listed && String(a[0]).includes(process.env.LOADED_AT)) {
    listed = true;
    fs.writeFileSync(process.env.LOADED_OUT, process.moduleLoadList.join('\\n'));
    fs.writeFileSync(process.env.LOADED_OUT + '.dirs', dirs.join('\\n'));
  }
  return write.apply(this, a);
};
`;

test('a stdio `run` answers initialize without loading what only other paths need', () => {
  ensureBuilt();
  const dir = tmpDir();
  const preload = path.join(dir, 'preload.cjs');
  fs.writeFileSync(preload, PRELOAD);
  const out = path.join(dir, 'loaded.txt');
  // Started from a directory of its own, as a client starts it from wherever it runs.
  const work = path.join(dir, 'work', 'deep');
  fs.mkdirSync(work, { recursive: true });
  const config = writeConfig(dir, { mcpServers: { e: { command: NODE, args: [ECHO] } } });
  // The catalog cache on, as by default: its files are named without node:crypto.
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    MCP_PROXY_CACHE_DIR: path.join(dir, 'cache'),
    LOADED_OUT: out,
    LOADED_AT: '"id":0',
  };
  const serve = (input = `${INIT}\n`, at = '"id":0') => {
    const r = spawnSync(NODE, ['-r', preload, BUNDLE, 'run', '--config', config, '--no-watch'], {
      cwd: work,
      env: { ...env, LOADED_AT: at },
      input,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.stdout).toContain('"id":0');
    return new Set(fs.readFileSync(out, 'utf8').split('\n'));
  };
  const cold = serve();
  expect(cold.has('NativeModule child_process')).toBe(true); // the list is real: upstreams are spawned
  expect(cold.has('NativeModule zlib')).toBe(true); // the first start decompresses the core
  const warm = serve();
  const unwantedModules = ['http', 'https', 'tls', 'readline', 'internal/webstreams/readablestream', 'zlib', 'crypto'];
  for (const unwanted of unwantedModules) {
    expect(warm.has(`NativeModule ${unwanted}`), unwanted).toBe(false);
  }
  // A warm start's `initialize` comes from the launcher (src/cli/run/launcherAnswer.ts). With the whole
  // proxy up and its first listing answered, still none of those but node:crypto (session ids).
  const list = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
  const initialized = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });
  const listed = serve(`${INIT}\n${initialized}\n${list}\n`, '"id":1');
  expect(listed.has('NativeModule child_process')).toBe(true);
  for (const unwanted of unwantedModules.filter((m) => m !== 'crypto')) {
    expect(listed.has(`NativeModule ${unwanted}`), unwanted).toBe(false);
  }
  // Nothing searches the working directory and its parents (yargs' version guess looked for a package.json).
  const read = fs.readFileSync(`${out}.dirs`, 'utf8').split('\n').filter(Boolean);
  expect(read.filter((d) => work === d || work.startsWith(d + path.sep))).toEqual([]);
});

test('`--help` and `version` load none of the built-ins only `run` needs', () => {
  ensureBuilt();
  const dir = tmpDir();
  const preload = path.join(dir, 'preload.cjs');
  fs.writeFileSync(
    preload,
    "process.on('exit', () => require('node:fs').writeFileSync(process.env.LOADED_OUT, process.moduleLoadList.join('\\n')));",
  );
  for (const args of [['--help'], ['version']]) {
    const out = path.join(dir, `${args[0]}.txt`);
    const r = spawnSync(NODE, ['-r', preload, BUNDLE, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: dir, LOADED_OUT: out },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(0);
    const loaded = new Set(fs.readFileSync(out, 'utf8').split('\n'));
    expect(loaded.has('NativeModule fs'), 'the list is real').toBe(true);
    for (const unwanted of ['v8', 'vm', 'perf_hooks', 'zlib']) {
      expect(loaded.has(`NativeModule ${unwanted}`), `${args[0]}: ${unwanted}`).toBe(false);
    }
  }
});
