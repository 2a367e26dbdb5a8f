/**
 * Access policy as pure functions: which identity may see and use which servers, tools, prompts and
 * resources. Rules apply to the identities their `who` matches; an item is allowed when some applying
 * rule allows it (or `default` is allow) and no applying rule denies it: deny wins. A profile narrows
 * further: it keeps only what it names. Over stdio (the `local` identity) rules do not apply, only a
 * profile chosen with `run --profile`.
 */
import type { AccessConfig } from '../config/schema.js';
import type { Identity } from './identity.js';

export type ItemKind = 'tool' | 'prompt' | 'resource';

/** One thing a caller may see or use: its server and its public name (a URI or URI template for resources). */
export interface Item {
  kind: ItemKind;
  server: string;
  name: string;
}

type Grant = NonNullable<NonNullable<AccessConfig['rules']>[number]['allow']>;
type Who = NonNullable<NonNullable<AccessConfig['rules']>[number]['who']>;
type Matcher = (s: string) => boolean;

interface CompiledGrant {
  servers: Matcher;
  byKind: Record<ItemKind, Matcher>;
}

interface CompiledRule {
  who: (identity: Identity) => boolean;
  allow?: CompiledGrant;
  deny?: CompiledGrant;
}

export interface Policy {
  /** True when the config has an access section (rules apply to HTTP callers). */
  readonly enabled: boolean;
  readonly defaultAllow: boolean;
  readonly rules: readonly CompiledRule[];
  readonly profiles: ReadonlyMap<string, CompiledGrant>;
  /** Whether an identity may administer (the dashboard's config, proxy log and server changes). */
  readonly admin: (identity: Identity) => boolean;
}

/** Who administers when `proxy.access.admin` is not set: the operator's shared token, a loopback proxy
 * with authentication off, and the role "admin". */
export const DEFAULT_ADMIN: readonly Who[] = [{ kinds: ['token', 'anonymous'] }, { roles: ['admin'] }];

function compileAdmin(admin: AccessConfig['admin'] | undefined): (identity: Identity) => boolean {
  const whos = (admin === undefined ? DEFAULT_ADMIN : Array.isArray(admin) ? admin : [admin]).map(compileWho);
  // The local user of a stdio proxy owns its config file anyway.
  return (i) => i.kind === 'local' || whos.some((w) => w(i));
}

const NEVER: Matcher = () => false;

/** Glob: "*" any run of characters (including "/" and the separator), "?" one character. */
export function globMatcher(patterns: readonly string[] | undefined): Matcher {
  if (!patterns?.length) return NEVER;
  if (patterns.includes('*')) return () => true;
  const exact = new Set(patterns.filter((p) => !/[*?]/.test(p)));
  const wild = patterns.filter((p) => /[*?]/.test(p));
  if (!wild.length) return (s) => exact.has(s);
  const re = new RegExp(
    `^(?:${wild
      .map((p) =>
        p
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.'),
      )
      .join('|')})$`,
    's',
  );
  return (s) => exact.has(s) || re.test(s);
}

function compileGrant(g: Grant | undefined): CompiledGrant | undefined {
  if (!g) return undefined;
  return {
    servers: globMatcher(g.servers),
    byKind: { tool: globMatcher(g.tools), prompt: globMatcher(g.prompts), resource: globMatcher(g.resources) },
  };
}

function grants(g: CompiledGrant, item: Item): boolean {
  return g.servers(item.server) || g.byKind[item.kind](item.name);
}

/** A claim value as a list: a list, a string (space-separated for scopes), or nothing. */
function claimValues(v: unknown, split: boolean): string[] {
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === 'string') return split ? v.split(/\s+/).filter(Boolean) : [v];
  if (typeof v === 'number' || typeof v === 'boolean') return [String(v)];
  return [];
}

