/**
 * The stdio frontend: one downstream session over this process's stdin/stdout, serving both
 * protocol eras (the SDK's serveStdio decides per connection). stdout carries nothing but JSON-RPC.
 * It takes over from the early reader (earlyStdio.ts) when there is one: what that read comes first,
 * and an initialize it answered is replayed into the session with the same offer, its answer dropped.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import type { InitializeOffer } from '../aggregator/initializeOffer.js';
import type { Aggregator } from '../aggregator/server.js';
import { GRACE_OVER_MESSAGE } from '../lifecycle.js';
import type { Logger } from '../observability/logger.js';
import { startupMark } from '../observability/startupTrace.js';
import type { EarlyStdio, HandOver } from './earlyStdio.js';
import { stdioWire } from './stdioWire.js';

export interface StdioFrontend {
  /** Resolves when the client closes our stdin. */
  closed: Promise<void>;
  /** The client's requests read and not answered yet (shutdown waits for them). */
  pending(): number;
  /** Resolves when the client's first message has been taken in (its answer is on the way), or stdin ended. */
  firstMessage: Promise<void>;
  /**
   * The capabilities the client declared in an `initialize` sent first; undefined when its first message
   * was anything else (a 2026-07-28 client declares per request) or stdin ended before one.
   */
  clientCapabilities: Promise<Record<string, unknown> | undefined>;
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
  // The client's first message as the wire reads it (it is dispatched right after), or none at end of input.
  let gotFirst!: (m: JSONRPCMessage | undefined) => void;
  const first = new Promise<JSONRPCMessage | undefined>((resolve) => {
    gotFirst = resolve;
  });
  const handed = early?.handOver();
  const input = handed?.stdin ?? stdin;
  const wire = stdioWire(input, process.stdout, handed?.answered?.id, gotFirst);
  void wire.inputEnded.then(() => gotFirst(undefined));
  const offer = handed?.answered && offerOf(handed.answered);
  const handle = serveStdio(
    (ctx) => {
      startupMark('stdio: first message, session server created');
      return agg.createServer({ era: ctx.era, profile, offer });
    },
    {
      transport: wire,
      onerror: (e) => log.debug({ err: e.message }, 'stdio transport error'),
    },
  );
  // What the early reader gave back flows again (the wire is listening now).
  if (handed) input.resume();
  return {
    closed: wire.inputEnded,
    pending: () => wire.pendingRequests(),
    firstMessage: first.then(() => {}),
    clientCapabilities: first.then(initializeCapabilities),
    close: () => {
      // Shutdown waited its grace for these: the client gets an answer for each rather than silence.
      wire.abandonPending(GRACE_OVER_MESSAGE);
      return handle.close();
    },
  };
}

function initializeCapabilities(m: JSONRPCMessage | undefined): Record<string, unknown> | undefined {
  if (!m || !('method' in m) || m.method !== 'initialize') return undefined;
  const caps = (m.params as { capabilities?: unknown } | undefined)?.capabilities;
  return caps !== null && typeof caps === 'object' ? (caps as Record<string, unknown>) : {};
}

/** What the early reader offered the client: the session keeps it (the wire drops the session's own answer). */
function offerOf(answered: NonNullable<HandOver['answered']>): InitializeOffer {
  const { capabilities, instructions } = answered.result as unknown as InitializeOffer;
  return instructions === undefined ? { capabilities } : { capabilities, instructions };
}
