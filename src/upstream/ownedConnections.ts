/**
 * Connections a downstream session owns (servers with isolation "session"): one per session and
 * server, started on first use, closed when the session ends or a reload changes the server. Each is
 * told what its session's client declared (the bridge knows it; handshake.ts declaredFor), as the server
 * would be directly; a shared connection serves every session, so it is told everything the proxy relays.
 */
import type { UpstreamConfig } from '../config/schema.js';
import { noopMetrics } from '../observability/metrics.js';
import { UpstreamConnection } from './connection.js';
import { declaredFor } from './handshake.js';
import type { ConnectionOptions, DownstreamBridge } from './options.js';

export interface OwnedConnectionsPort {
  /** The options a (shared) connection to `name` is made with. */
  options(name: string, config: UpstreamConfig): ConnectionOptions;
  bridge(): DownstreamBridge | undefined;
}

export class OwnedConnections {
  /** owner -> server name -> connection */
  private readonly byOwner = new Map<object, Map<string, UpstreamConnection>>();

  constructor(private readonly port: OwnedConnectionsPort) {}

  /** The owner's connection to `name`, made and started on first use. */
  get(owner: object, name: string, config: UpstreamConfig): UpstreamConnection {
    let mine = this.byOwner.get(owner);
    if (!mine) {
      mine = new Map();
      this.byOwner.set(owner, mine);
    }
    let conn = mine.get(name);
    if (!conn) {
      conn = this.create(owner, name, config);
      mine.set(name, conn);
    }
    return conn;
  }

  private create(owner: object, name: string, config: UpstreamConfig): UpstreamConnection {
    const opts = this.port.options(name, config);
    const capabilities = this.port.bridge()?.capabilities?.(owner);
    const declare = capabilities ? Promise.resolve(declaredFor(capabilities)) : opts.declare;
    // Its catalog is the shared connection's; its gauges would overwrite the shared one's.
    const conn = new UpstreamConnection({ ...opts, owner, declare, metrics: noopMetrics });
    void conn.start();
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
