/**
 * Upstreams that live in the test process: each connect attempt of an UpstreamConnection gets a real
 * SDK server over the SDK's InMemoryTransport (through the connection's `openTransport` port), or,
 * in `hang` mode, a transport nobody answers on. Counts the attempts and can end the newest server's
 * connection the way a crash does.
 */
import { InMemoryTransport } from '@modelcontextprotocol/client';
import { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { UpstreamConfig } from '../../src/config/schema.js';
import { AppError } from '../../src/errors.js';
import { createLogger } from '../../src/observability/logger.js';
import { noopMetrics } from '../../src/observability/metrics.js';
import type { ConnectionOptions, OpenTransport } from '../../src/upstream/options.js';

/** ok: a real server answers; hang: nobody answers; refuse: the transport cannot be opened (permanent). */
export type UpstreamMode = 'ok' | 'hang' | 'refuse';

export class InMemoryUpstream {
  mode: UpstreamMode = 'ok';
  /** Connect attempts so far (each one opens a transport). */
  opens = 0;
  /** Transports of attempts that were closed again (by a failed attempt, a crash or close()). */
  closed = 0;
  private newest?: InMemoryTransport;

  readonly open: OpenTransport = async (_name, config) => {
    this.opens++;
    if (this.mode === 'refuse') throw new AppError('UPSTREAM_FAILED', 'command not found: in-memory');
    const [client, server] = InMemoryTransport.createLinkedPair();
    if (this.mode === 'ok') {
      await buildServer().connect(server);
      this.newest = server;
    }
    return { transport: wrapClose(client, () => this.closed++), kind: config.type, dispose: async () => {} };
  };

  /** The server side of the newest connection goes away, as when a process exits. */
  async crash(): Promise<void> {
    await this.newest?.close();
  }
}

/** The SDK's InMemoryTransport leaves onclose to whoever connects last; count closes independently. */
function wrapClose(t: InMemoryTransport, onClosed: () => void): InMemoryTransport {
  const close = t.close.bind(t);
  let counted = false;
  t.close = async () => {
    if (!counted) onClosed();
    counted = true;
    await close();
  };
  return t;
}

function buildServer(): McpServer {
  const server = new McpServer({ name: 'mem', version: '1.0.0' });
  server.registerTool('echo', { inputSchema: z.object({ text: z.string() }) }, async ({ text }) => ({
    content: [{ type: 'text', text }],
  }));
  server.registerTool('hang', { description: 'never answers' }, () => new Promise(() => {}));
  return server;
}

/** Options for a connection to `upstream`, with small timings a fake clock can step through. */
export function memoryConnection(
  upstream: InMemoryUpstream,
  overrides: Partial<ConnectionOptions> & { type?: UpstreamConfig['type'] } = {},
): ConnectionOptions {
  const { type = 'stdio', ...rest } = overrides;
  const config = (
    type === 'stdio' ? { type, command: 'in-memory' } : { type, url: 'http://in-memory.invalid/mcp' }
  ) as UpstreamConfig;
  const logger = createLogger({ level: 'silent', format: 'json' });
  return {
    name: 'mem',
    config,
    transportDeps: { logger, env: {}, cwd: process.cwd(), runId: 'test' },
    logger,
    metrics: noopMetrics,
    connectTimeout: 1000,
    requestTimeout: 1000,
    retry: { initialDelay: 100, maxDelay: 1000, maxAttempts: 0, maxRestarts: 3, restartWindow: 10_000 },
    breaker: { failureThreshold: 3, halfOpenAfter: 5000 },
    openTransport: upstream.open,
    ...rest,
  };
}
