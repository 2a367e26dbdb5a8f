/**
 * Who is calling. Every HTTP request resolves to an identity before anything else (the shared token, a
 * named API key, an OIDC subject with its claims); stdio is the one local user. Sessions are bound to the
 * identity that opened them, and policy (policy.ts) decides per identity what it sees and may call.
 * An identity never holds a credential: `id` is stable and safe to log.
 */
export interface Identity {
  /** `key:NAME`, `oidc:SUBJECT`, `token:FINGERPRINT`, `anonymous`, `local`. */
  id: string;
  kind: 'key' | 'oidc' | 'token' | 'anonymous' | 'local';
  roles: string[];
  /** OIDC: the token's claims. Keys: `{ name, profile? }`. */
  claims?: Record<string, unknown>;
}

/** Auth is off (a loopback bind without credentials): every request is this one. */
export const ANONYMOUS: Identity = Object.freeze({ id: 'anonymous', kind: 'anonymous', roles: [] }) as Identity;

/** The single local user of a stdio proxy. */
export const LOCAL: Identity = Object.freeze({ id: 'local', kind: 'local', roles: [] }) as Identity;

/** The profile an identity is bound to (a key created with `--profile`), if any. */
export function boundProfile(identity: Identity | undefined): string | undefined {
  const p = identity?.kind === 'key' ? identity.claims?.profile : undefined;
  return typeof p === 'string' ? p : undefined;
}
