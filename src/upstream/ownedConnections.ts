/**
 * Connections a downstream session owns (servers with isolation "session"): one per session and
 * server, started on first use, closed when the session ends or a reload changes the server.
 */
import type { UpstreamConnection } from './connection.js';

export class OwnedConnections {
  /** owner -> server name -> connection */
  private readonly byOwner = new Map<object, Map<string, UpstreamConnection>>();

  /** The owner's connection to `name`, made by `create` on first use. */
  get(owner: object, name: string, create: () => UpstreamConnection): UpstreamConnection {
    let mine = this.byOwner.get(owner);
    if (!mine) {
      mine = new Map();
      this.byOwner.set(owner, mine);
    }
    let conn = mine.get(name);
    if (!conn) {
      conn = create();
      mine.set(name, conn);
    }
    return conn;
  }

  owners(): object[] {
    return [...this.byOwner.keys()];
  }

  /** Closes what `owner` owned (its session ended). */
  async release(owner: object): Promise<void> {
    const mine = this.byOwner.get(owner);
    if (!mine) return;
    this.byOwner.delete(owner);
    await Promise.all([...mine.values()].map((c) => c.close()));
  }

  /** Closes every owner's connection to one of `names`; the owners reconnect on next use. */
  async retire(names: Set<string>): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const mine of this.byOwner.values()) {
      for (const [name, conn] of mine) {
        if (!names.has(name)) continue;
        mine.delete(name);
        closing.push(conn.close());
      }
    }
    await Promise.all(closing);
  }

  get count(): number {
    let n = 0;
    for (const mine of this.byOwner.values()) n += mine.size;
    return n;
  }
}
