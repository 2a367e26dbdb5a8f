/**
 * An upstream's listings (tools, prompts, resources, templates) read as they came, without the SDK's
 * schema pass over each page: every server is listed at each connect, and at start-up twenty of them
 * at once, while the proxy's thread is what their handshakes wait for. Our own checks are per item
 * and cheap: an entry the proxy could not serve or route (no name, no input schema, no URI) is left
 * out with a warning, and the rest of that server's list is kept; a page that is not a list at all
 * fails the listing, as before. Whatever else an entry carries goes to clients as it came, whose own
 * SDK checks what it receives.
 *
 * A 2026-07-28 Streamable HTTP upstream is listed through the SDK's listTools: its response cache is
 * what callTool mirrors arguments into `Mcp-Param-*` headers from (unchecked.ts).
 */
import type { Client, Prompt, Resource, ResourceTemplateType, Tool } from '@modelcontextprotocol/client';
import { isObject } from '../protocol/hotParams.js';
import type { UpstreamCatalog } from './status.js';
import { requestUnchecked } from './unchecked.js';

/** Pages followed per listing, as the SDK's own aggregation caps them: a cursor that never ends is cut. */
const MAX_PAGES = 64;

type Check = (item: Record<string, unknown>) => string | undefined;

interface Listing {
  method: string;
  key: string;
  what: string;
  check: Check;
}

const isString = (v: unknown): v is string => typeof v === 'string';

const TOOLS: Listing = {
  method: 'tools/list',
  key: 'tools',
  what: 'tool',
  check: (t) =>
    !isString(t.name) || t.name === ''
      ? 'no name'
      : !isObject(t.inputSchema)
        ? 'no inputSchema object'
        : t.outputSchema !== undefined && !isObject(t.outputSchema)
          ? 'an outputSchema that is not an object'
          : undefined,
};
const PROMPTS: Listing = {
  method: 'prompts/list',
  key: 'prompts',
  what: 'prompt',
  check: (p) =>
    !isString(p.name) || p.name === ''
      ? 'no name'
      : p.arguments !== undefined && !(Array.isArray(p.arguments) && p.arguments.every(namedObject))
        ? 'arguments that are not a list of named objects'
        : undefined,
};
const RESOURCES: Listing = {
  method: 'resources/list',
  key: 'resources',
  what: 'resource',
  check: (r) => (!isString(r.uri) || r.uri === '' ? 'no uri' : !isString(r.name) ? 'no name' : undefined),
};
const TEMPLATES: Listing = {
  method: 'resources/templates/list',
  key: 'resourceTemplates',
  what: 'resource template',
  check: (t) =>
    !isString(t.uriTemplate) || t.uriTemplate === '' ? 'no uriTemplate' : !isString(t.name) ? 'no name' : undefined,
};

function namedObject(v: unknown): boolean {
  return isObject(v) && isString(v.name);
}

/** Said once per entry left out: which server's list, which entry, why. */
export type ListingWarn = (message: string) => void;

/** Lists everything the server has (what its capabilities say it has), each request with `timeout`. */
export async function listAll(client: Client, timeout: number, warn: ListingWarn = () => {}): Promise<UpstreamCatalog> {
  const caps = client.getServerCapabilities() ?? {};
  const read = <T>(listing: Listing) => readAll(client, listing, timeout, warn) as Promise<T[]>;
  const [tools, prompts, resources, resourceTemplates] = await Promise.all([
    caps.tools ? (viaSdk(client) ? sdkTools(client, timeout) : read<Tool>(TOOLS)) : [],
    caps.prompts ? read<Prompt>(PROMPTS) : [],
    caps.resources ? read<Resource>(RESOURCES) : [],
    // Templates are optional even for a server with resources: one that refuses the request has none.
    caps.resources ? read<ResourceTemplateType>(TEMPLATES).catch(() => []) : [],
  ]);
  return { tools, prompts, resources, resourceTemplates };
}

/** Every page of one listing, its entries checked one by one. */
async function readAll(
  client: Client,
  listing: Listing,
  timeout: number,
  warn: ListingWarn,
): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await requestUnchecked(client, listing.method, cursor === undefined ? {} : { cursor }, { timeout });
    const items = isObject(result) ? result[listing.key] : undefined;
    if (!Array.isArray(items)) throw new Error(`${listing.method}: the result has no ${listing.key} list`);
    for (const [i, item] of items.entries()) {
      const why = isObject(item) ? listing.check(item) : 'not an object';
      if (why === undefined) out.push(item as Record<string, unknown>);
      else warn(`${listing.method}: ${listing.what} ${describe(item, i)} left out: ${why}`);
    }
    const next = result.nextCursor;
    if (!isString(next) || next === '' || next === cursor) return out;
    cursor = next;
  }
  warn(`${listing.method}: more than ${MAX_PAGES} pages; the rest is left out`);
  return out;
}

function describe(item: unknown, index: number): string {
  const name = isObject(item) ? (item.name ?? item.uri ?? item.uriTemplate) : undefined;
  return isString(name) ? `"${name.slice(0, 80)}"` : `#${index + 1}`;
}

/** A 2026-07-28 hop with a stream per request (Streamable HTTP): the SDK keeps what callTool needs. */
function viaSdk(client: Client): boolean {
  const transport = client.transport as { hasPerRequestStream?: boolean } | undefined;
  return client.getProtocolEra() === 'modern' && transport?.hasPerRequestStream === true;
}

function sdkTools(client: Client, timeout: number): Promise<Tool[]> {
  return client.listTools(undefined, { timeout, cacheMode: 'bypass' }).then((r) => r.tools);
}
