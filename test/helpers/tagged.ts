/** The tagged fixture (test/fixtures/tagged-server.mjs) serving Streamable HTTP, as a real child process. */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { tmpDir, writeConfig } from './files.js';
import { type HttpProxy, startHttpProxy } from './httpProxy.js';
import { FIXTURES, NODE } from './paths.js';

export const TAGGED = path.join(FIXTURES, 'tagged-server.mjs');

export interface TaggedUpstream {
  child: ChildProcess;
  /** Its MCP endpoint, `http://127.0.0.1:PORT/mcp`. */
  url: string;
  stop(): Promise<void>;
}

/** Starts `tagged-server.mjs --http`; resolves once it says its port, rejects if it exits first. */
export async function startTaggedUpstream(): Promise<TaggedUpstream> {
  const child = spawn(NODE, [TAGGED, '--http'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (c: string) => {
      out += c;
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`tagged server exited ${code}: ${out}`)));
  });
  return {
    child,
    url: `http://127.0.0.1:${port}/mcp`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The built proxy over HTTP in front of a tagged HTTP upstream and whatever else `servers` adds. */
export interface TaggedSetup {
  proxy: HttpProxy;
  upstream: TaggedUpstream;
  stop(): Promise<void>;
}

/**
 * Starts the tagged upstream over HTTP, then the proxy with the servers `servers` names (given that
 * upstream's URL, and the stdio form of the tagged server to spread into stdio entries).
 */
export async function startTaggedProxy(
  name: string,
  servers: (webUrl: string, stdio: { command: string; args: string[] }) => Record<string, unknown>,
): Promise<TaggedSetup> {
  const upstream = await startTaggedUpstream();
  const dir = tmpDir(`mcp-proxy-${name}-`);
  const cfg = writeConfig(dir, { mcpServers: servers(upstream.url, { command: NODE, args: [TAGGED] }) });
  const proxy = await startHttpProxy(['--config', cfg, '--no-watch'], {
    env: { PATH: process.env.PATH ?? '', HOME: dir },
  });
  return {
    proxy,
    upstream,
    async stop() {
      await proxy.stop();
      await upstream.stop();
    },
  };
}

/** The client kinds the property tests mix: v1 and v2 Streamable HTTP, legacy SSE, 2026-07-28 stateless. */
export type Kind = 'v2-http' | 'v1-http' | 'v2-sse' | 'v2-2026';

/** A v2 client's transport to the proxy at `url` (its /mcp endpoint) for `kind`: legacy SSE at /sse. */
export function v2Transport(kind: Kind, url: string): SSEClientTransport | StreamableHTTPClientTransport {
  return kind === 'v2-sse'
    ? new SSEClientTransport(new URL(url.replace(/\/mcp$/, '/sse')))
    : new StreamableHTTPClientTransport(new URL(url));
}

/** A v2 client's options for `kind`: the 2026-07-28 kind pins that revision. */
export function v2Era(kind: Kind): { versionNegotiation?: { mode: { pin: '2026-07-28' } } } {
  return kind === 'v2-2026' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {};
}
