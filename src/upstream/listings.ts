/**
 * An upstream's listings (tools, prompts, resources, templates), each entry checked on its own: the SDK's
 * listTools and friends check a page whole, so one tool a client could not use (a description that is
 * not a string, no input schema) failed the whole listing, and with it the server's connect. Here such an
 * entry is left out with a warning naming it, and the rest of the server's list is kept. Each entry is
 * checked against the SDK's own schema of it, as the clients' SDKs check what the proxy serves: an
 * entry let through unchecked would break the merged list of every server for them. A page that is not a
 * list at all fails the listing, as before.
 *
 * Before that check, what servers commonly get wrong and mean plainly is mended, so a tool that no SDK
 * client would accept directly is usable through the proxy: a member that is `null` where the spec says
 * it may be absent is dropped, and a tool's input schema (or output schema) without `"type"` is the object
 * the spec says it is; a tool with no input schema at all takes no arguments. Each mended entry is named.
 *
 * On a 2026-07-28 hop the SDK lists as before (its era decoder, and over Streamable HTTP the response
 * cache callTool mirrors arguments into `Mcp-Param-*` headers from, unchecked.ts).
 */
import type { Client, Prompt, Resource, ResourceTemplateType, Tool } from '@modelcontextprotocol/client';
import { specTypeSchemas } from '@modelcontextprotocol/client';
import { isObject, isString } from '../protocol/hotParams.js';
import type { UpstreamCatalog } from './status.js';
import { requestUnchecked } from './unchecked.js';

/** Pages followed per listing, as the SDK's own aggregation caps them: a cursor that never ends is cut. */
const MAX_PAGES = 64;

interface StandardSchema {
  '~standard': {
    validate(v: unknown): StandardResult | Promise<StandardResult>;
  };
}
type StandardResult = { value: unknown; issues?: undefined } | { issues: ReadonlyArray<Issue> };
interface Issue {
  message: string;
  path?: ReadonlyArray<PropertyKey | { key: PropertyKey }>;
}

interface Listing {
  method: string;
  key: string;
  what: string;
  schema: StandardSchema;
  /** Tools: their schemas are mended too. */
  tool?: boolean;
}

const TOOLS: Listing = { method: 'tools/list', key: 'tools', what: 'tool', schema: specTypeSchemas.Tool, tool: true };
const PROMPTS: Listing = { method: 'prompts/list', key: 'prompts', what: 'prompt', schema: specTypeSchemas.Prompt };
const RESOURCES: Listing = {
  method: 'resources/list',
  key: 'resources',
  what: 'resource',
  schema: specTypeSchemas.Resource,
};
const TEMPLATES: Listing = {
  method: 'resources/templates/list',
  key: 'resourceTemplates',
  what: 'resource template',
  schema: specTypeSchemas.ResourceTemplate,
};

/** Where each entry left out is said (which list, which entry, why): the server's logger. */
export interface ListingLog {
  warn(message: string): void;
  /**
   * Masks the secrets in a text. An entry's name is masked before it is cut short for the warning: the
   * logger's own masking sees only whole secrets, and a cut could leave part of one.
   */
  redact?(text: string): string;
}

const SILENT: ListingLog = { warn: () => {} };

/**
 * Which lists: every one, or at start-up the tools first and the rest (prompts, resources, templates)
 * once every server has listed its tools: the first tools listing then does not wait for servers that
 * are still booting while others list what it does not need (the cores are shared).
 */
export type ListingPart = 'all' | 'tools' | 'rest';

/** Whether the server has anything a `rest` listing would list. */
export function hasRest(client: Client): boolean {
  const caps = client.getServerCapabilities() ?? {};
  return Boolean(caps.prompts || caps.resources);
}

/** Lists what the server has (what its capabilities say it has) of `part`, each request with `timeout`. */
export async function listAll(
  client: Client,
  timeout: number,
  log: ListingLog = SILENT,
  part: ListingPart = 'all',
): Promise<UpstreamCatalog> {
  const caps = client.getServerCapabilities() ?? {};
  const tools = part !== 'rest' && Boolean(caps.tools);
  const prompts = part !== 'tools' && Boolean(caps.prompts);
  const resources = part !== 'tools' && Boolean(caps.resources);
  if (client.getProtocolEra() === 'modern') return listAllViaSdk(client, timeout, { tools, prompts, resources });
  const read = <T>(listing: Listing) => readAll(client, listing, timeout, log) as Promise<T[]>;
  const [toolList, promptList, resourceList, resourceTemplates] = await Promise.all([
    tools ? read<Tool>(TOOLS) : [],
    prompts ? read<Prompt>(PROMPTS) : [],
    resources ? read<Resource>(RESOURCES) : [],
    // Templates are optional even for a server with resources: one that refuses the request has none.
    resources ? read<ResourceTemplateType>(TEMPLATES).catch(() => []) : [],
  ]);
  return { tools: toolList, prompts: promptList, resources: resourceList, resourceTemplates };
}

