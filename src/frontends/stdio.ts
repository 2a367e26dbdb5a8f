/**
 * The stdio frontend: one downstream session over this process's stdin/stdout, serving both
 * protocol eras (the SDK's serveStdio decides per connection). stdout carries nothing but JSON-RPC.
 */
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import type { Aggregator } from '../aggregator/server.js';
import type { Logger } from '../observability/logger.js';
import { startupMark } from '../observability/startupTrace.js';
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
): StdioFrontend {
  const log = logger.child({ component: 'stdio' });
  let gotFirst!: () => void;
  const firstMessage = new Promise<void>((resolve) => {
    gotFirst = resolve;
  });
  const handle = serveStdio(
    (ctx) => {
      startupMark('stdio: first message, session server created');
      gotFirst();
      return agg.createServer({ era: ctx.era, profile });
    },
    {
      transport: stdioWire(),
      onerror: (e) => log.debug({ err: e.message }, 'stdio transport error'),
    },
  );
  const closed = new Promise<void>((resolve) => {
    const done = () => resolve();
    // The client may have gone before we got here: an end already seen is not emitted again.
    const state = stdin as { readableEnded?: boolean; destroyed?: boolean };
    if (state.readableEnded || state.destroyed) return resolve();
    stdin.once('end', done);
    stdin.once('close', done);
  });
  return {
    closed,
    firstMessage,
    close: () => handle.close(),
  };
}
