/**
 * One connect attempt: create the transport (spawn the process, open the HTTP client), run the
 * handshake and the first listing, all within a deadline. A failed attempt leaves nothing behind
 * (its client closed, its process tree stopped) and says how the process ended, if it did. Under
 * `auto`, a server that refuses 2025-11-25 `initialize` is connected once more, for 2026-07-28.
 */
import type { Client, ClientCapabilities } from '@modelcontextprotocol/client';
import type { UpstreamConfig } from '../config/schema.js';
import { startupMark } from '../observability/startupTrace.js';
import { withDeadline } from '../util/async.js';
import { type ClientSetup, createClient, shouldSwitchToModern } from './handshake.js';
import { hasRest, type ListingLog, listAll } from './listings.js';
import type { OpenTransport } from './options.js';
import type { UpstreamCatalog } from './status.js';
import { createTransport, type TransportDeps, type UpstreamTransport } from './transports.js';

/** A live connection to an upstream: the client and the transport under it. */
export interface Link {
  client: Client;
  transport: UpstreamTransport;
}

/** Closes a link no longer used (the client, then what the transport leaves behind); never throws. */
export async function release(link: Link | undefined): Promise<void> {
  await link?.client.close().catch(() => {});
  await link?.transport.dispose().catch(() => {});
}

export interface AttemptInput {
  name: string;
  config: UpstreamConfig;
  transportDeps: TransportDeps;
  openTransport?: OpenTransport;
  client: ClientSetup;
  /** What to declare, once known (stdio: the client's first message); the handshake waits for it. */
  declare?: Promise<ClientCapabilities>;
  /** Per request of the handshake, ms; the whole handshake gets twice this plus a second. */
  timeout: number;
  /** Aborted when the connection closes: the attempt stops at once (its process killed, its request aborted). */
  signal: AbortSignal;
  /** The attempt's result is no longer wanted (the connection closed, or a newer attempt began). */
  stale(): boolean;
  /** The server refused 2025-11-25: the attempt goes on with 2026-07-28, and so should later ones. */
  onModernOnly(e: unknown): void;
  /** List the tools alone (start-up: the rest is listed later, ConnectionOptions.restAfter). */
  toolsFirst?: boolean;
  /** Where an entry of the first listing that was left out is said (listings.ts). */
  log?: ListingLog;
  /** A transport error during the handshake (a banner on stdout is skipped, and said, before the full handler). */
  onEarlyError?(e: Error, client: Client): void;
}

/**
 * `restPending`: the tools were listed first, the prompts and resources are still to list. `ms`: the
 * attempt's own time, without the wait for what to declare (a client that has not spoken yet).
 */
export type AttemptOutcome = Connected | Failed;
export type Connected = Listed & { ms: number };
type Listed = { ok: true; catalog: UpstreamCatalog; restPending: boolean } & Link;
type Failed = { ok: false; error: unknown /** How the process ended, if it did. */; exit?: string };

export async function connectAttempt(input: AttemptInput): Promise<AttemptOutcome> {
  let setup = input.client;
  if (input.declare) {
    try {
      setup = { ...setup, capabilities: await Promise.race([input.declare, whenAborted(input.signal)]) };
    } catch (error) {
      return { ok: false, error };
    }
  }
  const started = performance.now();
  for (;;) {
    const outcome = await connectOnce(input, setup);
    if (outcome.ok) return { ...outcome, ms: Math.round(performance.now() - started) };
    if (input.stale() || !shouldSwitchToModern(input.config.protocol, setup.modernOnly, outcome.error)) return outcome;
    input.onModernOnly(outcome.error);
    setup = { ...setup, modernOnly: true };
  }
}

async function connectOnce(input: AttemptInput, setup: ClientSetup): Promise<Listed | Failed> {
  const { name, timeout } = input;
  const client = createClient(setup);
  const early = input.onEarlyError;
  if (early) {
    client.onerror = (e) => {
      if (e.name === 'StdoutGarbageError') early(e, client);
    };
  }
  let transport: UpstreamTransport | undefined;
  try {
    transport = await (input.openTransport ?? createTransport)(name, input.config, {
      ...input.transportDeps,
      onStderrLine: (line) => input.transportDeps.onStderrLine?.(`[${name}] ${line}`),
    });
    const deadline = timeout * 2 + 1000;
    let restPending = false;
    const handshake = client
      .connect(transport.transport, { timeout })
      .then(() => {
        startupMark(`upstream ${name}: initialized`);
        restPending = input.toolsFirst === true && hasRest(client);
        return listAll(client, timeout, input.log, restPending ? 'tools' : 'all');
      })
      .then((catalog) => {
        startupMark(`upstream ${name}: listed`);
        return catalog;
      });
    // The SDK times each request; this bounds the whole handshake (spawn, probe, initialize, listings).
    const catalog = await withDeadline(
      Promise.race([handshake, whenAborted(input.signal)]),
      deadline,
      `no complete handshake within ${deadline} ms`,
    );
    return { ok: true, client, transport, catalog, restPending };
  } catch (error) {
    await client.close().catch(() => {});
    await transport?.dispose().catch(() => {});
    return { ok: false, error, exit: transport?.describeExit?.() };
  }
}

/** Rejects once `signal` is aborted (at once if it already is). */
function whenAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const abort = () => reject(new Error('the connect attempt was abandoned: the connection is closing'));
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
  });
}