function compileWho(who: Who | undefined): (identity: Identity) => boolean {
  if (!who) return () => true;
  const checks: ((i: Identity) => boolean)[] = [];
  if (who.kinds) {
    const kinds = new Set<string>(who.kinds);
    checks.push((i) => kinds.has(i.kind));
  }
  if (who.keys) {
    const m = globMatcher(who.keys);
    checks.push((i) => i.kind === 'key' && m(String(i.claims?.name ?? '')));
  }
  if (who.ids) {
    const m = globMatcher(who.ids);
    checks.push((i) => m(i.id));
  }
  if (who.roles) {
    const roles = new Set(who.roles);
    checks.push((i) => i.roles.some((r) => roles.has(r)));
  }
  for (const [claim, want] of Object.entries(who.claims ?? {})) {
    const wanted = new Set(claimValues(want, false));
    checks.push((i) => claimValues(i.claims?.[claim], false).some((v) => wanted.has(v)));
  }
  if (who.scopes) {
    const wanted = new Set(who.scopes);
    checks.push((i) =>
      [...claimValues(i.claims?.scope, true), ...claimValues(i.claims?.scp, true)].some((s) => wanted.has(s)),
    );
  }
  return (i) => checks.every((c) => c(i));
}

export function compilePolicy(access: AccessConfig | undefined): Policy {
  const rules = access?.rules ?? [];
  return {
    // A section that only says who administers restricts nobody's use.
    enabled: access !== undefined && (access.admin === undefined || Object.keys(access).some((k) => k !== 'admin')),
    defaultAllow: access === undefined || access.default === 'allow',
    rules: rules.map((r) => ({ who: compileWho(r.who), allow: compileGrant(r.allow), deny: compileGrant(r.deny) })),
    profiles: new Map(Object.entries(access?.profiles ?? {}).map(([n, g]) => [n, compileGrant(g)!])),
    admin: compileAdmin(access?.admin),
  };
}

/** What one caller (an identity, with the profiles it chose or is bound to) may see and use. */
export interface AccessView {
  allows(item: Item): boolean;
  /** True when it allows everything (listings are then passed through untouched). */
  unrestricted?(): boolean;
}

/** Everything allowed: stdio without a profile, or a proxy without an access section. */
export const ALLOW_ALL: AccessView = { allows: () => true, unrestricted: () => true };

/**
 * The view of `identity` under `policy`: the rules that apply to it are picked once; decisions are
 * remembered per item (a session asks about the same names again and again).
 */
export function accessView(policy: Policy, identity: Identity, profiles: readonly string[] = []): AccessView {
  const rulesApply = policy.enabled && identity.kind !== 'local';
  const chosen = profiles.map((p) => policy.profiles.get(p));
  // A profile that does not exist (any more) keeps nothing: a narrowing must never widen.
  if (chosen.some((p) => p === undefined)) return { allows: () => false };
  if (!rulesApply && chosen.length === 0) return ALLOW_ALL;
  const applying = rulesApply ? policy.rules.filter((r) => r.who(identity)) : [];
  const defaultAllow = !rulesApply || policy.defaultAllow;
  const memo = new Map<string, boolean>();
  const decide = (item: Item): boolean => {
    for (const p of chosen) if (!grants(p!, item)) return false;
    let allowed = defaultAllow;
    for (const r of applying) {
      if (r.deny && grants(r.deny, item)) return false;
      if (!allowed && r.allow && grants(r.allow, item)) allowed = true;
    }
    return allowed;
  };
  return {
    allows(item) {
      const key = `${item.kind}\0${item.server}\0${item.name}`;
      let v = memo.get(key);
      if (v === undefined) {
        v = decide(item);
        if (memo.size > 10_000) memo.clear();
        memo.set(key, v);
      }
      return v;
    },
  };
}

/** The listed items the view allows (`itemOf` says what each one is). */
export function filterListing<T>(view: AccessView, items: readonly T[], itemOf: (t: T) => Item): T[] {
  if (view.unrestricted?.()) return items as T[];
  return items.filter((t) => view.allows(itemOf(t)));
}

/** A catalog entry (its server and the item as served) as a policy item. */
export function itemOf(
  kind: ItemKind,
  entry: { upstream: string; item: { name?: string; uri?: string; uriTemplate?: string } },
): Item {
  return { kind, server: entry.upstream, name: entry.item.name ?? entry.item.uri ?? entry.item.uriTemplate ?? '' };
}

/** Whether the caller may call/get/read `item`. */
export function mayCall(view: AccessView, item: Item): boolean {
  return view.allows(item);
}
