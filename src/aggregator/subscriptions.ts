/**
 * Resource subscriptions, shared by the sessions: an upstream is subscribed once per URI however
 * many sessions asked, and unsubscribed when the last one leaves. A 2025-11-25 upstream gets
 * `resources/subscribe`; a 2026-07-28 upstream has no such method, so the proxy holds a
 * `subscriptions/listen` stream for the URI instead, whose `notifications/resources/updated` reach
 * the same handler a 2025 upstream's do.
 */
import type { Client } from '@modelcontextprotocol/client';
import type { Session } from './sessions.js';

/** Runs a request on an upstream's client (the aggregator's forward: errors, metrics, breaker). */
export type Forward = (method: string, upstream: string, fn: (client: Client) => Promise<unknown>) => Promise<unknown>;

/** The upstream and its own URI for a public URI (throws when no upstream owns it). */
export type Route = (uri: string) => { upstream: string; uri: string };

interface Listening {
  close(): Promise<void>;
}

export function isModernClient(client: Client): boolean {
  const v = client.getNegotiatedProtocolVersion();
  return v !== undefined && v >= '2026-07-28';
}

export class Subscriptions {
  /** Public URI -> ids of the sessions subscribed to it. */
  private readonly subscribers = new Map<string, Set<number>>();
  /** Public URI -> the listen stream held open on a 2026-07-28 upstream. */
  private readonly listening = new Map<string, Listening>();

  constructor(
    private readonly forward: Forward,
    private readonly route: Route,
  ) {}

  /** A session's resources/subscribe: an unknown URI fails before anything is recorded. */
  async subscribe(session: Session, uri: string): Promise<void> {
    await this.add(session.id, uri, this.route(uri));
    session.subscriptions.add(uri);
  }

  /** A session's resources/unsubscribe (also each of its subscriptions when it closes). */
  async unsubscribe(session: Session, uri: string): Promise<void> {
    session.subscriptions.delete(uri);
    await this.remove(session.id, uri);
  }

  /** The sessions subscribed to a public URI. */
  sessionsOf(uri: string): Iterable<number> {
    return this.subscribers.get(uri) ?? [];
  }

  private async add(session: number, uri: string, target: { upstream: string; uri: string }): Promise<void> {
    let subs = this.subscribers.get(uri);
    if (!subs) {
      subs = new Set();
      this.subscribers.set(uri, subs);
    }
    const first = subs.size === 0;
    subs.add(session);
    if (!first) return;
    try {
      await this.forward('resources/subscribe', target.upstream, async (client) => {
        if (!isModernClient(client)) return client.subscribeResource({ uri: target.uri });
        const sub = await client.listen({ resourceSubscriptions: [target.uri] });
        this.listening.set(uri, sub);
        // The upstream ended the stream (restart, reconnect): the next subscriber opens a new one.
        void sub.closed.then(() => {
          if (this.listening.get(uri) === sub) this.listening.delete(uri);
        });
        return {};
      });
    } catch (e) {
      subs.delete(session);
      if (subs.size === 0) this.subscribers.delete(uri);
      throw e;
    }
  }

  private async remove(session: number, uri: string): Promise<void> {
    const subs = this.subscribers.get(uri);
    if (!subs?.delete(session) || subs.size > 0) return;
    this.subscribers.delete(uri);
    const listen = this.listening.get(uri);
    if (listen) {
      this.listening.delete(uri);
      await listen.close().catch(() => {});
      return;
    }
    try {
      const t = this.route(uri);
      await this.forward('resources/unsubscribe', t.upstream, (c) => c.unsubscribeResource({ uri: t.uri }));
    } catch {
      // the upstream may be gone; nothing to undo
    }
  }
}
