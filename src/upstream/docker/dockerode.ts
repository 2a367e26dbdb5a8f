/**
 * The one implementation of the DockerClient port, over dockerode. This is the only file that
 * imports dockerode, and it does so lazily (`await import('dockerode')`) so commands that never
 * touch Docker do not pay for loading it.
 */
import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';
import { AppError, errorMessage } from '../../errors.js';
import type { AttachedStdio, ContainerDetails, ContainerSpec, ContainerSummary, DockerClient } from './client.js';

/** How long `ping` waits for an engine before calling it unreachable. */
const PING_TIMEOUT_MS = 5_000;

export interface DockerConnection {
  /** Human-readable endpoint, for messages. */
  endpoint: string;
  options: Dockerode.DockerOptions;
}

/**
 * Where to connect, from DOCKER_HOST (unix://, npipe://, tcp://, ssh://) and DOCKER_TLS_VERIFY /
 * DOCKER_CERT_PATH, the way the docker CLI reads them; the default socket otherwise. Reads the
 * given env (not process.env) so callers and tests decide.
 */
export function dockerConnection(
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
): DockerConnection {
  const host = env.DOCKER_HOST?.trim();
  const none = { host: undefined, port: undefined, protocol: undefined, socketPath: undefined };
  if (!host) {
    if (platform === 'win32') {
      return { endpoint: 'npipe:////./pipe/docker_engine', options: { ...none, socketPath: '//./pipe/docker_engine' } };
    }
    const userSocket = path.join(os.homedir(), '.docker', 'run', 'docker.sock');
    let socketPath = '/var/run/docker.sock';
    try {
      // Docker Desktop's per-user socket, preferred when it exists (as docker-modem does).
      if (statSync(userSocket).isSocket()) socketPath = userSocket;
    } catch {}
    return { endpoint: `unix://${socketPath}`, options: { ...none, socketPath } };
  }
  if (host.startsWith('unix://')) {
    const socketPath = host.slice('unix://'.length) || '/var/run/docker.sock';
    return { endpoint: `unix://${socketPath}`, options: { ...none, socketPath } };
  }
  if (host.startsWith('npipe://')) {
    const socketPath = host.slice('npipe://'.length) || '//./pipe/docker_engine';
    return { endpoint: host, options: { ...none, socketPath } };
  }
  let url: URL;
  try {
    url = new URL(host.includes('//') ? host : `tcp://${host}`);
  } catch {
    throw new AppError('DOCKER_UNAVAILABLE', `DOCKER_HOST is not a valid address: ${host}`, {
      hint: 'use unix:///var/run/docker.sock, tcp://HOST:2375, tcp://HOST:2376 (TLS); for a remote engine over ssh, forward its socket: ssh -NL /tmp/docker.sock:/var/run/docker.sock user@host, then DOCKER_HOST=unix:///tmp/docker.sock',
    });
  }
  if (url.protocol === 'ssh:') {
    return {
      endpoint: host,
      options: {
        ...none,
        host: url.hostname,
        port: url.port || 22,
        protocol: 'ssh',
        username: url.username || undefined,
        sshOptions: { agent: env.SSH_AUTH_SOCK },
      },
    };
  }
  const tls = env.DOCKER_TLS_VERIFY === '1' || url.port === '2376';
  const options: Dockerode.DockerOptions = {
    ...none,
    host: url.hostname,
    port: url.port || (tls ? 2376 : 2375),
    protocol: tls ? 'https' : 'http',
  };
  if (env.DOCKER_CERT_PATH) {
    try {
      options.ca = readFileSync(path.join(env.DOCKER_CERT_PATH, 'ca.pem'));
      options.cert = readFileSync(path.join(env.DOCKER_CERT_PATH, 'cert.pem'));
      options.key = readFileSync(path.join(env.DOCKER_CERT_PATH, 'key.pem'));
    } catch (e) {
      throw new AppError('DOCKER_UNAVAILABLE', `cannot read the TLS files in DOCKER_CERT_PATH: ${errorMessage(e)}`, {
        hint: 'DOCKER_CERT_PATH must hold ca.pem, cert.pem and key.pem',
      });
    }
  }
  return { endpoint: host, options };
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'EACCES',
  'EPERM',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'ETIMEDOUT',
]);

/** Turns a connection failure into the clear DOCKER_UNAVAILABLE error; anything else passes through. */
export function engineError(e: unknown, endpoint: string): unknown {
  const err = e as NodeJS.ErrnoException & { statusCode?: number };
  if (err instanceof AppError) return err;
  const code = err?.code;
  const timedOut = err?.message === 'ping timed out';
  if (!timedOut && (!code || !UNREACHABLE.has(code))) return e;
  const why = timedOut
    ? `no answer within ${PING_TIMEOUT_MS / 1000} s`
    : code === 'EACCES' || code === 'EPERM'
      ? 'permission denied on the socket'
      : code === 'ENOENT'
        ? 'the socket does not exist'
        : (err.message ?? code);
  const hint =
    code === 'EACCES' || code === 'EPERM'
      ? 'add your user to the "docker" group (then log in again), or run with access to the socket'
      : 'start Docker (Docker Desktop, or `sudo systemctl start docker`), or set DOCKER_HOST to a reachable engine ' +
        '(unix:///path/to/docker.sock, tcp://host:2375; ssh: forward the socket with ssh -NL)';
  return new AppError('DOCKER_UNAVAILABLE', `cannot reach a Docker engine at ${endpoint} (${why})`, {
    hint,
    cause: e,
  });
}

