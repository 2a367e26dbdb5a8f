/**
 * Runs the BUILT proxy (`node dist/mcp-proxy.mjs run`) as a real child process and talks to it with
 * real SDK clients (v2 or v1) over stdio, or over Streamable HTTP. Counts the proxy's process tree
 * so tests can prove nothing is left behind.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { OrderedDelivery } from '../../src/upstream/orderedDelivery.js';
import { descendants, isAlive } from '../../src/upstream/processTree.js';
import { ensureBuilt } from './build.js';
import { tmpDir } from './files.js';
import { BUNDLE, FIXTURES, NODE } from './paths.js';

/** A stdio upstream entry running one of our fixtures. */
export function fixture(file: string, env: Record<string, string> = {}, extra: Record<string, unknown> = {}) {
  return { command: NODE, args: [path.join(FIXTURES, file)], env, ...extra };
}

/** Fast settings so fault tests finish quickly. */
export const FAST_PROXY = {
  timeouts: { connect: 3000, request: 3000, shutdownGrace: 1000 },
  retry: { initialDelay: 50, maxDelay: 300, maxRestarts: 3, restartWindow: 30_000 },
  breaker: { failureThreshold: 3, halfOpenAfter: 500 },
};

type JsonMessage = Record<string, unknown>;

/**
 * A client Transport over a child's stdin/stdout (works for the v1 and the v2 Client). Delivers like the
 * proxy's own stdio transport: a result read in the same chunk as a progress notification before it
 * does not overtake it (the SDK client would drop that progress).
 */
class ChildTransport {
  onclose?: () => void;
  onerror?: (e: Error) => void;
  onmessage?: (m: JsonMessage) => void;
  private buf = '';
  private readonly delivery = new OrderedDelivery<JsonMessage>((m) => this.onmessage?.(m));
  constructor(private readonly child: ChildProcess) {}
  async start(): Promise<void> {
    this.child.stdout!.on('data', (chunk: Buffer) => {
      this.delivery.newChunk();
      this.buf += chunk.toString('utf8');
      let nl = this.buf.indexOf('\n');
      while (nl >= 0) {
        const line = this.buf.slice(0, nl).trim();
        this.buf = this.buf.slice(nl + 1);
        if (line) {
          let message: JsonMessage | undefined;
          try {
            message = JSON.parse(line);
          } catch (e) {
            this.onerror?.(new Error(`proxy wrote non-JSON to stdout: ${line} (${(e as Error).message})`));
          }
          if (message) this.delivery.deliver(message);
        }
        nl = this.buf.indexOf('\n');
      }
    });
    this.child.once('exit', () => this.onclose?.());
  }
  async send(message: JsonMessage): Promise<void> {
    if (!this.child.stdin!.writable) throw new Error('proxy stdin closed');
    this.child.stdin!.write(`${JSON.stringify(message)}\n`);
  }
  async close(): Promise<void> {
    this.child.stdin!.end();
  }
}

export interface RunningProxy {
  child: ChildProcess;
  pid: number;
  dir: string;
  configPath: string;
  /** Everything the proxy wrote to stderr so far. */
  stderr(): string;
  /** The v2 or v1 client connected to it. */
  client: Client;
  sdk: 'v1' | 'v2';
  /** tools/call through whichever client (v1 takes options third). */
  callTool(
    name: string,
    args?: Record<string, unknown>,
    timeout?: number,
  ): Promise<{ ok: boolean; text: string; isError?: boolean }>;
  url?: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits (bounded) until stderr matches. */
  waitForStderr(re: RegExp, ms?: number): Promise<string>;
  /** Every process below the proxy right now. */
  tree(): number[];
  writeConfig(config: unknown): void;
  /** Ends the proxy (stdin close or a signal), then checks no process of its tree is left. */
  stop(how?: 'stdin' | 'SIGTERM' | 'SIGINT' | 'SIGKILL'): Promise<{ code: number | null; leftovers: number[] }>;
}

export interface StartOptions {
  config: unknown;
  transport?: 'stdio' | 'http';
  /** HTTP port (default 0: any free port). */
  port?: number;
  sdk?: 'v2' | 'v1';
  args?: string[];
  env?: Record<string, string>;
  /** Files to write into the proxy's temp dir (relative path -> content) before it starts. */
  files?: Record<string, string>;
  /** Skip connecting a client (the test does it). */
  noClient?: boolean;
  /** Return as soon as the proxy serves, before its upstreams' first connect attempts end. */
  noWaitForUpstreams?: boolean;
}

const running = new Set<RunningProxy>();

