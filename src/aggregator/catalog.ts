/**
 * The merged index of every ready upstream's tools, prompts, resources and templates under their
 * public names. Rebuilt (cheaply) whenever an upstream's catalog changes or the config reloads.
 */
import type { Prompt, Resource, ResourceTemplateType, Tool } from '@modelcontextprotocol/client';
import picomatch from 'picomatch';
import type { UpstreamConfig } from '../config/schema.js';
import type { UpstreamCatalog } from '../upstream/connection.js';
import type { Upstream } from '../upstream/upstream.js';
import { mapUris, prefixFor, publicName, publicUri, uriToPublic } from './naming.js';

export interface Entry<T> {
  upstream: string;
  /** The upstream's own name (or URI). */
  original: string;
  /** The item as served downstream (renamed). */
  item: T;
}

export interface Collision {
  kind: 'tool' | 'prompt' | 'resource' | 'resource template' | 'prefix';
  name: string;
  owners: [string, string];
}

export interface Catalog {
  tools: Map<string, Entry<Tool>>;
  prompts: Map<string, Entry<Prompt>>;
  resources: Map<string, Entry<Resource>>;
  templates: Entry<ResourceTemplateType>[];
  /** Public prefix -> upstream, for URI routing. */
  prefixes: Map<string, string>;
  /** Upstreams exposed without a prefix. */
  unprefixed: string[];
  collisions: Collision[];
}

export function toolFilter(filter: { include?: string[]; exclude?: string[] } | undefined): (name: string) => boolean {
  if (!filter || (!filter.include?.length && !filter.exclude?.length)) return () => true;
  const inc = filter.include?.length ? picomatch(filter.include) : () => true;
  const exc = filter.exclude?.length ? picomatch(filter.exclude) : () => false;
  return (name) => inc(name) && !exc(name);
}

/** What a connection offers now: by default its own catalog while connected (the pool adds cached ones). */
export type ServedCatalog = (conn: Upstream) => UpstreamCatalog | undefined;

// A server that is restarting keeps its entries (calls fail fast until it is back); failed ones have none.
const connectedCatalog: ServedCatalog = (conn) =>
  conn.state === 'ready' || conn.state === 'restarting' ? conn.catalog : undefined;

export function buildCatalog(
  connections: Upstream[],
  separator: string,
  served: ServedCatalog = connectedCatalog,
): Catalog {
  const cat: Catalog = {
    tools: new Map(),
    prompts: new Map(),
    resources: new Map(),
    templates: [],
    prefixes: new Map(),
    unprefixed: [],
    collisions: [],
  };
  const templateKeys = new Map<string, string>();
  for (const conn of connections) {
    const prefix = prefixFor(conn.name, conn.config.prefix);
    if (prefix) {
      const other = cat.prefixes.get(prefix);
      if (other !== undefined && other !== conn.name) {
        cat.collisions.push({ kind: 'prefix', name: prefix, owners: [other, conn.name] });
      } else cat.prefixes.set(prefix, conn.name);
    } else cat.unprefixed.push(conn.name);
    const offer = served(conn);
    if (!offer) continue;
    const pub = publicOffer(offer, prefix, separator, conn.config.tools);
    for (const e of pub.tools) add(cat.tools, 'tool', conn.name, e, cat);
    for (const e of pub.prompts) add(cat.prompts, 'prompt', conn.name, e, cat);
    for (const e of pub.resources) add(cat.resources, 'resource', conn.name, e, cat);
    for (const e of pub.templates) {
      const owner = templateKeys.get(e.name);
      if (owner !== undefined) {
        cat.collisions.push({ kind: 'resource template', name: e.name, owners: [owner, conn.name] });
        continue;
      }
      templateKeys.set(e.name, conn.name);
      cat.templates.push({ upstream: conn.name, original: e.original, item: e.item });
    }
  }
  return cat;
}

/** One item of a server's catalog under its public name (or URI, or URI template). */
interface Renamed<T> {
  name: string;
  original: string;
  item: T;
}

interface PublicOffer {
  prefix: string;
  separator: string;
  filter: UpstreamConfig['tools'];
  tools: Renamed<Tool>[];
  prompts: Renamed<Prompt>[];
  resources: Renamed<Resource>[];
  templates: Renamed<ResourceTemplateType>[];
}

/**
 * A server's catalog renamed for the public index, kept with the catalog it was made from: the index is
 * rebuilt whenever any server's catalog changes (twenty times as twenty servers come up), and a server
 * whose catalog did not change keeps its renamed items, the very same objects, which also lets the
 * comparison of the old index with the new one skip them.
 */
const renamed = new WeakMap<UpstreamCatalog, PublicOffer>();

