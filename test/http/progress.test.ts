/**
 * No progress notification is dropped: the BUILT proxy in front of a real stdio upstream whose tool reports
 * many progress steps, several calls at once, over a 2025 HTTP session and over stdio. Counted with raw
 * clients (SSE frames on the POST stream, JSON lines on stdout), so the SDK client's own dispatch order is
 * not what is measured.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BUNDLE, ECHO, tmpDir, writeConfig } from '../helpers/proxy.js';
import { INIT_BODY, MCP_HEADERS } from './helpers.js';

const STEPS = 100;
const CALLS = 12;
const children: ChildProcess[] = [];
let config = '';

beforeAll(() => {
  const dir = tmpDir('mcp-proxy-progress-');
  config = writeConfig(dir, { mcpServers: { echo: { command: process.execPath, args: [ECHO] } } });
});

afterAll(async () => {
  await Promise.all(
    children.map(async (c) => {
      if (c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await exited;
    }),
  );
});

function startProxy(args: string[], stdio: 'pipe' | 'ignore'): ChildProcess {
  const child = spawn(process.execPath, [BUNDLE, 'run', '--config', config, '--no-watch', ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: tmpDir('mcp-proxy-progress-home-') },
    stdio: [stdio, stdio, 'pipe'],
  });
  children.push(child);
  return child;
}

const slowCall = (id: number) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name: 'echo__slow', arguments: { ms: 0, steps: STEPS }, _meta: { progressToken: `p${id}` } },
});

/** Progress notifications per token in a body of SSE frames (or one JSON body). */
function countProgress(text: string, into: Map<string, number>): void {
  for (const line of text.split('\n')) {
    const data = line.startsWith('data: ') ? line.slice(6) : line;
    if (!data.startsWith('{')) continue;
    const m = JSON.parse(data) as { method?: string; params?: { progressToken?: string } };
    if (m.method !== 'notifications/progress') continue;
    const token = String(m.params?.progressToken);
    into.set(token, (into.get(token) ?? 0) + 1);
  }
}

describe('progress notifications all reach the wire', () => {
  test(`HTTP, 2025 session: ${CALLS} concurrent calls of ${STEPS} steps each`, async () => {
    const child = startProxy(['--transport', 'http', '--port', '0'], 'ignore');
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr!.on('data', (c: string) => {
        stderr += c;
        const m = /listening on (http:\/\/\S+\/mcp)/.exec(stderr);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`proxy exited ${code}: ${stderr}`)));
    });
    const init = await fetch(url, { method: 'POST', headers: MCP_HEADERS, body: JSON.stringify(INIT_BODY) });
    const sid = init.headers.get('mcp-session-id')!;
    await init.text();
    const headers = { ...MCP_HEADERS, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' };
    const post = (body: unknown) => fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
    await (await post({ jsonrpc: '2.0', method: 'notifications/initialized' })).text();
    // The upstream connects in the background: wait until its tools are listed.
    for (let i = 0; i < 100; i++) {
      const list = await (await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' })).text();
      if (list.includes('echo__slow')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const counts = new Map<string, number>();
    const bodies = await Promise.all(
      Array.from({ length: CALLS }, async (_, k) => (await post(slowCall(100 + k))).text()),
    );
    for (const b of bodies) {
      expect(b).toContain('slept 0');
      countProgress(b, counts);
    }
    expect([...counts.values()]).toEqual(Array(CALLS).fill(STEPS));
  }, 60_000);

  test(`stdio: ${CALLS} concurrent calls of ${STEPS} steps each`, async () => {
    const child = startProxy([], 'pipe');
    const counts = new Map<string, number>();
    const answered = new Map<number, (v: unknown) => void>();
    let buf = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (c: string) => {
      buf += c;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        countProgress(line, counts);
        const m = JSON.parse(line) as { id?: number };
        if (typeof m.id === 'number') answered.get(m.id)?.(m);
      }
    });
    const call = (body: { id: number }) =>
      new Promise<unknown>((resolve) => {
        answered.set(body.id, resolve);
        child.stdin!.write(`${JSON.stringify(body)}\n`);
      });
    await call(INIT_BODY);
    child.stdin!.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
    for (let i = 0; i < 100; i++) {
      const list = JSON.stringify(await call({ jsonrpc: '2.0', id: 2 + i, method: 'tools/list' } as never));
      if (list.includes('echo__slow')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const results = await Promise.all(Array.from({ length: CALLS }, (_, k) => call(slowCall(1000 + k))));
    for (const r of results) expect(JSON.stringify(r)).toContain('slept 0');
    expect([...counts.values()]).toEqual(Array(CALLS).fill(STEPS));
  }, 60_000);
});
