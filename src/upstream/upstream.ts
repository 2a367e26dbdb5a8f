/**
 * What the rest of the proxy sees of one configured server: a single connection (connection.ts) or
 * a group of replicas behind the one name (group.ts). The aggregator lists, calls and reports
 * through this and never needs to know which it holds.
 */
import type { EventEmitter } from 'node:events';
import type { Client, ServerCapabilities } from '@modelcontextprotocol/client';
import type { UpstreamConfig } from '../config/schema.js';
import type { CallOptions } from './options.js';
import type { UpstreamCatalog, UpstreamState, UpstreamStatus } from './status.js';

/** Emits 'status' and 'catalog'. */
export interface Upstream extends EventEmitter {
  readonly name: string;
  readonly config: UpstreamConfig;
  readonly state: UpstreamState;
  readonly catalog: UpstreamCatalog;
  readonly lastError: string | undefined;
  readonly requestTimeout: number;
  readonly instructions?: string;
  readonly capabilities?: ServerCapabilities;
  readonly serverInfo?: { name: string; version: string };
  /** Set while the prompts and resources of a connect that listed its tools first are still to list. */
  readonly restListing?: Promise<void>;
  status(): UpstreamStatus;
  start(): Promise<void>;
  call<T>(fn: (client: Client) => Promise<T>, opts?: CallOptions): Promise<T>;
  refresh(): Promise<void>;
  notifyRootsChanged(): Promise<void>;
  retire(graceMs: number): Promise<void>;
  close(): Promise<void>;
}
