/**
 * The deprecated HTTP+SSE transport for old clients: `GET /sse` opens a session's event stream and
 * `POST /messages?sessionId=...` delivers the client's messages to it (the transport is sse-transport.ts).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { readJsonBody } from './body.js';
import { sendRefusal, sendRpcError } from './responses.js';
import type { Identity } from './security.js';
import type { RegisteredSession, SessionRegistry } from './sessions.js';
import { SseServerTransport } from './sse-transport.js';
import type { Caller, DownstreamServer, ServerFactory } from './types.js';

export interface LegacySseEndpointOptions {
  sessions: SessionRegistry<RegisteredSession>;
  serverFactory: ServerFactory;
  maxBodyBytes: number;
  keepAliveMs: number;
  onerror: (e: Error) => void;
  log?: Logger;
}

interface SseSession extends RegisteredSession {
  kind: 'sse';
  transport: SseServerTransport;
  server?: DownstreamServer;
}

export class LegacySseEndpoint {
  constructor(private readonly opts: LegacySseEndpointOptions) {}

  /** `GET /sse`: a new session whose stream is this response. */
  async open(res: ServerResponse, cors: Record<string, string>, caller: Caller) {
    const { identity, profile } = caller;
    const { sessions, log } = this.opts;
    const client = caller.client;
    const refused = sessions.admit(client);
    if (refused) return sendRefusal(res, refused);
    const id = randomUUID();
    const transport = new SseServerTransport(res, {
      sessionId: id,
      endpoint: `/messages?sessionId=${id}`,
      keepAliveMs: this.opts.keepAliveMs,
      headers: cors,
    });
    const session: SseSession = {
      id,
      kind: 'sse',
      owner: identity.id,
      client,
      transport,
      close: () => transport.close(),
    };
    sessions.add(session);
    transport.onclose = () => {
      sessions.remove(session);
      log?.debug({ transport: 'sse' }, 'session closed');
      void session.server?.close().catch(() => {});
    };
    transport.onerror = this.opts.onerror;
    try {
      session.server = await this.opts.serverFactory({
        era: 'legacy',
        sessionId: id,
        transport: 'sse',
        identity,
        profile,
      });
      if (transport.isClosed || res.destroyed) {
        // Gone before the stream started: the transport never saw its close, so free the slot here.
        sessions.remove(session);
        await session.server.close().catch(() => {});
        return;
      }
      await session.server.connect(transport);
      log?.debug({ transport: 'sse' }, 'session opened');
    } catch (e) {
      sessions.remove(session);
      throw e;
    }
  }

  /** `POST /messages?sessionId=...`: one message (or batch) for an open session, acknowledged with 202. */
  async post(req: IncomingMessage, res: ServerResponse, url: URL, identity: Identity): Promise<void> {
    const id = url.searchParams.get('sessionId');
    if (!id) return sendRpcError(res, 400, 'Bad Request: sessionId query parameter is required');
    // Another identity's session answers exactly as an unknown one.
    const s = this.opts.sessions.find(id, 'sse', identity) as SseSession | undefined;
    if (!s) return sendRpcError(res, 404, 'Session not found: open a new stream with GET /sse', -32001);
    const body = await readJsonBody(req, res, this.opts.maxBodyBytes);
    if (!body) return;
    try {
      s.transport.handlePostedBody(body.value);
    } catch (e) {
      return sendRpcError(res, 400, `Invalid Request: ${errorMessage(e)}`, -32600);
    }
    res.writeHead(202, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('Accepted');
  }
}
