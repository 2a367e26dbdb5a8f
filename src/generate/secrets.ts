// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are what this module writes
/**
 * Finds literal secrets in imported server entries and chooses `${VAR}` names for them.
 *
 * A value is a secret when it is not already a `${...}` reference and
 *  - its name (env variable, header, `--flag`) looks like one: TOKEN, KEY, SECRET, PASSWORD, AUTH,
 *    CREDENTIAL, COOKIE, PAT; or
 *  - it looks like one: a known token prefix (ghp_, github_pat_, glpat-, sk-, xoxb-, AKIA, AIza, a JWT...),
 *    a URL with a password in it (postgres://user:pass@host), or a long random-looking string;
 *  - an `Authorization` header: the credential after the scheme (`Bearer <token>` -> `Bearer ${VAR}`).
 */
import { escapeRegExp } from '../util/text.js';

export interface SecretCandidate {
  server: string;
  /** Where in the entry: env.NAME, headers.NAME, args[i] or the url. */
  field: 'env' | 'headers' | 'args' | 'url';
  key: string | number;
  /** The whole literal value as written. */
  original: string;
  /** The secret part of it (the token after "Bearer ", or the whole value). */
  secret: string;
  /** The preferred variable name. */
  baseName: string;
  /** Builds the replacement value from the chosen variable name. */
  replace: (variable: string) => string;
}

export interface PlannedSecret extends SecretCandidate {
  variable: string;
  replacement: string;
}

const SECRET_NAME = /TOKEN|KEY|SECRET|PASSWORD|PASSWD|AUTH|CREDENTIAL|COOKIE|(^|[_-])PAT($|[_-])|(^|[_-])PWD($|[_-])/i;
const NOT_SECRET_NAME =
  /^(PATH|HOME|LANG|TZ|NODE_ENV|DEBUG|LOG_LEVEL)$|_(ID|URL_BASE|MODE|TYPE|FILE|PATH|DIR|HOST|PORT)$/i;
const TOKEN_PREFIX =
  /^(gh[pousr]_[A-Za-z0-9]{10,}|github_pat_\w{10,}|glpat-[\w-]{10,}|sk-[\w-]{10,}|sk_(live|test)_\w{10,}|rk_(live|test)_\w{10,}|xox[abposr]-[\w-]{10,}|AKIA[A-Z0-9]{12,}|AIza[\w-]{20,}|ya29\.[\w-]{10,}|eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]*|npm_[A-Za-z0-9]{20,}|hf_[A-Za-z0-9]{20,}|lin_api_\w{10,}|ntn_\w{10,}|secret_\w{20,})/;
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:([^/\s@]+)@/i;

/** A long random-looking string: letters and digits mixed, no spaces, not a path or URL. */
function looksRandom(v: string): boolean {
  if (v.length < 24 || v.length > 4096) return false;
  // Identifiers (UUIDs, hex object ids) are not secrets.
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v)) return false;
  if (!/^[A-Za-z0-9_\-+/=.~]+$/.test(v) || v.startsWith('/') || v.startsWith('.') || v.includes('//')) return false;
  if (!/[0-9]/.test(v) || !/[A-Za-z]/.test(v)) return false;
  // Paths and package names have few distinct characters per length; tokens many.
  return new Set(v).size >= 12 && !/^[a-z0-9.-]+$/.test(v.replace(/[/@]/g, ''));
}

function isReference(v: string): boolean {
  return /\$\{[^}]+\}/.test(v);
}

/** True when the value itself looks like a credential, whatever it is called. */
export function looksLikeSecretValue(v: string): boolean {
  return TOKEN_PREFIX.test(v) || URL_WITH_PASSWORD.test(v) || looksRandom(v);
}

