/**
 * Who is calling, as far as the frontend knows: the HTTP auth step's identity ('token' when one of the
 * MCP_PROXY_TOKEN values matched, 'anonymous' when auth is off), or the one local user over stdio.
 * One small function, so a richer auth step (named keys, OIDC) replaces it in one place.
 */
import type { Identity as HttpIdentity } from '../frontends/http/security.js';
import type { Identity } from '../gateway/identity.js';
import { sessionHash } from './record.js';

export const LOCAL_IDENTITY: Identity = Object.freeze({ id: 'local', kind: 'local', roles: [] as string[] });

/** What a downstream session knows about its caller: the identity and the session's hash. */
export interface Caller {
  identity: Identity;
  /** sessionHash() of the session id, when there is one. */
  session?: string;
}

export function callerIdentity(http: HttpIdentity | undefined): Identity {
  if (!http) return LOCAL_IDENTITY;
  if (http.kind === 'token') return { id: http.key, kind: 'token', roles: [] };
  return { id: 'anonymous', kind: 'anonymous', roles: [] };
}

export function callerOf(http: HttpIdentity | undefined, sessionId?: string): Caller {
  return { identity: callerIdentity(http), ...(sessionId ? { session: sessionHash(sessionId) } : {}) };
}
