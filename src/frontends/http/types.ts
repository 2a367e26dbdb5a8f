/**
 * What the HTTP frontend is given from outside: the factory of downstream MCP servers and the status it
 * reports on /ready.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JSONRPCMessage, McpServer, Server } from '@modelcontextprotocol/server';
import type { Abortable } from '../../util/lazyAbort.js';
import type { Identity } from './security.js';

/** What the pool reports per upstream (a local, minimal view of the pool's snapshot). */
export interface UpstreamStatus {
  name: string;
  type: string;
  state: string;
  tools: number;
  prompts: number;
  resources: number;
  lastError?: string;
  latencyMs?: number;
  restarts?: number;
  breaker?: string;
  /** A server with replicas: how calls are spread, and each replica's own status. */
  balance?: string;
  replicas?: (UpstreamStatus & { backup?: boolean; weight?: number; outstanding?: number })[];
  /** Replicas whose catalogs differ. */
  catalogMismatch?: string;
}

export interface HttpStatus {
  /** True once the first upstream connect round is done (`pool.firstRoundDone`). */
  ready: boolean;
  upstreams: UpstreamStatus[];
}

/** The downstream MCP server for one session (the aggregator's `Server`, or an `McpServer` in tests). */
export type DownstreamServer = Server | McpServer;

export interface ServerFactoryContext {
  era: 'legacy' | 'modern';
  /** Set for sessionful 2025-era sessions (Streamable HTTP and legacy SSE). */
  sessionId?: string;
  /** Which downstream transport the server will be connected to. */
  transport: 'streamable-http' | 'sse';
  /** Who opened the session or sent the request: the auth step's identity, never a credential. */
  identity?: Identity;
  /** The profile the client chose (`/mcp?profile=NAME`), checked already. */
  profile?: string;
}

/** Who a request comes from, its client address, and the profile it chose. */
export interface Caller {
  identity: Identity;
  client: string;
  profile?: string;
}

export type ServerFactory = (ctx: ServerFactoryContext) => DownstreamServer | Promise<DownstreamServer>;

/** The web dashboard, when enabled: its public files and its API (see src/dashboard). */
export interface DashboardRoutes {
  /** Static files and the API document, before authentication (nothing secret): true when answered. */
  servePublic(res: ServerResponse, path: string, method: string): boolean | Promise<boolean>;
  /** /api/v1/..., after authentication, for the identity the request proved. */
  api(req: IncomingMessage, res: ServerResponse, identity: Identity, url: URL, path: string): Promise<void>;
}

/**
 * Serves a 2026-07-28 request's hot methods without an SDK Server per request (the aggregator's
 * stateless handler); absent, every 2026 request goes through the SDK handler.
 */
export interface StatelessHot {
  /** Whether `method` is served (a hot method whose capability is offered now). */
  serves(method: string): boolean;
  /** Serves one request: its answer is a JSON-RPC response as JSON text, and the HTTP status. */
  handle(req: {
    id: string | number;
    method: string;
    params: Record<string, unknown>;
    identity?: Identity;
    profile?: string;
    /**
     * Aborted when the client closes the response (the request's cancellation on this revision); its
     * AbortSignal is built only if something reads it.
     */
    abortable: Abortable;
    /**
     * Aborts `abortable` from the handler's side: a call paused for input, answered already, that its
     * caller never resumes is cancelled upstream through it.
     */
    abort(reason: Error): void;
    /** A message related to the request (progress, a log), streamed ahead of the answer. */
    notify(message: JSONRPCMessage): void;
  }): Promise<{ text: string; status: number }>;
}
