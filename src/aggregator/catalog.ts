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

export function describeCollision(c: Collision): string {
  if (c.kind === 'prefix') {
    return `the prefix "${c.name}" is used by both "${c.owners[0]}" and "${c.owners[1]}": their resource URIs cannot be told apart`;
  }
  return `${c.kind} "${c.name}" is offered by both "${c.owners[0]}" and "${c.owners[1]}"`;
}
