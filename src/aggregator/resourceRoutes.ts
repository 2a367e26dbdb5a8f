/**
 * Which upstream a public resource URI belongs to, and its upstream URI: a listed resource, a
 * prefixed URI (`<prefix>+<upstream URI>`), or for an unprefixed server the one whose template
 * matches (or the one unprefixed server that is ready).
 */
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import type { UpstreamPool } from '../upstream/pool.js';
import { escapeRegExp } from '../util/text.js';
import type { Catalog } from './catalog.js';
import { prefixFor, splitPublicUri, uriToPublic } from './naming.js';

export interface UriRoute {
  upstream: string;
  /** The upstream's own URI. */
  uri: string;
  /** upstream -> public URI for this upstream's resources (URIs inside the result). */
  toPublic: (uri: string) => string;
}

export class ResourceRoutes {
  constructor(
    private readonly pool: UpstreamPool,
    private readonly catalog: () => Catalog,
  ) {}

  /** The route of a public URI; an InvalidParams error when no upstream owns it. */
  route(uri: string): UriRoute {
    const cat = this.catalog();
    const direct = cat.resources.get(uri);
    const mk = (upstream: string, original: string) => ({
      upstream,
      uri: original,
      toPublic: this.toPublic(upstream),
    });
    if (direct) return mk(direct.upstream, direct.original);
    const split = splitPublicUri(uri, cat.prefixes.keys());
    if (split) return mk(cat.prefixes.get(split.prefix)!, split.uri);
    // An unprefixed server: the one whose template or resource scheme matches.
    for (const t of cat.templates) {
      if (cat.unprefixed.includes(t.upstream) && templateMatches(t.original, uri)) return mk(t.upstream, uri);
    }
    const ready = cat.unprefixed.filter((u) => this.pool.get(u)?.state === 'ready');
    if (ready.length === 1) return mk(ready[0], uri);
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown resource URI: ${uri}`, {
      hint: 'URIs are "<server>+<upstream URI>"; see resources/list and resources/templates/list',
    });
  }

  /** The route, or undefined where route() would throw. */
  tryRoute(uri: string): UriRoute | undefined {
    try {
      return this.route(uri);
    } catch {
      return undefined;
    }
  }

  /** upstream -> public URI for one upstream's resources. */
  toPublic(upstream: string): (uri: string) => string {
    const conn = this.pool.get(upstream);
    return uriToPublic(conn ? prefixFor(conn.name, conn.config.prefix) : '');
  }
}

function templateMatches(template: string, uri: string): boolean {
  const re = new RegExp(
    `^${template
      .split(/\{[^}]+\}/)
      .map(escapeRegExp)
      .join('.+')}$`,
  );
  return re.test(uri);
}
