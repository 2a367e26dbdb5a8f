/**
 * Starts the BUILT proxy (dist/mcp-proxy.mjs) as a real child process and connects a real SDK
 * client to it over stdio: v1 (`@modelcontextprotocol/sdk`), v2 speaking 2025-11-25, or v2 pinned
 * to 2026-07-28.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client as V2Client } from '@modelcontextprotocol/client';
import { StdioClientTransport as V2Stdio } from '@modelcontextprotocol/client/stdio';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as V1Stdio } from '@modelcontextprotocol/sdk/client/stdio.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BUNDLE = path.join(ROOT, 'dist/mcp-proxy.mjs');
export const FIXTURES = path.join(ROOT, 'test/fixtures');
export const ECHO = path.join(FIXTURES, 'echo-server.mjs');
export const PAGED = path.join(FIXTURES, 'paged-server.mjs');
export const MEMORY = path.join(ROOT, 'node_modules/@modelcontextprotocol/server-memory/dist/index.js');
export const EVERYTHING = path.join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');

export type ClientKind = 'v1' | 'v2-2025' | 'v2-2026';
export const CLIENT_KINDS: ClientKind[] = ['v1', 'v2-2025', 'v2-2026'];

export function tmpDir(prefix = 'mcp-proxy-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function writeConfig(dir: string, config: unknown, name = 'mcp-proxy.json'): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

export interface ProxySession {
  client: any;
  kind: ClientKind;
  stderr(): string;
  pid(): number | null;
  close(): Promise<void>;
}

export interface StartOptions {
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
  capabilities?: Record<string, unknown>;
  /** Extra v2 ClientOptions (e.g. listChanged). */
  clientOptions?: Record<string, unknown>;
  /** Called with the client before connect, to register handlers (sampling, elicitation, roots). */
  setup?: (client: any) => void;
}

export async function connectProxy(
  kind: ClientKind,
  configFile: string | undefined,
  opts: StartOptions = {},
): Promise<ProxySession> {
  const args = [
    BUNDLE,
    'run',
    ...(configFile ? ['--config', configFile] : []),
    '--log-level',
    'debug',
    ...(opts.args ?? []),
  ];
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    MCP_PROXY_DEPLOYMENT: 'node',
    ...(opts.env ?? {}),
  };
  const params = { command: process.execPath, args, env, cwd: opts.cwd ?? ROOT, stderr: 'pipe' as const };
  let stderr = '';
  let client: any;
  let transport: any;
  if (kind === 'v1') {
    transport = new V1Stdio(params);
    client = new V1Client({ name: 'test-v1', version: '1.0.0' }, { capabilities: (opts.capabilities ?? {}) as any });
  } else {
    transport = new V2Stdio(params);
    client = new V2Client(
      { name: 'test-v2', version: '1.0.0' },
      {
        capabilities: (opts.capabilities ?? {}) as any,
        versionNegotiation: kind === 'v2-2026' ? { mode: { pin: '2026-07-28' } } : { mode: 'legacy' },
        ...(opts.clientOptions ?? {}),
      },
    );
  }
  transport.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  opts.setup?.(client);
  await client.connect(transport, { timeout: 60_000 } as any);
  return {
    client,
    kind,
    stderr: () => stderr,
    pid: () => transport.pid ?? null,
    close: async () => {
      await client.close().catch(() => {});
    },
  };
}

/** Every pid below `root` (children, grandchildren...), from /proc. */
export function descendantsOf(root: number): number[] {
  const parent = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      parent.set(Number(e), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {}
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length) {
    const p = stack.pop()!;
    for (const [pid, pp] of parent)
      if (pp === p) {
        out.push(pid);
        stack.push(pid);
      }
  }
  return out;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitFor<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

export function text(result: any): string {
  return (result?.content ?? []).map((c: any) => c.text ?? '').join('');
}
