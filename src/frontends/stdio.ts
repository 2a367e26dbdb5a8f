/**
 * The stdio frontend: one downstream session over this process's stdin/stdout, serving both
 * protocol eras (the SDK's serveStdio decides per connection). stdout carries nothing but JSON-RPC.
 * It takes over from the early reader (earlyStdio.ts) when there is one: what that read comes first,
 * and an initialize it answered is replayed into the session with the same offer, its answer dropped.
 */
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import type { InitializeOffer } from '../aggregator/initializeOffer.js';
import type { Aggregator } from '../aggregator/server.js';
import type { Logger } from '../observability/logger.js';
import { startupMark } from '../observability/startupTrace.js';
import type { EarlyStdio, HandOver } from './earlyStdio.js';
import { stdioWire } from './stdioWire.js';

export interface StdioFrontend {
  /** Resolves when the client closes our stdin. */
  closed: Promise<void>;
  /** Resolves when the client's first message has been taken in (its answer is on the way). */
  firstMessage: Promise<void>;
  close(): Promise<void>;
}

export function startStdioFrontend(
  agg: Aggregator,
  logger: Logger,
  stdin: NodeJS.ReadableStream = process.stdin,
  /** `run --profile NAME`: the one local user sees only this profile. */
  profile?: string,
  /** The reader that took the first message while the proxy loaded. */
  early?: EarlyStdio,
): StdioFrontend {
  const log = logger.child({ component: 'stdio' });
  let gotFirst!: () => void;
  const firstMessage = new Promise<void>((resolve) => {
    gotFirst = resolve;
  });
  const handed = early?.handOver();
  const input = handed?.stdin ?? stdin;
  const wire = stdioWire(input);
  const offer = handed?.answered && answeredOnce(wire, handed.answered);
  const handle = serveStdio(
    (ctx) => {
      startupMark('stdio: first message, session server created');
      gotFirst();
      return agg.createServer({ era: ctx.era, profile, offer });
    },
    {
      transport: wire,
      onerror: (e) => log.debug({ err: e.message }, 'stdio transport error'),
    },
  );
  // What the early reader gave back flows again (the wire is listening now).
  if (handed) input.resume();
  const closed = new Promise<void>((resolve) => {
    const done = () => resolve();
    // The client may have gone before we got here: an end already seen is not emitted again.
    const state = input as { readableEnded?: boolean; destroyed?: boolean };
    if (state.readableEnded || state.destroyed) return resolve();
    input.once('end', done);
    input.once('close', done);
  });
  return {
    closed,
    firstMessage,
    close: () => handle.close(),
  };
}

/**
 * The client already has the answer to its initialize (the early reader's): the session's own answer
 * to the replayed request is not sent again. Returns the offer the session must keep.
 */
function answeredOnce(
  wire: ReturnType<typeof stdioWire>,
  answered: NonNullable<HandOver['answered']>,
): InitializeOffer {
  const send = wire.send;
  wire.send = (message) => {
    if ('id' in message && message.id === answered.id && ('result' in message || 'error' in message)) {
      wire.send = send;
      return Promise.resolve();
    }
    return send.call(wire, message);
  };
  const { capabilities, instructions } = answered.result as unknown as InitializeOffer;
  return instructions === undefined ? { capabilities } : { capabilities, instructions };
}
