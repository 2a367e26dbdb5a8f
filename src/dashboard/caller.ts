/**
 * The dashboard acts for its caller as an MCP client of the proxy itself: each API request gets a
 * session of the aggregator opened with the caller's identity, over an in-memory pair. So a listing
 * shows only what the caller's policy allows, a call is refused exactly as over /mcp, and the audit
 * log records it under the caller's identity, with no second code path to keep in step.
 */
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import type { Server } from '@modelcontextprotocol/server';
import type { Identity } from '../gateway/identity.js';
import { VERSION } from '../version.js';

/** The aggregator's session Server for `identity` (Aggregator.createServer). */
export type ServerFor = (identity: Identity) => Server;

export async function withCaller<T>(
  serverFor: ServerFor,
  identity: Identity,
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const server = serverFor(identity);
  await server.connect(serverSide);
  const client = new Client({ name: 'mcp-proxy-dashboard', version: VERSION });
  try {
    await client.connect(clientSide);
    return await fn(client);
  } finally {
    await client.close().catch(() => {});
    await server.close().catch(() => {});
  }
}
