/**
 * The merged index of every ready upstream's tools, prompts, resources and templates under their
 * public names. Rebuilt (cheaply) whenever an upstream's catalog changes or the config reloads.
 */
import type { Prompt, Resource, ResourceTemplateType, Tool } from '@modelcontextprotocol/client';
import picomatch from 'picomatch';
import type { UpstreamCatalog, UpstreamConnection } from '../upstream/connection.js';
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
export type ServedCatalog = (conn: UpstreamConnection) => UpstreamCatalog | undefined;

// A server that is restarting keeps its entries (calls fail fast until it is back); failed ones have none.
const connectedCatalog: ServedCatalog = (conn) =>
  conn.state === 'ready' || conn.state === 'restarting' ? conn.catalog : undefined;

export function buildCatalog(
  connections: UpstreamConnection[],
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
    const rules = { prefix, separator };
    // URIs inside definitions (MCP Apps' `_meta.ui.resourceUri`) name this server's resources too.
    const toPublic = uriToPublic(prefix);
    const allowed = toolFilter(conn.config.tools);
    for (const tool of offer.tools) {
      if (!allowed(tool.name)) continue;
      add(
        cat.tools,
        'tool',
        publicName(rules, tool.name),
        conn.name,
        tool.name,
        (n) => mapUris({ ...tool, name: n }, toPublic),
        cat,
      );
    }
    for (const prompt of offer.prompts) {
      add(
        cat.prompts,
        'prompt',
        publicName(rules, prompt.name),
        conn.name,
        prompt.name,
        (n) => ({ ...prompt, name: n }),
        cat,
      );
    }
    for (const res of offer.resources) {
      add(cat.resources, 'resource', publicUri(prefix, res.uri), conn.name, res.uri, () => mapUris(res, toPublic), cat);
    }
    for (const t of offer.resourceTemplates) {
      const uriTemplate = publicUri(prefix, t.uriTemplate);
      const owner = templateKeys.get(uriTemplate);
      if (owner !== undefined) {
        cat.collisions.push({ kind: 'resource template', name: uriTemplate, owners: [owner, conn.name] });
        continue;
      }
      templateKeys.set(uriTemplate, conn.name);
      cat.templates.push({
        upstream: conn.name,
        original: t.uriTemplate,
        item: mapUris({ ...t, uriTemplate }, toPublic),
      });
    }
  }
  return cat;
}

function add<T>(
  map: Map<string, Entry<T>>,
  kind: Collision['kind'],
  name: string,
  upstream: string,
  original: string,
  rename: (n: string) => T,
  cat: Catalog,
): void {
  const existing = map.get(name);
  if (existing) {
    // First one wins (config order), so the result is deterministic; the collision is reported.
    if (existing.upstream !== upstream) cat.collisions.push({ kind, name, owners: [existing.upstream, upstream] });
    return;
  }
  map.set(name, { upstream, original, item: rename(name) });
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
    resources:
      !sameKeys(before.resources, after.resources) ||
      JSON.stringify(before.templates.map((t) => t.item)) !== JSON.stringify(after.templates.map((t) => t.item)),
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

function sameKeys(a: Map<string, unknown>, b: Map<string, unknown>): boolean {
  if (a.size !== b.size) return false;
  for (const k of a.keys()) if (!b.has(k)) return false;
  return true;
}

function sameEntries(a: Map<string, { item: unknown }>, b: Map<string, { item: unknown }>): boolean {
  if (!sameKeys(a, b)) return false;
  for (const [k, v] of a) if (JSON.stringify(v.item) !== JSON.stringify(b.get(k)?.item)) return false;
  return true;
}