/** Every page of one listing, its entries checked one by one. */
async function readAll(
  client: Client,
  listing: Listing,
  timeout: number,
  log: ListingLog,
): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  const mended: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await requestUnchecked(client, listing.method, cursor === undefined ? {} : { cursor }, { timeout });
    let items = isObject(result) ? result[listing.key] : undefined;
    // `null` for no entries: what Go's encoding/json writes for an empty (nil) slice.
    if (items === null) {
      items = [];
      log.warn(`${listing.method}: "${listing.key}": null read as an empty list`);
    }
    if (!Array.isArray(items)) throw new Error(`${listing.method}: the result has no ${listing.key} list`);
    for (const [i, raw] of items.entries()) {
      const { item, fixes } = mend(raw, listing.tool === true);
      // The SDK's schemas check at once; a pending result is waited for only where one is asynchronous.
      let checked = isObject(item) ? listing.schema['~standard'].validate(item) : undefined;
      if (checked instanceof Promise) checked = await checked;
      if (checked && !checked.issues) {
        out.push(checked.value as Record<string, unknown>);
        if (fixes.length) mended.push(`${describe(item, i, log)} (${fixes.join(', ')})`);
      } else log.warn(`${listing.method}: ${listing.what} ${describe(item, i, log)} left out: ${why(checked)}`);
    }
    const next = result.nextCursor;
    if (!isString(next) || next === '' || next === cursor) break;
    cursor = next;
    if (page === MAX_PAGES - 1) log.warn(`${listing.method}: more than ${MAX_PAGES} pages; the rest is left out`);
  }
  if (mended.length) {
    const list =
      mended.length > 10 ? `${mended.slice(0, 10).join(', ')} and ${mended.length - 10} more` : mended.join(', ');
    log.warn(
      `${listing.method}: ${mended.length} ${listing.what}${mended.length === 1 ? '' : 's'} mended so clients accept them: ${list}`,
    );
  }
  return out;
}

/** `raw` with what servers commonly get wrong mended (see the top of this file), and what was done. */
function mend(raw: unknown, tool: boolean): { item: unknown; fixes: string[] } {
  if (!isObject(raw)) return { item: raw, fixes: [] };
  const fixes: string[] = [];
  // A null name stays, for the check to refuse; a tool's null inputSchema is mended below.
  const item = withoutNulls(raw, '', fixes, (k) => k === 'name' || (tool && k === 'inputSchema'));
  if (tool) {
    if (item.inputSchema === undefined || item.inputSchema === null) {
      item.inputSchema = { type: 'object' };
      fixes.push('no inputSchema: takes no arguments');
    } else item.inputSchema = mendSchema(item.inputSchema, 'inputSchema', fixes);
    if (item.outputSchema !== undefined) item.outputSchema = mendSchema(item.outputSchema, 'outputSchema', fixes);
    if (isObject(item.annotations)) item.annotations = withoutNulls(item.annotations, 'annotations.', fixes);
  }
  return { item, fixes };
}

/** A copy of `obj` without its null members (except those `keep` names), each one said in `fixes`. */
function withoutNulls(
  obj: Record<string, unknown>,
  prefix: string,
  fixes: string[],
  keep: (key: string) => boolean = () => false,
  only?: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...obj };
  for (const k of only ?? Object.keys(out)) {
    if (out[k] !== null || keep(k)) continue;
    delete out[k];
    fixes.push(`${prefix}${k}: null dropped`);
  }
  return out;
}

/** A tool's object schema without `"type"` gets it; `properties` or `required` that are null are dropped. */
function mendSchema(schema: unknown, key: string, fixes: string[]): unknown {
  if (!isObject(schema)) return schema;
  const untyped = schema.type === undefined;
  if (untyped) fixes.push(`${key}.type "object" added`);
  const out = withoutNulls(schema, `${key}.`, fixes, undefined, ['properties', 'required']);
  if (untyped) out.type = 'object';
  return out;
}

function describe(item: unknown, index: number, log: ListingLog): string {
  const name = isObject(item) ? (item.name ?? item.uri ?? item.uriTemplate) : undefined;
  return isString(name) ? `"${(log.redact?.(name) ?? name).slice(0, 80)}"` : `#${index + 1}`;
}

/** The first thing wrong with an entry, where it is: `inputSchema: Invalid input: expected object...`. */
function why(checked: StandardResult | undefined): string {
  const issue = checked?.issues?.[0];
  if (!issue) return 'not an object';
  const path = (issue.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.');
  return `${path ? `${path}: ` : ''}${issue.message}`;
}

/** The SDK's listings, each page checked whole (a 2026-07-28 hop). */
async function listAllViaSdk(
  client: Client,
  timeout: number,
  want: { tools: boolean; prompts: boolean; resources: boolean },
): Promise<UpstreamCatalog> {
  const opts = { timeout, cacheMode: 'bypass' as const };
  const [tools, prompts, resources, resourceTemplates] = await Promise.all([
    want.tools ? client.listTools(undefined, opts).then((r) => r.tools) : [],
    want.prompts ? client.listPrompts(undefined, opts).then((r) => r.prompts) : [],
    want.resources ? client.listResources(undefined, opts).then((r) => r.resources) : [],
    want.resources
      ? client
          .listResourceTemplates(undefined, opts)
          .then((r) => r.resourceTemplates)
          .catch(() => [])
      : [],
  ]);
  return { tools, prompts, resources, resourceTemplates };
}
