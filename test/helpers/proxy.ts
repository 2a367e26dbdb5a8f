/**
 * Starts the BUILT proxy (dist/mcp-proxy.mjs) as a real child process and connects a real SDK
 * client to it over stdio: v1 (`@modelcontextprotocol/sdk`), v2 speaking 2025-11-25, or v2 pinned
 * to 2026-07-28.
 */
import { Client as V2Client } from '@modelcontextprotocol/client';
import { StdioClientTransport as V2Stdio } from '@modelcontextprotocol/client/stdio';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as V1Stdio } from '@modelcontextprotocol/sdk/client/stdio.js';

import { tmpDir } from './files.js';
import { BUNDLE, ROOT } from './paths.js';

// Re-exported for the tests that take them from here with the client.
export { tmpDir, writeConfig } from './files.js';
export { BUNDLE, ECHO, FIXTURES } from './paths.js';
export { waitFor } from './wait.js';

export type ClientKind = 'v1' | 'v2-2025' | 'v2-2026';
export const CLIENT_KINDS: ClientKind[] = ['v1', 'v2-2025', 'v2-2026'];

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
    // A catalog cache of its own: nothing from an earlier test is listed before its servers answer.
    MCP_PROXY_CACHE_DIR: tmpDir('mcp-proxy-cache-'),
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

export function text(result: any): string {
  return (result?.content ?? []).map((c: any) => c.text ?? '').join('');
}
