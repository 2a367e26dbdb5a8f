/**
 * What a stdio `run` loads before it answers `initialize`: each Node built-in is compiled when first
 * loaded, so the stdio path must not pay for what only other paths use (the HTTP frontend, the audit
 * reader's readline, the web streams an HTTP upstream's SSE parser needs, and, once the core's source
 * is kept beside V8's code cache, zlib).
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

/** Preloaded into the proxy: at its first stdout write (the answer) it lists the modules loaded so far. */
const PRELOAD = `
const fs = require('node:fs');
const write = process.stdout.write;
let listed = false;
process.stdout.write = function (...a) {
  if (!listed) {
    listed = true;
    fs.writeFileSync(process.env.LOADED_OUT, process.moduleLoadList.join('\\n'));
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
  const config = writeConfig(dir, { mcpServers: { e: { command: NODE, args: [ECHO] } } });
  const env = { PATH: process.env.PATH ?? '', HOME: dir, MCP_PROXY_CACHE_DIR: 'off', LOADED_OUT: out };
  const serve = () => {
    const r = spawnSync(NODE, ['-r', preload, BUNDLE, 'run', '--config', config, '--no-watch'], {
      env,
      input: `${INIT}\n`,
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
  for (const unwanted of ['http', 'https', 'tls', 'readline', 'internal/webstreams/readablestream', 'zlib']) {
    expect(warm.has(`NativeModule ${unwanted}`), unwanted).toBe(false);
  }
});
