/**
 * The client side of the handshake with one upstream: which protocol era to speak, the capabilities
 * the proxy declares, and the handlers for server-to-client traffic.
 *
 * `auto` speaks 2025-11-25 first, on the one process it starts (the SDK's throwaway probe process is
 * never used): most dual-era servers ask for sampling and elicitation push-style, which they refuse to
 * do on a 2026 hop, and over a 2025 hop the proxy relays those to clients of both eras (see the
 * README). Only a server that refuses `initialize` is connected again, negotiating 2026-07-28.
 * The first listing is listings.ts's.
 */
import type { ClientCapabilities } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/client';
import type { UpstreamConfig } from '../config/schema.js';
import { errorMessage } from '../errors.js';
import { VERSION } from '../version.js';
import { isNetworkError } from './errors.js';
import type { DownstreamBridge } from './options.js';
import { currentOrigin } from './origin.js';

/**
 * The capabilities the proxy declares upstream: it relays these to the downstream session. A
 * connection shared by every client (and a 2025 hop fixes capabilities at initialize) declares them
 * all, and extensions are the ones the proxy relays whole: MCP Apps (a tool's `ui://` resource is served
 * byte-identical under its public URI, and the app's own tool calls are routed); a host that renders no
 * UI shows the tool's text content, which MCP Apps servers must always return.
 */
export const CLIENT_CAPABILITIES: ClientCapabilities = {
  sampling: {},
  elicitation: { form: {}, url: {} },
  roots: { listChanged: true },
  extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: ['text/html;profile=mcp-app'] } },
};

export interface ClientSetup {
  name: string;
  /** What the proxy declares (CLIENT_CAPABILITIES unless its one client is known: declaredFor). */
  capabilities?: ClientCapabilities;
  protocol: UpstreamConfig['protocol'];
  /** `auto` found this server refuses 2025-11-25 initialize: negotiate 2026-07-28. */
  modernOnly: boolean;
  bridge?: DownstreamBridge;
  /** The session that owns the connection, if one does: all its server-to-client traffic is that session's. */
  owner?: object;
  /** A list_changed notification arrived (tools, prompts or resources). */
  onListChanged(): void;
}

/** A client for one connect attempt, with the server-to-client handlers installed. */
export function createClient(setup: ClientSetup): Client {
  const onChanged = () => setup.onListChanged();
  const client = new Client(
    { name: 'mcp-proxy-server', version: VERSION },
    {
      capabilities: setup.capabilities ?? CLIENT_CAPABILITIES,
      versionNegotiation: { mode: protocolMode(setup.protocol, setup.modernOnly) },
      listChanged: {
        tools: { autoRefresh: false, debounceMs: 20, onChanged },
        prompts: { autoRefresh: false, debounceMs: 20, onChanged },
        resources: { autoRefresh: false, debounceMs: 20, onChanged },
      },
    },
  );
  installHandlers(client, setup);
  return client;
}

function installHandlers(client: Client, setup: ClientSetup): void {
  const { bridge, name } = setup;
  // The origin is read where the message is handled: inside the async context of the request whose
  // response stream carried it, if any.
  const origin = () => setup.owner ?? currentOrigin();
  const declared = setup.capabilities ?? CLIENT_CAPABILITIES;
  for (const [method, capability] of RELAYED_REQUESTS) {
    // The SDK takes a handler only for a declared capability; an undeclared one is refused by the server's SDK.
    if (declared[capability] === undefined) continue;
    client.setRequestHandler(method, async (request: any, ctx: any) => {
      if (!bridge) throw new Error(`${method} is not available: no downstream client`);
      return (await bridge.request(name, method, request.params, ctx.mcpReq.signal, origin())) as any;
    });
  }
  const notify = (n: any) => bridge?.notify(name, n.method, n.params, origin());
  client.setNotificationHandler('notifications/message', notify);
  client.setNotificationHandler('notifications/resources/updated', notify);
}

const RELAYED_REQUESTS = [
  ['sampling/createMessage', 'sampling'],
  ['elicitation/create', 'elicitation'],
  ['roots/list', 'roots'],
] as const;

/**
 * What the proxy declares upstream when it serves one known client (stdio): what that client declared of
 * what the proxy relays, as the client declared it. A server then offers what it would offer that client
 * directly (a tool that elicits is listed only for a client that can answer) and prepares nothing the
 * client cannot use. `undefined` (client unknown): everything the proxy relays.
 */
export function declaredFor(client: Record<string, unknown> | undefined): ClientCapabilities {
  if (!client) return CLIENT_CAPABILITIES;
  const out: Record<string, unknown> = {};
  for (const [_, capability] of RELAYED_REQUESTS) {
    const value = client[capability];
    if (value !== null && typeof value === 'object') out[capability] = value;
  }
  const theirs = client.extensions;
  const ours = CLIENT_CAPABILITIES.extensions ?? {};
  if (theirs !== null && typeof theirs === 'object') {
    const both = Object.entries(theirs).filter(
      ([k, v]) => Object.hasOwn(ours, k) && v !== null && typeof v === 'object',
    );
    if (both.length) out.extensions = Object.fromEntries(both);
  }
  return out as ClientCapabilities;
}

/** After a failed attempt under `auto`: the server refused 2025-11-25, so the next one speaks 2026-07-28. */
export function shouldSwitchToModern(protocol: UpstreamConfig['protocol'], modernOnly: boolean, e: unknown): boolean {
  return !modernOnly && isAuto(protocol) && refusedInitialize(e);
}

function protocolMode(p: UpstreamConfig['protocol'], modernOnly: boolean): 'auto' | 'legacy' | { pin: string } {
  if (p === '2026-07-28') return { pin: p };
  if (p === '2025-11-25' || !modernOnly) return 'legacy';
  return 'auto';
}

function isAuto(p: UpstreamConfig['protocol']): boolean {
  return p === undefined || p === 'auto';
}

/** The server answered initialize, with a refusal: it speaks only the 2026-07-28 era. */
function refusedInitialize(e: unknown): boolean {
  const err = e as { code?: unknown; data?: { status?: unknown } } | undefined;
  if (typeof err?.code === 'number') return true;
  return /protocol version|server\/discover|initialize/i.test(errorMessage(e)) && !isNetworkError(e);
}
