/**
 * The narrow Docker port: only the engine calls the proxy makes. The one implementation over
 * dockerode lives in ./dockerode.ts (imported lazily: dockerode is heavy); tests and the rest of the
 * code depend on this interface only.
 */
import type { Readable, Writable } from 'node:stream';

/** Labels every container the proxy starts carries, so they can be found (status, stale cleanup). */
export const LABELS = {
  managed: 'io.mcp-proxy.managed',
  server: 'io.mcp-proxy.server',
  run: 'io.mcp-proxy.run',
  pid: 'io.mcp-proxy.pid',
  host: 'io.mcp-proxy.host',
  /** Set on the proxy's own image (docker/Dockerfile), so `status` can list proxy containers. */
  role: 'io.mcp-proxy.role',
} as const;

export interface ContainerSpec {
  image: string;
  /** Command arguments (the image's CMD is replaced when given). */
  cmd?: string[];
  env: Record<string, string>;
  labels: Record<string, string>;
  name?: string;
  /** Bind mounts, "host:container[:ro]". */
  binds?: string[];
  networkMode?: string;
  memoryBytes?: number;
  nanoCpus?: number;
}

/** The container's stdio after attach: stdout and stderr are already demultiplexed. */
export interface AttachedStdio {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  /** Ends the attach connection. */
  destroy(): void;
}

export interface ContainerSummary {
  id: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  /** created | running | exited | ... */
  state: string;
  /** Docker's human status, e.g. "Up 5 minutes (healthy)". */
  status: string;
  /** Unix seconds. */
  created: number;
}

export interface ContainerDetails {
  id: string;
  name: string;
  running: boolean;
  status: string;
  exitCode: number | null;
  startedAt?: string;
  /** healthy | unhealthy | starting, or undefined when the image has no health check. */
  health?: string;
  labels: Record<string, string>;
}

/** Creates (or hands out the one shared) client on first use, so a config without Docker never loads dockerode. */
export type DockerClientFactory = () => Promise<DockerClient>;

export interface DockerClient {
  /** Where this client connects, for messages ("unix:///var/run/docker.sock", "tcp://host:2375"). */
  readonly endpoint: string;
  ping(): Promise<void>;
  imageExists(image: string): Promise<boolean>;
  /** Pulls an image, resolving when the pull has finished (rejecting when it failed). */
  pullImage(image: string): Promise<void>;
  createContainer(spec: ContainerSpec): Promise<string>;
  attachContainer(id: string): Promise<AttachedStdio>;
  startContainer(id: string): Promise<void>;
  /** Resolves with the exit code once the container is not running. */
  waitContainer(id: string): Promise<number>;
  /** SIGTERM, then SIGKILL after `timeoutSeconds`. Already stopped is not an error. */
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  killContainer(id: string): Promise<void>;
  /** Removes (forcefully); an already removed container is not an error. */
  removeContainer(id: string): Promise<void>;
  /** Containers (running or not) carrying every label given ("key" or "key=value"). */
  listContainers(labels: string[]): Promise<ContainerSummary[]>;
  inspectContainer(id: string): Promise<ContainerDetails>;
}
