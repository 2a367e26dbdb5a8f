/** The BUILT proxy serving Streamable HTTP on a free port, as a real child process. */
import { type ChildProcess, spawn } from 'node:child_process';
import { tmpDir } from './files.js';
import { BUNDLE, NODE } from './paths.js';

export interface HttpProxy {
  child: ChildProcess;
  /** The MCP endpoint, `http://127.0.0.1:PORT/mcp`. */
  url: string;
  /** The same without `/mcp`, for /health, /ready, /metrics, /sse. */
  base: string;
  /** Everything the proxy wrote to stderr so far. */
  stderr(): string;
  /** SIGTERM, and wait for the exit. */
  stop(): Promise<void>;
}

/** `run --transport http --port 0 ...args`; resolves once it logs where it listens, rejects if it exits first. */
export async function startHttpProxy(
  args: string[],
  opts: { env: NodeJS.ProcessEnv; cwd?: string },
): Promise<HttpProxy> {
  const child = spawn(NODE, [BUNDLE, 'run', '--transport', 'http', '--port', '0', ...args], {
    cwd: opts.cwd,
    // A catalog cache of its own: nothing from an earlier test is listed before its servers answer.
    env: { MCP_PROXY_CACHE_DIR: tmpDir('mcp-proxy-cache-'), ...opts.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (c: string) => {
      stderr += c;
      const m = /listening on (http:\/\/\S+\/mcp)/.exec(stderr);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`proxy exited ${code}: ${stderr}`)));
  });
  return {
    child,
    url,
    base: url.replace(/\/mcp$/, ''),
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
