/**
 * What a new downstream session is told at initialize: the capabilities the upstreams offer
 * together, and their instructions.
 */
import type { ServerCapabilities } from '@modelcontextprotocol/server';
import type { Upstream } from '../upstream/upstream.js';

/** What these functions read of a server: also known before its connection exists (initializeOffer.ts). */
export type Offering = Pick<Upstream, 'name' | 'config' | 'state' | 'capabilities' | 'instructions'>;

/**
 * Capabilities: what some upstream offers. An upstream whose offer is not known yet (connecting,
 * retrying, or failed and retried on reload) counts as offering everything, so a session made
 * while it is down can still use it when it comes back; `tools` is always there (the proxy's own
 * surface, and what a reload most often adds). Capabilities cannot change within a session.
 */
export function mergedCapabilities(connections: Offering[]): ServerCapabilities {
  const conns = connections.filter((c) => c.state !== 'disabled');
  const unknown = conns.some((c) => c.state !== 'ready');
  const has = (k: OfferedKey) => offers(conns, k);
  const caps: ServerCapabilities = { tools: { listChanged: true } };
  if (has('prompts')) caps.prompts = { listChanged: true };
  if (has('resources')) {
    const subscribe =
      unknown || conns.some((c) => (c.capabilities?.resources as { subscribe?: boolean } | undefined)?.subscribe);
    caps.resources = { listChanged: true, ...(subscribe ? { subscribe: true } : {}) };
  }
  if (has('completions')) caps.completions = {};
  caps.logging = {};
  // Extensions (MCP Apps' io.modelcontextprotocol/ui...) are the upstreams' own: relayed as they declare
  // them; while an offer is unknown, the ones the proxy can relay.
  const extensions: Record<string, unknown> = unknown ? { 'io.modelcontextprotocol/ui': {} } : {};
  for (const c of conns) Object.assign(extensions, (c.capabilities as { extensions?: object } | undefined)?.extensions);
  if (Object.keys(extensions).length) (caps as { extensions?: object }).extensions = extensions;
  return caps;
}

type OfferedKey = 'tools' | 'prompts' | 'resources' | 'completions';

/**
 * Whether the capabilities above include `key`, without building them (a per-request check): tools
 * always; the others when some ready upstream offers them or some upstream's offer is not known yet.
 */
export function offers(connections: Offering[], key: OfferedKey): boolean {
  if (key === 'tools') return true;
  let offered = false;
  for (const c of connections) {
    if (c.state === 'disabled') continue;
    if (c.state !== 'ready') return true;
    if (c.capabilities?.[key]) offered = true;
  }
  return offered;
}

/** Each server's description or instructions: its own once connected, else what is known of it (cache). */
export function mergedInstructions<C extends Offering>(
  connections: C[],
  knownOf: (c: C) => { instructions?: string } | undefined = () => undefined,
): string | undefined {
  const parts: string[] = [];
  for (const c of connections) {
    const known = c.state === 'ready' ? c : knownOf(c);
    const text = known && (c.config.description ?? known.instructions);
    if (text) parts.push(`## ${c.name}\n${text}`);
  }
  return parts.length ? parts.join('\n\n') : undefined;
}