export async function startProxy(opts: StartOptions): Promise<RunningProxy> {
  ensureBuilt();
  const dir = tmpDir('mcp-proxy-res-');
  const configPath = path.join(dir, 'config.json');
  const writeConfig = (c: unknown) => {
    // Write-then-rename, like editors do: the watcher never sees a half-written file.
    const tmp = `${configPath}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, typeof c === 'string' ? c : JSON.stringify(c, null, 2));
    fs.renameSync(tmp, configPath);
  };
  writeConfig(opts.config);
  for (const [rel, content] of Object.entries(opts.files ?? {})) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content, { mode: 0o600 });
  }
  const transport = opts.transport ?? 'stdio';
  const args = [BUNDLE, 'run', '--config', configPath];
  if (transport === 'http') args.push('--transport', 'http', '--port', String(opts.port ?? 0));
  args.push(...(opts.args ?? []));
  const child = spawn(NODE, args, {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      MCP_PROXY_LOG_FORMAT: 'json',
      MCP_PROXY_LOG_LEVEL: 'debug',
      ...opts.env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let err = '';
  const waiters: (() => void)[] = [];
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString('utf8');
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const waitForStderr = async (re: RegExp, ms = 15_000): Promise<string> => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const m = re.exec(err);
      if (m) return m[0];
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 100);
      });
    }
    throw new Error(`stderr never matched ${re} within ${ms} ms; stderr was:\n${err.slice(-4000)}`);
  };

  let url: string | undefined;
  let client: Client;
  if (transport === 'http') {
    const line = await waitForStderr(/listening on (http\S+)/);
    url = /listening on (http\S+)/.exec(line)![1];
  }
  const pid = child.pid!;
  const proxy: RunningProxy = {
    child,
    pid,
    dir,
    configPath,
    stderr: () => err,
    client: undefined as unknown as Client,
    sdk: opts.sdk ?? 'v2',
    callTool(name, args = {}, timeout = 20_000) {
      const c = proxy.client as unknown as { callTool: (...a: unknown[]) => Promise<unknown> };
      return outcome(
        proxy.sdk === 'v1'
          ? c.callTool({ name, arguments: args }, undefined, { timeout })
          : c.callTool({ name, arguments: args }, { timeout }),
      );
    },
    url,
    exited,
    waitForStderr,
    tree: () => descendants(pid),
    writeConfig,
    async stop(how = 'stdin') {
      const before = descendants(pid);
      if (child.exitCode === null && child.signalCode === null) {
        // A signal leaves the client connected (in-flight calls may still be answered).
        if (how === 'stdin') {
          await proxy.client?.close().catch(() => {});
          child.stdin!.end();
        } else child.kill(how);
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const { code } = await exited;
      clearTimeout(timer);
      running.delete(proxy);
      // Bounded wait for the tree to be gone (reparented grandchildren need a moment to be reaped).
      let leftovers = before.filter(isAlive);
      for (let i = 0; i < 40 && leftovers.length; i++) {
        await new Promise((r) => setTimeout(r, 50));
        leftovers = leftovers.filter(isAlive);
      }
      for (const p of leftovers) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {}
      }
      fs.rmSync(dir, { recursive: true, force: true });
      return { code, leftovers };
    },
  };
  running.add(proxy);
  if (!opts.noClient) {
    if (transport === 'http') {
      client = new Client({ name: 'resilience-test', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(url!)));
    } else if (opts.sdk === 'v1') {
      const v1 = new V1Client({ name: 'resilience-test-v1', version: '1.0.0' }, { capabilities: {} });
      await v1.connect(new ChildTransport(child) as never);
      client = v1 as unknown as Client;
    } else {
      client = new Client({ name: 'resilience-test', version: '1.0.0' }, { versionNegotiation: { mode: 'legacy' } });
      await client.connect(new ChildTransport(child) as never);
    }
    proxy.client = client;
  }
  // The proxy serves at once and connects its upstreams in the background: these tests start from a
  // proxy whose servers have all had their first attempt.
  if (!opts.noWaitForUpstreams) {
    await proxy.waitForStderr(/upstreams ready/);
    // list_changed sent while the servers came up is delivered before this answer (stdout is ordered).
    await proxy.client?.ping().catch(() => {});
  }
  return proxy;
}

/** Kills whatever a failed test left running. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop('SIGTERM').catch(() => {})));
}

/** The text of a tool result, or the error message of a rejected call. */
export async function outcome(p: Promise<unknown>): Promise<{ ok: boolean; text: string; isError?: boolean }> {
  try {
    const r = (await p) as { content?: { type: string; text?: string }[]; isError?: boolean };
    return { ok: true, text: (r.content ?? []).map((c) => c.text ?? '').join(''), isError: r.isError };
  } catch (e) {
    return { ok: false, text: (e as Error).message };
  }
}

/** The direct children of a pid whose command line contains `needle`. */
export function childrenMatching(pid: number, needle: string): number[] {
  return descendants(pid).filter((p) => {
    try {
      return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(needle);
    } catch {
      return false;
    }
  });
}

/** A stdio proxy's structured log lines (JSON, one per line). */
export function logLines(stderr: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line));
    } catch {}
  }
  return out;
}
