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