function isStatus(e: unknown, ...codes: number[]): boolean {
  const status = (e as { statusCode?: number })?.statusCode;
  return status !== undefined && codes.includes(status);
}

class DockerodeClient implements DockerClient {
  constructor(
    private readonly docker: Dockerode,
    readonly endpoint: string,
  ) {}

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw engineError(e, this.endpoint);
    }
  }

  async ping(): Promise<void> {
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abort.abort();
        reject(new Error('ping timed out'));
      }, PING_TIMEOUT_MS);
    });
    try {
      await this.call(() =>
        Promise.race([
          (this.docker.ping as (opts: { abortSignal: AbortSignal }) => Promise<unknown>)({ abortSignal: abort.signal }),
          timeout,
        ]),
      );
    } catch (e) {
      throw engineError(e, this.endpoint);
    } finally {
      clearTimeout(timer);
    }
  }

  async imageExists(image: string): Promise<boolean> {
    try {
      await this.call(() => this.docker.getImage(image).inspect());
      return true;
    } catch (e) {
      if (isStatus(e, 404)) return false;
      throw e;
    }
  }

  async pullImage(image: string): Promise<void> {
    const stream = await this.call(() => this.docker.pull(image));
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(stream, (err, output) => {
        if (err) return reject(err);
        // A failed pull can still end the stream normally, with the error as the last event.
        const failed = (output as Array<{ error?: string; errorDetail?: { message?: string } }> | undefined)?.find(
          (o) => o.error || o.errorDetail,
        );
        if (failed) return reject(new Error(failed.errorDetail?.message ?? failed.error));
        resolve();
      });
    });
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    const container = await this.call(() =>
      this.docker.createContainer({
        name: spec.name,
        Image: spec.image,
        Cmd: spec.cmd,
        Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
        Labels: spec.labels,
        Tty: false,
        OpenStdin: true,
        StdinOnce: true,
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        HostConfig: {
          Binds: spec.binds,
          NetworkMode: spec.networkMode,
          Memory: spec.memoryBytes,
          NanoCpus: spec.nanoCpus,
          // Removed explicitly on close: AutoRemove races with attach and with reading the exit code.
          AutoRemove: false,
          SecurityOpt: ['no-new-privileges'],
        },
      }),
    );
    return container.id;
  }

  async attachContainer(id: string): Promise<AttachedStdio> {
    const socket = (await this.call(() =>
      this.docker.getContainer(id).attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true }),
    )) as NodeJS.ReadWriteStream & { destroy?: () => void };
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    this.docker.modem.demuxStream(socket, stdout, stderr);
    const endBoth = () => {
      stdout.end();
      stderr.end();
    };
    socket.on('end', endBoth);
    socket.on('close', endBoth);
    socket.on('error', (e: Error) => {
      stdout.destroy(e);
      stderr.end();
    });
    return {
      stdin: socket as unknown as AttachedStdio['stdin'],
      stdout,
      stderr,
      destroy: () => socket.destroy?.(),
    };
  }

  async startContainer(id: string): Promise<void> {
    await this.call(() => this.docker.getContainer(id).start());
  }

  async waitContainer(id: string): Promise<number> {
    const result = (await this.call(() => this.docker.getContainer(id).wait())) as { StatusCode?: number };
    return result?.StatusCode ?? -1;
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    try {
      await this.call(() => this.docker.getContainer(id).stop({ t: timeoutSeconds }));
    } catch (e) {
      if (!isStatus(e, 304, 404)) throw e;
    }
  }

  async killContainer(id: string): Promise<void> {
    try {
      await this.call(() => this.docker.getContainer(id).kill());
    } catch (e) {
      if (!isStatus(e, 404, 409)) throw e;
    }
  }

  async removeContainer(id: string): Promise<void> {
    try {
      await this.call(() => this.docker.getContainer(id).remove({ force: true }));
    } catch (e) {
      // 409: removal already in progress.
      if (!isStatus(e, 404, 409)) throw e;
    }
  }

  async listContainers(labels: string[]): Promise<ContainerSummary[]> {
    const list = await this.call(() => this.docker.listContainers({ all: true, filters: { label: labels } }));
    return list.map((c) => ({
      id: c.Id,
      name: (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''),
      image: c.Image,
      labels: c.Labels ?? {},
      state: c.State,
      status: c.Status,
      created: c.Created,
    }));
  }

  async inspectContainer(id: string): Promise<ContainerDetails> {
    const info = await this.call(() => this.docker.getContainer(id).inspect());
    const state = info.State;
    return {
      id: info.Id,
      name: info.Name.replace(/^\//, ''),
      running: state.Running,
      status: state.Status,
      exitCode: state.Running ? null : state.ExitCode,
      startedAt: state.StartedAt && !state.StartedAt.startsWith('0001-') ? state.StartedAt : undefined,
      health: state.Health?.Status,
      labels: info.Config?.Labels ?? {},
    };
  }
}

/** Builds the dockerode-backed client for the engine named by `env` (DOCKER_HOST or the default socket). */
export async function createDockerodeClient(env: NodeJS.ProcessEnv): Promise<DockerClient> {
  const connection = dockerConnection(env);
  const { default: Docker } = await import('dockerode');
  return new DockerodeClient(new Docker(connection.options), connection.endpoint);
}
