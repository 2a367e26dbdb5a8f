/**
 * Docker upstreams: the narrow port (client.ts), its dockerode implementation (dockerode.ts, loaded
 * lazily), the stdio-over-attach Transport, stale-container cleanup and status rows.
 */
import type { DockerClient } from './client.js';

export type {
  AttachedStdio,
  ContainerDetails,
  ContainerSpec,
  ContainerSummary,
  DockerClient,
  DockerClientFactory,
} from './client.js';
export { LABELS } from './client.js';
export { processAlive, removeStaleContainers, type StaleOptions } from './stale.js';
export {
  type DockerStatusResult,
  type DockerStatusRow,
  dockerStatus,
  formatDockerStatus,
  formatUptime,
  tryDockerStatus,
} from './status.js';
export {
  containerSpec,
  createDockerTransport,
  type DockerTransportOptions,
  ensureImage,
  parseMemory,
} from './transport.js';

/**
 * The Docker client for the engine `env` names (DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH) or
 * the default socket. Loads dockerode on first use. Does not contact the engine: call ping().
 */
export async function createDockerClient(env: NodeJS.ProcessEnv): Promise<DockerClient> {
  const { createDockerodeClient } = await import('./dockerode.js');
  return createDockerodeClient(env);
}
