#!/usr/bin/env node
// Token bench for dynamic tools mode (issue 9): how big is the tools/list result a client puts in the
// model's context, in "all" mode (every upstream tool schema) and in "dynamic" mode (two meta-tools)?
// Runs the built proxy (dist/mcp-proxy.mjs) over stdio in front of server-everything, server-memory,
// server-filesystem and the echo fixture, and counts bytes (UTF-8 JSON) and tokens (gpt-tokenizer,
// o200k_base, the GPT-4o encoding).
//
//   import { runTokenBench } from './bench-tokens.mjs';
//   const rows = await runTokenBench();   // [{mode:'all',...}, {mode:'dynamic',...}]
//
// `node scripts/bench-tokens.mjs` prints the table, the reduction, what loading each group costs, and
// the same comparison with 100 extra fixture tools.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { encode } from 'gpt-tokenizer';
import { ROOT as root } from './bench.mjs';

const BUNDLE = path.join(root, 'dist/mcp-proxy.mjs');
const pkg = (name) => path.join(root, 'node_modules/@modelcontextprotocol', name, 'dist/index.js');

/** The realistic upstream set: three real npm servers and the echo fixture. */
export function benchServers(dir, { fixtureTools = 0 } = {}) {
  const files = path.join(dir, 'files');
  mkdirSync(files, { recursive: true });
  return {
    everything: { command: process.execPath, args: [pkg('server-everything'), 'stdio'] },
    memory: {
      command: process.execPath,
      args: [pkg('server-memory')],
      env: { MEMORY_FILE_PATH: path.join(dir, 'memory.jsonl') },
      description: 'Knowledge graph memory: entities, relations and observations',
    },
    filesystem: {
      command: process.execPath,
      args: [pkg('server-filesystem'), files],
      description: 'Read, write and search files in the project directory',
    },
    echo: {
      command: process.execPath,
      args: [path.join(root, 'test/fixtures/echo-server.mjs')],
      env: { FIXTURE_NAME: 'echo', ...(fixtureTools ? { FIXTURE_TOOL_COUNT: String(fixtureTools) } : {}) },
    },
  };
}

export function measure(value) {
  const json = typeof value === 'string' ? value : JSON.stringify(value);
  return { bytes: Buffer.byteLength(json, 'utf8'), tokens: encode(json).length };
}

async function connect(configFile, mode) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BUNDLE, 'run', '--config', configFile, '--tools-mode', mode, '--no-watch', '--log-level', 'error'],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', MCP_PROXY_DEPLOYMENT: 'node' },
    stderr: 'ignore',
  });
  const client = new Client({ name: 'bench-tokens', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

function ensureBuilt() {
  if (existsSync(BUNDLE)) return;
  execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
}

/**
 * Measures tools/list in both modes. Rows: {mode, tools, upstreamTools, bytes, tokens, vsAll}; with
 * `groups: true`, one more row per group: what get_dynamic_tools(group) returns as text
 * (mode "get_dynamic_tools(<group>)"), i.e. what loading that group costs when the model needs it.
 */
export async function runTokenBench({ fixtureTools = 0, groups = false } = {}) {
  ensureBuilt();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-proxy-bench-tokens-'));
  try {
    const servers = benchServers(dir, { fixtureTools });
    const configFile = path.join(dir, 'mcp-proxy.json');
    writeFileSync(configFile, JSON.stringify({ mcpServers: servers }, null, 2));
    const rows = [];

    const all = await connect(configFile, 'all');
    let upstreamTools;
    try {
      const result = await all.listTools();
      upstreamTools = result.tools.length;
      rows.push({ mode: 'all', tools: upstreamTools, upstreamTools, ...measure(result) });
    } finally {
      await all.close();
    }

    const dynamic = await connect(configFile, 'dynamic');
    try {
      const result = await dynamic.listTools();
      const names =
        result.tools.find((t) => t.name === 'get_dynamic_tools')?.inputSchema?.properties?.group?.enum ?? [];
      const expected = Object.keys(servers);
      if (names.join() !== expected.join()) {
        throw new Error(`dynamic mode lists groups [${names}], expected [${expected}]: an upstream did not start`);
      }
      rows.push({ mode: 'dynamic', tools: result.tools.length, upstreamTools, ...measure(result) });
      if (groups) {
        for (const group of names) {
          const r = await dynamic.callTool({ name: 'get_dynamic_tools', arguments: { group } });
          const text = r.content.map((c) => c.text ?? '').join('');
          rows.push({
            mode: `get_dynamic_tools(${group})`,
            tools: JSON.parse(text).length,
            upstreamTools,
            ...measure(text),
          });
        }
      }
    } finally {
      await dynamic.close();
    }
    // Printed as is by scripts/bench.mjs (console.table): say how far each row is from "all".
    const base = rows[0].tokens;
    for (const r of rows) r.vsAll = r.mode === 'all' ? '' : `${Math.round((r.tokens / base - 1) * 1000) / 10}% tokens`;
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** 1 - dynamic/all, in percent (one decimal). */
export function reduction(rows, key = 'tokens') {
  const all = rows.find((r) => r.mode === 'all');
  const dyn = rows.find((r) => r.mode === 'dynamic');
  return Math.round((1 - dyn[key] / all[key]) * 1000) / 10;
}

function table(rows) {
  const cols = ['mode', 'tools', 'bytes', 'tokens', 'vsAll'];
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (vals) =>
    vals.map((v, i) => (i === 0 ? String(v).padEnd(width[i]) : String(v).padStart(width[i]))).join('  ');
  return [line(cols), line(width.map((w) => '-'.repeat(w))), ...rows.map((r) => line(cols.map((c) => r[c])))].join(
    '\n',
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const rows = await runTokenBench({ groups: true });
  const upstream = rows[0].upstreamTools;
  console.log(
    `tools/list size, ${upstream} upstream tools (server-everything, server-memory, server-filesystem, echo fixture)`,
  );
  console.log('tokens: gpt-tokenizer o200k_base\n');
  console.log(table(rows));
  const pct = reduction(rows);
  console.log(`\ndynamic vs all: ${pct}% fewer tokens, ${reduction(rows, 'bytes')}% fewer bytes (target: >= 90%)`);

  const big = await runTokenBench({ fixtureTools: 100 });
  console.log(`\nwith 100 extra fixture tools (${big[0].upstreamTools} upstream tools):\n`);
  console.log(table(big));
  console.log(`\ndynamic vs all: ${reduction(big)}% fewer tokens`);
  if (pct < 90) process.exitCode = 1;
}
