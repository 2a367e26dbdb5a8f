/**
 * Who is calling, as the audit log records it: the identity the frontend resolved (the shared token, a
 * named key, an OIDC subject, `anonymous`, or the one `local` user over stdio) and a hash of the session
 * id (never the id itself, which is a bearer credential for the session).
 */
import { type Identity, LOCAL } from '../gateway/identity.js';
import { sessionHash } from './record.js';

export const LOCAL_IDENTITY: Identity = LOCAL;

/** What a downstream session knows about its caller: the identity and the session's hash. */
export interface Caller {
  identity: Identity;
  /** sessionHash() of the session id, when there is one. */
  session?: string;
}

export function callerOf(identity: Identity | undefined, sessionId?: string): Caller {
  return { identity: identity ?? LOCAL, ...(sessionId ? { session: sessionHash(sessionId) } : {}) };
}
