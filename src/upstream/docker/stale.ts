/**
 * Removes upstream containers left behind by an earlier proxy run that crashed (or was killed)
 * before it could remove them. A container is stale when it carries our labels, was started from
 * this host, and the proxy process named by its pid label is gone (or that pid is now ours, in a
 * different run: a proxy that is PID 1 in its own container gets the same pid after a restart).
 */
import os from 'node:os';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { type DockerClient, LABELS } from './client.js';

export interface StaleOptions {
  /** This run's id; containers of this run are never stale. */
  runId?: string;
  pid?: number;
  hostname?: string;
  /** Overridable for tests. */
  isAlive?: (pid: number) => boolean;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Returns the names of the containers it removed. Engine errors are logged, never thrown. */
export async function removeStaleContainers(
  docker: DockerClient,
  logger: Logger,
  options: StaleOptions = {},
): Promise<string[]> {
  const hostname = options.hostname ?? os.hostname();
  const ownPid = options.pid ?? process.pid;
  const isAlive = options.isAlive ?? processAlive;
  let containers: Awaited<ReturnType<DockerClient['listContainers']>>;
  try {
    containers = await docker.listContainers([`${LABELS.managed}=true`]);
  } catch (e) {
    logger.debug({ err: errorMessage(e) }, 'cannot list containers for stale cleanup');
    return [];
  }
  const removed: string[] = [];
  for (const c of containers) {
    const labels = c.labels;
    if (labels[LABELS.host] !== undefined && labels[LABELS.host] !== hostname) continue;
    if (options.runId && labels[LABELS.run] === options.runId) continue;
    const pid = Number(labels[LABELS.pid]);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    // Our own pid in another run: the earlier holder of this pid (a proxy that was PID 1 in its own
    // container, restarted) is gone. Without a runId we cannot tell, so such containers are kept.
    const stale = pid === ownPid ? options.runId !== undefined && labels[LABELS.run] !== options.runId : !isAlive(pid);
    if (!stale) continue;
    try {
      await docker.removeContainer(c.id);
      removed.push(c.name);
      logger.info(
        { container: c.name, server: labels[LABELS.server], pid },
        'removed a container left by an earlier proxy run',
      );
    } catch (e) {
      logger.warn({ container: c.name, err: errorMessage(e) }, 'cannot remove a stale container');
    }
  }
  return removed;
}
