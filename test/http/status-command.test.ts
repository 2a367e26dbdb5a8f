/**
 * `mcp-proxy status`: --url against a real frontend on port 0, and --config against real stdio upstreams.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { readyUrl } from '../../src/cli/commands/statusRun.js';
import type { CliContext } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/createCli.js';
import type { UpstreamStatus } from '../../src/frontends/http/app.js';
import type { HttpFrontend } from '../../src/frontends/http/start.js';
import { Redactor } from '../../src/observability/redact.js';
import { READY_UPSTREAMS, startTestFrontend } from './helpers.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const TOKEN = 'status-test-token-abcdef0123';

function makeCtx(env: NodeJS.ProcessEnv = {}, cwd = os.tmpdir()) {
  const out = { stdout: '', stderr: '' };
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (c) => {
    out.stdout += c;
  });
  stderr.on('data', (c) => {
    out.stderr += c;
  });
  const ctx: CliContext = {
    env: { PATH: process.env.PATH, HOME: os.tmpdir(), ...env },
    cwd,
    homedir: os.tmpdir(),
    platform: process.platform,
    stdout,
    stderr,
    stdin: new PassThrough(),
    entry: '',
    execPath: process.execPath,
    deployment: { kind: 'node', evidence: 'test' } as CliContext['deployment'],
    redactor: new Redactor(),
  };
  return { ctx, out };
}

async function status(argv: string[], env?: NodeJS.ProcessEnv, cwd?: string) {
  const { ctx, out } = makeCtx(env, cwd);
  try {
    const code = await runCli(['status', ...argv], ctx, COMMANDS);
    return { code, ...out, error: undefined as any };
  } catch (e) {
    return { code: (e as { exitCode?: number }).exitCode ?? 1, ...out, error: e as any };
  }
}

let upstreams: UpstreamStatus[] = READY_UPSTREAMS;
let ready = true;
let fe: HttpFrontend;
beforeAll(async () => {
  fe = await startTestFrontend({ auth: { tokens: [TOKEN] }, status: () => ({ ready, upstreams }) });
});
afterAll(async () => {
  await fe?.close();
});

describe('status --url', () => {
  test('readyUrl accepts the base URL, the /mcp URL or a bare host:port', () => {
    expect(readyUrl('http://127.0.0.1:8765')).toBe('http://127.0.0.1:8765/ready');
    expect(readyUrl('http://127.0.0.1:8765/mcp')).toBe('http://127.0.0.1:8765/ready');
    expect(readyUrl('127.0.0.1:8765')).toBe('http://127.0.0.1:8765/ready');
    expect(readyUrl('https://gw.example.com/proxy/mcp/')).toBe('https://gw.example.com/proxy/ready');
  });

  test('prints a table and exits 0 when every upstream is ready (token from MCP_PROXY_TOKEN)', async () => {
    ready = true;
    upstreams = READY_UPSTREAMS;
    const r = await status(['--url', fe.url], { MCP_PROXY_TOKEN: TOKEN });
    expect(r.error).toBeUndefined();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/SERVER\s+TRANSPORT\s+STATE\s+TOOLS\s+PROMPTS\s+RESOURCES\s+LATENCY\s+RESTARTS\s+ERROR/);
    expect(r.stdout).toMatch(/alpha\s+stdio\s+ready\s+4\s+1\s+1\s+3 ms\s+0/);
    expect(r.stdout).toContain('1/1 upstreams ok');
    expect(r.stdout).toContain('deployment: node');
  });

  test('--json reports each upstream and exits 4 when one is down', async () => {
    upstreams = [
      ...READY_UPSTREAMS,
      {
        name: 'beta',
        type: 'http',
        state: 'failed',
        tools: 0,
        prompts: 0,
        resources: 0,
        lastError: 'connect ECONNREFUSED 127.0.0.1:9',
      },
    ];
    const r = await status(['--url', fe.baseUrl, '--token', TOKEN, '--json']);
    expect(r.code).toBe(4);
    const report = JSON.parse(r.stdout);
    expect(report.source).toBe('proxy');
    expect(report.deployment).toBe('node');
    expect(report.upstreams.map((u: { name: string; state: string }) => `${u.name}:${u.state}`)).toEqual([
      'alpha:ready',
      'beta:failed',
    ]);
    expect(report.upstreams[1].lastError).toContain('ECONNREFUSED');
  });

  test('a proxy still starting (503) exits 4', async () => {
    ready = false;
    upstreams = READY_UPSTREAMS;
    const r = await status(['--url', fe.url, '--token', TOKEN]);
    ready = true;
    expect(r.code).toBe(4);
    expect(r.stdout).toContain('starting');
  });

  test('no token or a wrong one: a clear error, exit 3, the token not printed', async () => {
    const none = await status(['--url', fe.url]);
    expect(none.code).toBe(3);
    expect(none.error.message).toContain('requires a token');
    const wrong = await status(['--url', fe.url, '--token', 'wrong-token-value-123']);
    expect(wrong.code).toBe(3);
    expect(wrong.error.message).toContain('refused the token');
    expect(wrong.error.message).not.toContain('wrong-token-value-123');
  });

  test('an unreachable proxy: a clear error naming the URL, exit 4', async () => {
    const closed = await startTestFrontend();
    const url = closed.url;
    await closed.close();
    const r = await status(['--url', url]);
    expect(r.code).toBe(4);
    expect(r.error.message).toContain('cannot reach the proxy');
    expect(r.error.message).toContain(url.replace('/mcp', '/ready'));
  });
});

describe('status --config', () => {
  test('connects to each upstream itself: ready ones counted, a broken one reported with exit 4', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'status-config-'));
    try {
      const file = path.join(dir, 'mcp-proxy.json');
      fs.writeFileSync(
        file,
        JSON.stringify({
          mcpServers: {
            good: { command: process.execPath, args: [path.join(REPO, 'test/fixtures/conformance-upstream.mjs')] },
            broken: { command: process.execPath, args: ['-e', 'process.exit(3)'] },
          },
        }),
      );
      const r = await status(['--config', file, '--json'], {}, dir);
      expect(r.error).toBeUndefined();
      expect(r.code).toBe(4);
      const report = JSON.parse(r.stdout);
      expect(report.source).toBe('config');
      const byName = Object.fromEntries(report.upstreams.map((u: { name: string }) => [u.name, u]));
      expect(byName.good).toMatchObject({ state: 'ready', type: 'stdio', tools: 14, prompts: 4 });
      expect(byName.broken.state).toBe('failed');
      expect(byName.broken.lastError).toBeTruthy();

      fs.writeFileSync(
        file,
        JSON.stringify({
          mcpServers: {
            good: { command: process.execPath, args: [path.join(REPO, 'test/fixtures/conformance-upstream.mjs')] },
          },
        }),
      );
      const ok = await status(['--config', file], {}, dir);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(/good\s+stdio\s+ready\s+14\s+4/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
