/**
 * The open 2025-era sessions (Streamable HTTP and legacy SSE) of the HTTP frontend: their limits (in all
 * and per client address) and their binding to the identity that opened them. A session id alone is not
 * enough to use a session: a lookup by another identity finds nothing, exactly as for an unknown id, so
 * a leaked or guessed id neither works nor reveals that the session exists.
 */
import type { Identity } from './security.js';

export type SessionKind = 'streamable-http' | 'sse';

export interface RegisteredSession {
  readonly id: string;
  readonly kind: SessionKind;
  /** `Identity.id` of the credential that opened the session. */
  readonly owner: string;
  /** The client address that opened it (for the per-address limit). */
  readonly client: string;
  /** Ends the session (its transport and server); at shutdown every open session is closed this way. */
  close(why: string): Promise<void>;
}

export interface SessionLimits {
  /** Open sessions in all. */
  maxSessions: number;
  /** Open sessions per client address. */
  maxSessionsPerClient: number;
}

/** Why a new session is refused: the HTTP status and a message that names the setting to raise. */
export interface SessionRefusal {
  status: 429 | 503;
  message: string;
}

export class SessionRegistry<S extends RegisteredSession> {
  private readonly byId = new Map<string, S>();
  private readonly perClient = new Map<string, number>();
  private readonly perOwner = new Map<string, number>();
  private readonly perKind: Record<SessionKind, number> = { 'streamable-http': 0, sse: 0 };

  /** `onchange` runs after every add and remove (the open-session gauges follow it). */
  constructor(
    private readonly limits: SessionLimits,
    private readonly onchange: () => void = () => {},
  ) {}

  get size(): number {
    return this.byId.size;
  }

  count(kind: SessionKind): number {
    return this.perKind[kind];
  }

  /** Open sessions per identity (`Identity.id`; only identities with one open). */
  byOwner(): Record<string, number> {
    return Object.fromEntries(this.perOwner);
  }

  values(): IterableIterator<S> {
    return this.byId.values();
  }

  /** Whether `client` may open one more session now. */
  admit(client: string): SessionRefusal | undefined {
    if (this.byId.size >= this.limits.maxSessions) {
      return {
        status: 503,
        message: `Service Unavailable: too many open sessions (limit ${this.limits.maxSessions}); close one or raise proxy.http.maxSessions`,
      };
    }
    const mine = this.perClient.get(client) ?? 0;
    if (mine >= this.limits.maxSessionsPerClient) {
      return {
        status: 429,
        message: `Too Many Requests: this client address has ${mine} open sessions (limit ${this.limits.maxSessionsPerClient}); close one or raise proxy.http.maxSessionsPerClient`,
      };
    }
    return undefined;
  }

  add(s: S): void {
    this.byId.set(s.id, s);
    this.perClient.set(s.client, (this.perClient.get(s.client) ?? 0) + 1);
    this.perOwner.set(s.owner, (this.perOwner.get(s.owner) ?? 0) + 1);
    this.perKind[s.kind]++;
    this.onchange();
  }

  /** Removes `s` (if it is still the session under its id); true when it was there. */
  remove(s: S): boolean {
    if (this.byId.get(s.id) !== s) return false;
    this.byId.delete(s.id);
    const n = (this.perClient.get(s.client) ?? 1) - 1;
    if (n <= 0) this.perClient.delete(s.client);
    else this.perClient.set(s.client, n);
    const o = (this.perOwner.get(s.owner) ?? 1) - 1;
    if (o <= 0) this.perOwner.delete(s.owner);
    else this.perOwner.set(s.owner, o);
    this.perKind[s.kind]--;
    this.onchange();
    return true;
  }

  /** The session `id` of this kind when `identity` opened it; otherwise undefined, as for an unknown id. */
  find(id: string, kind: SessionKind, identity: Identity): S | undefined {
    const s = this.byId.get(id);
    if (!s || s.kind !== kind || s.owner !== identity.id) return undefined;
    return s;
  }
}
