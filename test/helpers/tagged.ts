/** The tagged fixture (test/fixtures/tagged-server.mjs) serving Streamable HTTP, as a real child process. */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
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
