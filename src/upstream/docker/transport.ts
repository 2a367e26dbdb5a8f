/**
 * An MCP client Transport over a container's attached stdio: the `docker` upstream kind.
 *
 * start(): applies the pull policy, creates the container (labelled, stdin open), attaches
 * (stdout/stderr demultiplexed), starts it. Messages are newline-delimited JSON-RPC, read as the stdio
 * transport reads a child's stdout (wire()) and written with the SDK's serializeMessage.
 * close(): closes stdin (the server sees EOF, as a child process would), stops the container after a
 * short grace and removes it. onclose fires once, when close() finishes or when the container exits.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/client';
import { serializeMessage } from '@modelcontextprotocol/client';
import type { DockerUpstreamConfig } from '../../config/schema.js';
import { AppError, errorMessage } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { LineSplitter } from '../../protocol/lines.js';
import { sleep } from '../../util/async.js';
import { MAX_LINE_BYTES, overflowError, StdoutGarbageError, stdoutMessage } from '../stdoutErrors.js';
import { type AttachedStdio, type ContainerSpec, type DockerClient, LABELS } from './client.js';

export interface DockerTransportOptions {
  serverName: string;
  config: DockerUpstreamConfig;
  /** The container's environment, already resolved (credentials substituted). */
  env: Record<string, string>;
  docker: DockerClient;
  logger: Logger;
  /** Identifies this proxy run; written to the io.mcp-proxy.run label. */
  runId: string;
  /** Receives each stderr line of the container. Without it, lines are logged at debug level. */
  stderr?: (line: string) => void;
  /** Seconds between SIGTERM and SIGKILL when stopping (default 2). */
  stopTimeoutSeconds?: number;
  /** How long close() waits for the server to exit by itself after stdin EOF, ms (default 1000). */
  exitGraceMs?: number;
  /** Overridable for tests. */
  pid?: number;
  hostname?: string;
}

/** "256m", "1g", "512k", "1024" (bytes), "1.5g" -> bytes. */
export function parseMemory(value: string, where = 'memory'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)i?b?\s*$/i.exec(value);
  if (!m) {
    throw new AppError('CONFIG_INVALID', `${where}: "${value}" is not a memory size`, {
      hint: 'write a number of bytes or a number with a unit: "512k", "256m", "1g"',
    });
  }
  const unit = (m[2] ?? '').toLowerCase();
  const mult = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[unit] ?? 1;
  const bytes = Math.floor(Number(m[1]) * mult);
  if (bytes < 6 * 1024 * 1024) {
    throw new AppError('CONFIG_INVALID', `${where}: "${value}" is below Docker's minimum of 6m`, {
      hint: 'give the container at least "6m" (most MCP servers need 64m or more)',
    });
  }
  return bytes;
}

/** The container spec for one upstream (exported for tests and for `status`). */
export function containerSpec(opts: DockerTransportOptions): ContainerSpec {
  const { config, serverName } = opts;
  const where = `mcpServers.${serverName}`;
  const safe = serverName.toLowerCase().replace(/[^a-z0-9_.-]/g, '-');
  return {
    image: config.image,
    cmd: config.args && config.args.length > 0 ? config.args : undefined,
    env: opts.env,
    name: `mcp-proxy-${safe}-${randomBytes(3).toString('hex')}`,
    labels: {
      [LABELS.managed]: 'true',
      [LABELS.server]: serverName,
      [LABELS.run]: opts.runId,
      [LABELS.pid]: String(opts.pid ?? process.pid),
      [LABELS.host]: opts.hostname ?? os.hostname(),
    },
    binds: config.volumes,
    networkMode: config.network,
    memoryBytes: config.memory ? parseMemory(config.memory, `${where}.memory`) : undefined,
    nanoCpus: config.cpus ? Math.round(config.cpus * 1e9) : undefined,
  };
}

/** Applies the pull policy: `missing` (default) pulls only an absent image, `always` pulls, `never` requires it. */
export async function ensureImage(
  docker: DockerClient,
  serverName: string,
  image: string,
  policy: DockerUpstreamConfig['pull'] = 'missing',
  logger?: Logger,
): Promise<void> {
  const present = policy === 'always' ? false : await docker.imageExists(image);
  if (present) return;
  if (policy === 'never') {
    throw new AppError('UPSTREAM_FAILED', `image ${image} for "${serverName}" is not present and pull is "never"`, {
      hint: `build or pull it first (docker pull ${image}), or set mcpServers.${serverName}.pull to "missing"`,
    });
  }
  logger?.info({ server: serverName, image }, 'pulling image');
  try {
    await docker.pullImage(image);
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw new AppError('UPSTREAM_FAILED', `cannot pull image ${image} for "${serverName}": ${errorMessage(e)}`, {
      hint:
        'check the image name and tag, that the registry is reachable and that you are logged in (docker login); ' +
        `or build the image locally and set mcpServers.${serverName}.pull to "never"`,
      cause: e,
    });
  }
}

class DockerStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T) => void;

  private readonly lines = new LineSplitter();
  private io?: AttachedStdio;
  private id?: string;
  private state: 'new' | 'starting' | 'open' | 'closing' | 'closed' = 'new';
  private closePromise?: Promise<void>;
  private exitCode?: number;
  private exited?: Promise<void>;
  private readonly recentStderr: string[] = [];

  constructor(private readonly opts: DockerTransportOptions) {}

  /** The container's id once started (for status and tests). */
  get containerId(): string | undefined {
    return this.id;
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`docker transport for "${this.opts.serverName}" already started`);
    this.state = 'starting';
    const { docker, config, serverName, logger } = this.opts;
    const spec = containerSpec(this.opts);
    await ensureImage(docker, serverName, config.image, config.pull, logger);
    const id = await docker.createContainer(spec);
    this.id = id;
    try {
      this.io = await docker.attachContainer(id);
      this.wire(this.io);
      await docker.startContainer(id);
    } catch (e) {
      this.io?.destroy();
      await docker.removeContainer(id).catch(() => {});
      this.state = 'closed';
      throw e instanceof AppError
        ? e
        : new AppError(
            'UPSTREAM_FAILED',
            `cannot start container ${spec.name} for "${serverName}": ${errorMessage(e)}`,
            {
              cause: e,
            },
          );
    }
    logger.debug({ server: serverName, container: spec.name, image: config.image }, 'container started');
    this.exited = docker.waitContainer(id).then(
      (code) => {
        this.exitCode = code;
      },
      (e) => {
        this.exitCode = -1;
        logger.debug({ server: serverName, err: errorMessage(e) }, 'waiting for the container failed');
      },
    );
    void this.exited.then(() => this.onExit());
    // close() may have been called while we were starting.
    if (this.state === 'starting') this.state = 'open';
  }

  private readonly onLine = (bytes: Buffer | Buffer[]): void => {
    const message = stdoutMessage(bytes);
    if (message instanceof StdoutGarbageError) this.onerror?.(message);
    else if (message) this.onmessage?.(message);
  };

  private wire(io: AttachedStdio): void {
    // Read as the stdio transport reads a child's stdout: a line that is not JSON-RPC is reported (the
    // connection warns once) and skipped, a byte-order mark before a line is no part of it, and a line
    // over the limit drops the connection.
    io.stdout.on('data', (chunk: Buffer) => {
      const size = this.lines.overflows(chunk, MAX_LINE_BYTES);
      if (size !== undefined) {
        this.onerror?.(overflowError(size));
        void this.close();
        return;
      }
      this.lines.push(chunk, this.onLine, this.onLine);
    });
    io.stdout.on('error', (e: Error) => {
      if (this.state === 'open' || this.state === 'starting') this.onerror?.(e);
    });
    io.stdin.on('error', (e: Error) => {
      if (this.state === 'open') this.onerror?.(e);
    });
    let pending = '';
    io.stderr.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      let nl = pending.indexOf('\n');
      while (nl >= 0) {
        this.stderrLine(pending.slice(0, nl).replace(/\r$/, ''));
        pending = pending.slice(nl + 1);
        nl = pending.indexOf('\n');
      }
    });
    io.stderr.on('end', () => {
      if (pending) this.stderrLine(pending);
      pending = '';
    });
  }

  private stderrLine(line: string): void {
    if (!line) return;
    this.recentStderr.push(line);
    if (this.recentStderr.length > 20) this.recentStderr.shift();
    if (this.opts.stderr) this.opts.stderr(line);
    else this.opts.logger.debug({ server: this.opts.serverName, stderr: line }, 'upstream stderr');
  }

  async send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.io?.stdin;
    if (!stdin || this.state !== 'open') {
      throw new Error(`docker transport for "${this.opts.serverName}" is not open`);
    }
    const ok = stdin.write(serializeMessage(message));
    if (!ok) await new Promise<void>((resolve) => stdin.once('drain', resolve));
  }

  /** The container exited by itself (or was removed from outside). */
  private onExit(): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    const tail = this.recentStderr.slice(-5);
    const err = new Error(
      `container for "${this.opts.serverName}" exited with code ${this.exitCode}` +
        (tail.length ? `; last stderr: ${tail.join(' | ')}` : ''),
    );
    this.opts.logger.warn({ server: this.opts.serverName, exitCode: this.exitCode }, 'upstream container exited');
    this.onerror?.(err);
    void this.close();
  }

  async close(): Promise<void> {
    if (this.closePromise) return this.closePromise;
    this.closePromise = this.shutdown();
    return this.closePromise;
  }

  private async shutdown(): Promise<void> {
    this.state = 'closing';
    const { docker, logger, serverName } = this.opts;
    const id = this.id;
    if (id) {
      try {
        // stdin EOF lets a well-behaved stdio server exit by itself, like a child process would.
        this.io?.stdin.end();
        if (this.exitCode === undefined && this.exited) {
          await Promise.race([this.exited, sleep(this.opts.exitGraceMs ?? 1_000, { unref: true })]);
        }
        if (this.exitCode === undefined) await docker.stopContainer(id, this.opts.stopTimeoutSeconds ?? 2);
      } catch (e) {
        logger.debug({ server: serverName, err: errorMessage(e) }, 'stopping the container failed');
      }
      this.io?.destroy();
      try {
        await docker.removeContainer(id);
      } catch (e) {
        logger.warn(
          { server: serverName, container: id.slice(0, 12), err: errorMessage(e) },
          'removing the container failed',
        );
      }
    }
    this.lines.clear();
    this.state = 'closed';
    this.onclose?.();
  }
}

/** Creates the Transport for a `docker` upstream. Nothing touches the engine until start(). */
export function createDockerTransport(opts: DockerTransportOptions): Transport & { readonly containerId?: string } {
  return new DockerStdioTransport(opts);
}
