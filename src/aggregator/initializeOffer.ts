/**
 * A stdio session's `initialize` answered before the upstream pool exists (frontends/earlyStdio.ts):
 * exactly what a session Server made at that moment answers (server.ts), where no server's offer is
 * known yet. Cheap to load on purpose: no SDK, no schemas, only what the early phase has at hand.
 */
import type { ServerCapabilities } from '@modelcontextprotocol/server';
import type { UpstreamConfig } from '../config/schema.js';
import type { CachedServer } from '../upstream/catalogCache.js';
import { VERSION } from '../version.js';
import { mergedCapabilities, mergedInstructions, type Offering } from './capabilities.js';

/** The proxy's name in serverInfo unless proxy.name says otherwise. */
export const DEFAULT_SERVER_NAME = 'mcp-proxy-server';

/**
 * The versions the SDK's Server agrees to in `initialize`, newest first: a requested one is kept, any
 * other gets the newest (a test pins this list to the SDK's own answers).
 */
export const INITIALIZE_VERSIONS: readonly string[] = [
  '2025-11-25',
  '2025-06-18',
  '2025-03-26',
  '2024-11-05',
  '2024-10-07',
];

/** What a session is told of the proxy's offer: fixed for its lifetime once told. */
export interface InitializeOffer {
  capabilities: ServerCapabilities;
  instructions?: string;
}

export interface InitializeResult extends InitializeOffer {
  protocolVersion: string;
  serverInfo: { name: string; version: string };
}

/**
 * The offer while every server is still starting: the pool's connections are all `connecting` then (or
 * `disabled`), and each one's catalog cache entry is what is known of it (`known`, read as the pool does).
 */
export function offerBeforeStart(
  servers: Record<string, UpstreamConfig>,
  known: (name: string, config: UpstreamConfig) => CachedServer | undefined,
): InitializeOffer {
  const starting: Offering[] = Object.entries(servers).map(([name, config]) => ({
    name,
    config,
    state: config.disabled ? 'disabled' : 'connecting',
    capabilities: undefined,
    instructions: undefined,
  }));
  const capabilities = mergedCapabilities(starting);
  const instructions = mergedInstructions(starting, (c) => (c.config.disabled ? undefined : known(c.name, c.config)));
  return instructions === undefined ? { capabilities } : { capabilities, instructions };
}

/** The result the SDK's Server gives `initialize` with `requested` as the client's protocolVersion. */
export function initializeResult(
  offer: InitializeOffer,
  name: string | undefined,
  requested: string,
): InitializeResult {
  return {
    protocolVersion: INITIALIZE_VERSIONS.includes(requested) ? requested : INITIALIZE_VERSIONS[0],
    capabilities: offer.capabilities,
    serverInfo: { name: name ?? DEFAULT_SERVER_NAME, version: VERSION },
    ...(offer.instructions ? { instructions: offer.instructions } : {}),
  };
}
