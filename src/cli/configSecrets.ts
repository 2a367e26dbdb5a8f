/**
 * Secrets written literally in a config (not through `${VAR}`) never pass the credential chain, so the
 * redactor would not know them. These are the values of a loaded config that plainly are secrets, found
 * with the same heuristics `import` uses to move literal secrets out of a client config: env values
 * named like a credential (TOKEN, KEY, SECRET, PASSWORD, AUTH...) or shaped like one, Authorization and
 * X-API-Key-like headers, a URL's password or `?api_key=` parameter, `--token VALUE` arguments.
 */
import type { UpstreamConfig } from '../config/schema.js';
import { findSecrets, isSecretName, looksLikeSecretValue, plainValue } from '../generate/secrets.js';
import type { Redactor } from '../observability/redact.js';

/** Every plainly secret value in the upstream entries (already substituted: `${VAR}` values are included too). */
export function configSecrets(servers: Record<string, UpstreamConfig>): string[] {
  const out = new Set<string>();
  for (const [name, entry] of Object.entries(servers)) {
    for (const c of findSecrets(name, entry as unknown as Record<string, unknown>)) {
      out.add(c.secret);
      if (c.field === 'headers') {
        // "Bearer xyz" and "Basic abc": the whole value, and the credential after the scheme on its own.
        out.add(c.original);
        const credential = /^\s*[A-Za-z][\w-]*\s+(\S+)\s*$/.exec(c.original)?.[1];
        if (credential && /^(authorization|proxy-authorization)$/i.test(String(c.key))) out.add(credential);
      }
    }
    // An OAuth client secret written literally (better: through ${VAR}, which the chain registers).
    const oauth = 'oauth' in entry ? entry.oauth : undefined;
    if (oauth && oauth !== true && oauth.clientSecret) out.add(oauth.clientSecret);
    // findSecrets names one secret per URL (it rewrites one); a URL may hold a password and a key.
    if ('url' in entry && typeof entry.url === 'string') for (const s of urlSecrets(entry.url)) out.add(s);
  }
  return [...out];
}

/** A URL's password and every query parameter that is named or shaped like a credential. */
function urlSecrets(raw: string): string[] {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return [];
  }
  const out: string[] = [];
  if (url.password) out.push(decodeURIComponent(url.password));
  for (const [k, v] of url.searchParams) {
    if (v && !plainValue(v) && (isSecretName(k) || looksLikeSecretValue(v))) out.push(v);
  }
  return out;
}

/** Registers the config's literal secrets with the redactor, so every output masks them. */
export function registerConfigSecrets(servers: Record<string, UpstreamConfig>, redactor: Redactor): void {
  for (const secret of configSecrets(servers)) redactor.add(secret);
}
