/**
 * Once per test run, before any worker starts: prepare a Docker engine for the Docker tests
 * (install/start it when this machine allows, build the local base image) and hand the verdict to
 * the workers through the environment. Without an engine the Docker tests skip, loudly.
 */
import { prepareEngine } from './docker/engine.js';

export default function setup(): void {
  if (process.env.MCP_PROXY_DOCKER_ENGINE) return;
  const verdict = prepareEngine();
  process.env.MCP_PROXY_DOCKER_ENGINE = verdict;
  if (verdict !== 'ok') console.warn(`\n!!! Docker engine unavailable, Docker tests will be SKIPPED: ${verdict}\n`);
}
