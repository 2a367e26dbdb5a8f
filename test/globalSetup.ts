/**
 * Once per test run, before any worker starts: decide whether the Docker tests run (explicit opt-in
 * only, see test/helpers/docker.ts) and hand the verdict to the workers through the environment.
 */
import { prepareEngine } from './helpers/docker.js';

export default function setup(): void {
  if (process.env.MCP_PROXY_DOCKER_ENGINE) return;
  const verdict = prepareEngine();
  process.env.MCP_PROXY_DOCKER_ENGINE = verdict;
  if (verdict !== 'ok') console.warn(`\n!!! Docker tests SKIPPED: ${verdict}\n`);
}