/** True when a variable or header name says it holds a credential. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name) && !NOT_SECRET_NAME.test(name);
}

export function plainValue(v: string): boolean {
  // Booleans, numbers and tiny words are settings, not secrets (AUTH_MODE=oauth, USE_AUTH=true).
  return /^(true|false|yes|no|on|off|none|null|\d{1,6})$/i.test(v) || v.length < 4;
}

/** UPPER_SNAKE form of a server, header or flag name, safe as a variable name. */
export function envName(s: string): string {
  const out = s
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toUpperCase();
  return /^[0-9]/.test(out) ? `_${out}` : out || 'SECRET';
}

/** Every literal secret in one server entry (already converted to the proxy's shape). */
export function findSecrets(server: string, entry: Record<string, unknown>): SecretCandidate[] {
  const out: SecretCandidate[] = [];
  const prefix = envName(server);
  envSecrets(server, entry, out);
  headerSecrets(server, entry, prefix, out);
  if (typeof entry.url === 'string' && !isReference(entry.url)) {
    const u = urlSecret(entry.url, prefix);
    if (u) out.push({ server, field: 'url', key: 'url', original: entry.url, ...u });
  }
  argSecrets(server, entry, prefix, out);
  return out;
}

function envSecrets(server: string, entry: Record<string, unknown>, out: SecretCandidate[]): void {
  const env = entry.env;
  if (env && typeof env === 'object' && !Array.isArray(env)) {
    for (const [k, v] of Object.entries(env as Record<string, unknown>)) {
      if (typeof v !== 'string' || v === '' || isReference(v)) continue;
      const byName = isSecretName(k) && !plainValue(v);
      // A name that says "not a secret" (…_ID, …_PATH) only yields to an unmistakable token.
      const byValue = NOT_SECRET_NAME.test(k)
        ? TOKEN_PREFIX.test(v) || URL_WITH_PASSWORD.test(v)
        : looksLikeSecretValue(v);
      if (byName || byValue) {
        const baseName = /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? k : envName(k);
        out.push({ server, field: 'env', key: k, original: v, secret: v, baseName, replace: (n) => `\${${n}}` });
      }
    }
  }
}

function headerSecrets(server: string, entry: Record<string, unknown>, prefix: string, out: SecretCandidate[]): void {
  const headers = entry.headers;
  if (!headers || typeof headers !== 'object' || Array.isArray(headers)) return;
  const add = (key: string, original: string, secret: string, baseName: string, scheme = '') =>
    out.push({ server, field: 'headers', key, original, secret, baseName, replace: (n) => `${scheme}\${${n}}` });
  for (const [k, v] of Object.entries(headers as Record<string, unknown>)) {
    if (typeof v !== 'string' || v === '' || isReference(v)) continue;
    if (/^(authorization|proxy-authorization)$/i.test(k)) {
      // `Bearer <token>` keeps its scheme; anything else (Basic, a bare value) is moved whole.
      const m = /^(\s*[A-Za-z][\w-]*\s+)(\S.*)$/.exec(v);
      if (m && !/^basic\s/i.test(m[1])) add(k, v, m[2], `${prefix}_TOKEN`, m[1]);
      else add(k, v, v, `${prefix}_AUTHORIZATION`);
      continue;
    }
    if ((isSecretName(k) && !plainValue(v)) || looksLikeSecretValue(v)) add(k, v, v, `${prefix}_${envName(k)}`);
  }
}

function argSecrets(server: string, entry: Record<string, unknown>, prefix: string, out: SecretCandidate[]): void {
  const args = entry.args;
  if (Array.isArray(args)) {
    args.forEach((a, i) => {
      if (typeof a !== 'string' || a === '' || isReference(a)) return;
      // --api-key=VALUE
      const flag = /^(--?[A-Za-z][\w-]*)=(.+)$/.exec(a);
      if (flag && (isSecretName(flag[1]) || looksLikeSecretValue(flag[2])) && !plainValue(flag[2])) {
        const name = `${prefix}_${envName(flag[1])}`;
        out.push({
          server,
          field: 'args',
          key: i,
          original: a,
          secret: flag[2],
          baseName: name,
          replace: (n) => `${flag[1]}=\${${n}}`,
        });
        return;
      }
      // --api-key VALUE
      const prev = i > 0 ? args[i - 1] : undefined;
      // A whole argument that is a secret: after a --token-like flag, a URL with a password, a known token shape.
      const baseName =
        typeof prev === 'string' && /^--?[A-Za-z][\w-]*$/.test(prev) && isSecretName(prev) && !plainValue(a)
          ? `${prefix}_${envName(prev)}`
          : URL_WITH_PASSWORD.test(a)
            ? `${prefix}_URL`
            : TOKEN_PREFIX.test(a)
              ? `${prefix}_TOKEN`
              : undefined;
      if (baseName) {
        out.push({ server, field: 'args', key: i, original: a, secret: a, baseName, replace: (n) => `\${${n}}` });
      }
    });
  }
}

