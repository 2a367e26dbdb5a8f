/**
 * A connected server's catalog listed again: all of it after the server's list_changed, and the prompts
 * and resources of a connect that listed its tools first (listings.ts, ListingPart) once start-up lets
 * them go. A listing answered after its connection was replaced is dropped.
 */
import type { Client } from '@modelcontextprotocol/client';
import { errorMessage } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Latch } from '../util/async.js';
import { type ListingLog, listAll } from './listings.js';
import { detached } from './origin.js';
import type { StatusKeeper } from './status.js';

export interface RelistingPort {
  log: Logger;
  redact(text: string): string;
  report: StatusKeeper;
  requestTimeout: number;
  /** The client of connect `generation`, while it is the current one. */
  client(generation: number): Client | undefined;
  current(generation: number): boolean;
  /** Tells the pool the catalog is whole now, also when the rest changed nothing. */
  emitCatalog(): void;
}

export class Relisting {
  /** Where a listing's entries left out are said: names masked before the warning cuts them short. */
  readonly listingLog: ListingLog;
  private rest?: Promise<void>;

  /** `restAfter`: when the rest of a tools-first connect may be listed (unset: nothing is listed tools first). */
  constructor(
    private readonly port: RelistingPort,
    private readonly restAfter?: Latch,
  ) {
    this.listingLog = { warn: (message) => port.log.warn(message), redact: port.redact };
  }

  /** Whether a connect now lists its tools first. */
  get toolsFirst(): boolean {
    return this.restAfter?.opened === false;
  }

  /** Set while the prompts and resources of a connect that listed its tools first are still to list. */
  get pending(): Promise<void> | undefined {
    return this.rest;
  }

  /** Connect `generation` listed its tools only (or everything: `pending` false). */
  connected(generation: number, pending: boolean): void {
    this.rest = pending ? this.listRest(generation) : undefined;
  }

  /** Re-lists everything after a list_changed; the status keeper announces what changed. */
  refresh(generation: number): Promise<void> {
    const { port } = this;
    return detached(async () => {
      const client = port.client(generation);
      if (!client) return;
      try {
        const catalog = await listAll(client, port.requestTimeout, this.listingLog);
        if (port.current(generation)) port.report.relisted(catalog);
      } catch (e) {
        port.log.warn({ err: errorMessage(e) }, 'could not refresh the catalog');
      }
    });
  }

  private async listRest(generation: number): Promise<void> {
    const { port } = this;
    await this.restAfter?.promise;
    try {
      const client = port.client(generation);
      if (!client) return;
      const rest = await listAll(client, port.requestTimeout, this.listingLog, 'rest');
      if (!port.current(generation)) return;
      this.rest = undefined;
      const whole = { ...rest, tools: port.report.catalog.tools };
      // Debug: the `connected` line said they come next (one info line per server at start-up).
      if (!port.report.relisted(whole, 'prompts and resources listed', 'debug')) port.emitCatalog();
    } catch (e) {
      if (port.current(generation)) {
        port.log.warn({ err: errorMessage(e) }, 'could not list its prompts and resources; its tools are served');
      }
    } finally {
      if (port.current(generation)) this.rest = undefined;
    }
  }
}
