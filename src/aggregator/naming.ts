/**
 * Public <-> upstream names for tools, prompts and resource URIs.
 *
 * Tools and prompts: `<prefix><separator><name>` (default `<server>__<name>`; `__` survives every
 * client's name rules), or the bare name when the server's prefix is `false`. Public tool names
 * stay within 64 characters (Claude and others enforce it): longer ones are shortened
 * deterministically to `<head>_<hash6>`, the hash taken over the full name so it never changes
 * between runs. Resource URIs become `<prefix>+<uri>` (reversible: the prefix is looked up, the rest is
 * the upstream's own URI).
 */

import { createHash } from 'node:crypto';
import { RawJson } from '../protocol/rawJson.js';

export const MAX_NAME_LENGTH = 64;

export interface NamingRules {
  /** The server's public prefix, '' for none. */
  prefix: string;
  separator: string;
}

export function prefixFor(serverName: string, configured: string | false | undefined): string {
  if (configured === false) return '';
  return configured ?? serverName;
}

export function publicName(rules: NamingRules, name: string, max = MAX_NAME_LENGTH): string {
  const full = rules.prefix ? `${rules.prefix}${rules.separator}${name}` : name;
  return shorten(full, max);
}

/** Deterministically shortens a name to at most `max` characters, keeping it unique by a hash suffix. */
export function shorten(name: string, max = MAX_NAME_LENGTH): string {
  if (name.length <= max) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 6);
  return `${name.slice(0, max - hash.length - 1)}_${hash}`;
}

export const URI_SEPARATOR = '+';

export function publicUri(prefix: string, uri: string): string {
  return prefix ? `${prefix}${URI_SEPARATOR}${uri}` : uri;
}

/**
 * Splits a public URI into (prefix, upstream URI) given the known prefixes; returns undefined when no
 * prefix matches (the URI may belong to an unprefixed server).
 */
export function splitPublicUri(uri: string, prefixes: Iterable<string>): { prefix: string; uri: string } | undefined {
  const plus = uri.indexOf(URI_SEPARATOR);
  if (plus <= 0) return undefined;
  const head = uri.slice(0, plus);
  for (const p of prefixes) if (p === head) return { prefix: p, uri: uri.slice(plus + 1) };
  return undefined;
}

/**
 * `_meta` keys whose value is a URI of the server's own resources: MCP Apps link a tool (and its
 * results) to a `ui://` resource with `ui.resourceUri` and the older flat `ui/resourceUri`; the
 * OpenAI Apps SDK uses `openai/outputTemplate` the same way.
 */
const META_URI_KEYS = ['ui/resourceUri', 'openai/outputTemplate'] as const;

/** Where, below a message, a URI of the upstream's resources can sit: content, contents, messages. */
const URI_CONTAINERS = ['content', 'contents', 'messages', 'resource', 'resources'] as const;

/**
 * Maps every resource URI in what an upstream sends (a tool or resource definition, a tool result,
 * resources/read contents, prompt messages) with `map`: an object's own `uri` (resources, resource
 * contents, `resource_link` and embedded `resource` content) and the MCP Apps `_meta` keys, at every
 * level. Other fields (arguments, structuredContent, text) are left alone: a URI there is data.
 * Returns the value itself when nothing changed.
 */
export function mapUris<T>(value: T, map: (uri: string) => string): T {
  if (map === SAME_URI) return value;
  if (value instanceof RawJson) return (value.mayHoldUris() ? mapUris(value.value(), map) : value) as T;
  if (Array.isArray(value)) {
    // Copied only from the first item that changes (most results have no URI to map).
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const m = mapUris(value[i], map);
      if (m !== value[i]) out ??= value.slice();
      if (out) out[i] = m;
    }
    return (out ?? value) as T;
  }
  if (!value || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  const set = (key: string, next: unknown) => {
    if (next === obj[key]) return;
    out ??= { ...obj };
    out[key] = next;
  };
  if (typeof obj.uri === 'string') set('uri', map(obj.uri));
  if (obj._meta && typeof obj._meta === 'object') set('_meta', mapMetaUris(obj._meta as Record<string, unknown>, map));
  for (const key of URI_CONTAINERS) if (obj[key] && typeof obj[key] === 'object') set(key, mapUris(obj[key], map));
  return (out ?? obj) as T;
}

function mapMetaUris(meta: Record<string, unknown>, map: (uri: string) => string): Record<string, unknown> {
  const out = { ...meta };
  let changed = false;
  for (const key of META_URI_KEYS) {
    const v = meta[key];
    if (typeof v === 'string') {
      out[key] = map(v);
      changed = true;
    }
  }
  const ui = meta.ui as Record<string, unknown> | undefined;
  if (ui && typeof ui === 'object' && typeof ui.resourceUri === 'string') {
    out.ui = { ...ui, resourceUri: map(ui.resourceUri) };
    changed = true;
  }
  return changed ? out : meta;
}

const SAME_URI = (uri: string) => uri;

/** upstream -> public URI for one server's prefix (the identity for an unprefixed server). */
export function uriToPublic(prefix: string): (uri: string) => string {
  return prefix ? (uri) => publicUri(prefix, uri) : SAME_URI;
}