/**
 * A credential inside a URL: a password (`https://user:pass@host`), a query parameter named like a
 * secret (`?api_key=...`), or a path segment that is a token (`/mcp/sk-ak-.../sse`). One per URL.
 */
function urlSecret(raw: string, prefix: string): Pick<SecretCandidate, 'secret' | 'baseName' | 'replace'> | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.password) {
    const m = /^([a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:)([^/\s@]+)(@.*)$/i.exec(raw);
    if (m)
      return {
        secret: decodeURIComponent(m[2]),
        baseName: `${prefix}_PASSWORD`,
        replace: (n) => `${m[1]}\${${n}}${m[3]}`,
      };
  }
  for (const [k, v] of url.searchParams) {
    if (v && !plainValue(v) && (isSecretName(k) || looksLikeSecretValue(v))) {
      const m = new RegExp(`([?&]${escapeRegExp(k)}=)([^&#]*)`).exec(raw);
      if (m) {
        const at = m.index + m[1].length;
        return {
          secret: v,
          baseName: `${prefix}_${envName(k)}`,
          replace: (n) => `${raw.slice(0, at)}\${${n}}${raw.slice(at + m[2].length)}`,
        };
      }
    }
  }
  const segments = url.pathname.split('/');
  const seg = segments.find((p) => p && (TOKEN_PREFIX.test(p) || looksRandom(p)));
  if (seg) {
    const at = raw.indexOf(`/${seg}`) + 1;
    if (at > 0) {
      return {
        secret: seg,
        baseName: `${prefix}_URL_TOKEN`,
        replace: (n) => `${raw.slice(0, at)}\${${n}}${raw.slice(at + seg.length)}`,
      };
    }
  }
  return undefined;
}

/**
 * Chooses a variable name for each secret: the preferred name, unless it is already taken by a different
 * value (in this import or in the credentials file), then `<SERVER>_<NAME>`, then a numeric suffix.
 * The same value under the same name is stored once.
 */
export function nameSecrets(candidates: SecretCandidate[], existing: Record<string, string>): PlannedSecret[] {
  const taken = new Map<string, string>(Object.entries(existing));
  const out: PlannedSecret[] = [];
  for (const c of candidates) {
    const options = [c.baseName];
    const prefixed = `${envName(c.server)}_${c.baseName}`;
    if (!c.baseName.startsWith(`${envName(c.server)}_`)) options.push(prefixed);
    let variable: string | undefined;
    for (const n of options) {
      const v = taken.get(n);
      if (v === undefined || v === c.secret) {
        variable = n;
        break;
      }
    }
    for (let i = 2; variable === undefined; i++) {
      const n = `${options[options.length - 1]}_${i}`;
      const v = taken.get(n);
      if (v === undefined || v === c.secret) variable = n;
    }
    taken.set(variable, c.secret);
    out.push({ ...c, variable, replacement: c.replace(variable) });
  }
  return out;
}

/** Applies planned replacements to a copy of the entry. */
export function applySecrets(entry: Record<string, unknown>, secrets: PlannedSecret[]): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(entry);
  for (const s of secrets) {
    if (s.field === 'url') out.url = s.replacement;
    else if (s.field === 'args') (out.args as string[])[s.key as number] = s.replacement;
    else (out[s.field] as Record<string, string>)[s.key as string] = s.replacement;
  }
  return out;
}