function publicOffer(
  offer: UpstreamCatalog,
  prefix: string,
  separator: string,
  filter: UpstreamConfig['tools'],
): PublicOffer {
  const kept = renamed.get(offer);
  if (kept && kept.prefix === prefix && kept.separator === separator && kept.filter === filter) return kept;
  const rules = { prefix, separator };
  // URIs inside definitions (MCP Apps' `_meta.ui.resourceUri`) name this server's resources too.
  const toPublic = uriToPublic(prefix);
  const allowed = toolFilter(filter);
  const tools = offer.tools
    .filter((tool) => allowed(tool.name))
    .map((tool) => {
      const name = publicName(rules, tool.name);
      return { name, original: tool.name, item: mapUris({ ...tool, name }, toPublic) };
    });
  const prompts = offer.prompts.map((prompt) => {
    const name = publicName(rules, prompt.name);
    return { name, original: prompt.name, item: { ...prompt, name } };
  });
  const resources = offer.resources.map((res) => ({
    name: publicUri(prefix, res.uri),
    original: res.uri,
    item: mapUris(res, toPublic),
  }));
  const templates = offer.resourceTemplates.map((t) => {
    const uriTemplate = publicUri(prefix, t.uriTemplate);
    return { name: uriTemplate, original: t.uriTemplate, item: mapUris({ ...t, uriTemplate }, toPublic) };
  });
  const made = { prefix, separator, filter, tools, prompts, resources, templates };
  renamed.set(offer, made);
  return made;
}

function add<T>(
  map: Map<string, Entry<T>>,
  kind: Collision['kind'],
  upstream: string,
  { name, original, item }: Renamed<T>,
  cat: Catalog,
): void {
  const existing = map.get(name);
  if (existing) {
    // First one wins (config order), so the result is deterministic; the collision is reported.
    if (existing.upstream !== upstream) cat.collisions.push({ kind, name, owners: [existing.upstream, upstream] });
    return;
  }
  map.set(name, { upstream, original, item });
}

/** Identifies a collision across rebuilds (so each is logged once). */
export function collisionKey(c: Collision): string {
  return JSON.stringify([c.kind, c.name, c.owners]);
}

/** Names shown per line before "and N more": a shared prefix collides on every name two servers share. */
const SHOWN = 4;

/**
 * One line per pair of servers that collide, saying what they share and which one is served (the one
 * listed first in the config, as buildCatalog keeps it), so one mistake reads as one line.
 */
export function describeCollisions(collisions: Collision[]): string[] {
  const byPair = new Map<string, Collision[]>();
  for (const c of collisions) {
    const key = JSON.stringify(c.owners);
    byPair.set(key, [...(byPair.get(key) ?? []), c]);
  }
  return [...byPair.values()].map(describePair);
}

function describePair(cs: Collision[]): string {
  const [first, second] = cs[0].owners;
  const prefix = cs.find((c) => c.kind === 'prefix');
  const names = cs.filter((c) => c.kind !== 'prefix').map((c) => `${c.kind} "${c.name}"`);
  const shared: string[] = [];
  if (prefix) shared.push(`use the prefix "${prefix.name}"`);
  if (names.length) {
    const more = names.length > SHOWN ? ` and ${names.length - SHOWN} more` : '';
    shared.push(`offer ${names.slice(0, SHOWN).join(', ')}${more}`);
  }
  const served = names.length
    ? `"${first}"'s ${names.length === 1 ? 'is' : 'are'} served (listed first in the config), "${second}"'s hidden`
    : `URIs under "${prefix?.name}+" that no listed resource names go to "${first}" (listed first in the config)`;
  return `"${first}" and "${second}" both ${shared.join(' and ')}; ${served}; set a different "prefix" on one of them`;
}

/** Which lists differ between two catalogs (what list_changed notifications to send). */
export interface CatalogChanges {
  tools: boolean;
  prompts: boolean;
  resources: boolean;
}

export function catalogChanges(before: Catalog, after: Catalog): CatalogChanges {
  return {
    tools: !sameEntries(before.tools, after.tools),
    prompts: !sameEntries(before.prompts, after.prompts),
    resources: !sameKeys(before.resources, after.resources) || !sameTemplates(before.templates, after.templates),
  };
}

/**
 * A tool by its upstream's own name, when exactly one upstream has a tool of that name. An MCP App's
 * UI calls its server's tools by their own names, and its host forwards the call as it is, with no
 * mark that tells it from any other call: so this holds for every call, and only a name that is no
 * public name and is unambiguous is routed this way.
 */
export function byUpstreamName(cat: Catalog, name: string): Entry<Tool> | undefined {
  let found: Entry<Tool> | undefined;
  for (const e of cat.tools.values()) {
    if (e.original !== name) continue;
    if (found && found.upstream !== e.upstream) return undefined;
    found = e;
  }
  return found;
}

function sameTemplates(a: Entry<ResourceTemplateType>[], b: Entry<ResourceTemplateType>[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((t, i) => t.item === b[i].item || JSON.stringify(t.item) === JSON.stringify(b[i].item));
}

function sameKeys(a: Map<string, unknown>, b: Map<string, unknown>): boolean {
  if (a.size !== b.size) return false;
  for (const k of a.keys()) if (!b.has(k)) return false;
  return true;
}

function sameEntries(a: Map<string, { item: unknown }>, b: Map<string, { item: unknown }>): boolean {
  if (!sameKeys(a, b)) return false;
  for (const [k, v] of a) {
    const other = b.get(k)?.item;
    if (other !== v.item && JSON.stringify(v.item) !== JSON.stringify(other)) return false;
  }
  return true;
}
