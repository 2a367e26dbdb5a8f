/**
 * Listens: `startHttpFrontend` builds the app, binds host:port and returns the URL and a closer.
 * `mcp-proxy run --transport http` calls it.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULTS } from '../../config/schema.js';
import { AppError } from '../../errors.js';
import { createHttpApp, type HttpApp, type HttpAppDeps } from './app.js';
import { assertSafeBind, defaultAllowedHosts } from './security.js';

export interface StartHttpFrontendOptions extends Omit<HttpAppDeps, 'allowedHosts'> {
  /** Bind address (default 127.0.0.1). */
  host?: string;
  /** Port (default 8765; 0 picks a free one). */
  port?: number;
  /** Allowed Host header names; default: the loopback names when bound to loopback, else any. */
  allowedHosts?: string[];
  /** Permit a non-loopback bind without tokens (something in front authenticates). */
  allowUnauthenticated?: boolean;
  /** Time a client has to send a whole request (headers and body), ms; 0 = no limit. Default 30 s. */
  requestTimeoutMs?: number;
  /** Time a client has to send a request's headers, ms (at most requestTimeoutMs); 0 = no limit. Default 10 s. */
  headersTimeoutMs?: number;
  /** Open TCP connections at once; further ones are closed as they come. Default 2048. */
  maxConnections?: number;
}

/**
 * Request timeouts and the connection cap. Both timeouts cover only what the client sends: Node stops
 * counting once a request is fully read, so a long tool call or an SSE response stream is never cut.
 */
export const CONNECTION_DEFAULTS = {
  requestTimeoutMs: DEFAULTS.http.requestTimeoutMs,
  headersTimeoutMs: DEFAULTS.http.headersTimeoutMs,
  maxConnections: DEFAULTS.http.maxConnections,
} as const;

export interface HttpFrontend {
  /** The Streamable HTTP endpoint, e.g. http://127.0.0.1:8765/mcp. */
  url: string;
  /** Base URL without path, e.g. http://127.0.0.1:8765. */
  baseUrl: string;
  port: number;
  host: string;
  app: HttpApp;
  server: HttpServer;
  close(): Promise<void>;
}

export async function startHttpFrontend(options: StartHttpFrontendOptions): Promise<HttpFrontend> {
  const host = options.host ?? DEFAULTS.host;
  const port = options.port ?? DEFAULTS.port;
  const auth = options.auth;
  // Keys and OIDC count as authentication like the shared token (the guard then requires one of them).
  const credentials = [
    ...(auth?.tokens ?? []),
    ...((auth?.keys?.size ?? 0) > 0 || auth?.oidc ? ['(keys or oidc)'] : []),
  ];
  assertSafeBind(host, credentials, options.allowUnauthenticated ?? false);
  const app = createHttpApp({ ...options, allowedHosts: defaultAllowedHosts(host, options.allowedHosts) });
  const requestTimeout = options.requestTimeoutMs ?? CONNECTION_DEFAULTS.requestTimeoutMs;
  let headersTimeout = options.headersTimeoutMs ?? CONNECTION_DEFAULTS.headersTimeoutMs;
  if (requestTimeout > 0 && (headersTimeout === 0 || headersTimeout > requestTimeout)) headersTimeout = requestTimeout;
  const shortest = Math.min(...[requestTimeout, headersTimeout].filter((t) => t > 0));
  const server = createServer(
    {
      requestTimeout,
      headersTimeout,
      // Node checks the timeouts on this interval (default 30 s): a fraction of the shortest one.
      connectionsCheckingInterval: Number.isFinite(shortest) ? Math.min(5_000, Math.max(50, shortest / 4)) : 30_000,
    },
    app.handler,
  );
  server.maxConnections = options.maxConnections ?? CONNECTION_DEFAULTS.maxConnections;
  // Keep-alive sockets are reused by clients.
  server.keepAliveTimeout = 65_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    await app.close();
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') {
      throw new AppError('HTTP_LISTEN', `port ${port} on ${host} is already in use`, {
        hint: 'stop the other process or choose another port with --port (or proxy.port in the config)',
        cause: e,
      });
    }
    if (err.code === 'EACCES') {
      throw new AppError('HTTP_LISTEN', `not allowed to listen on ${host}:${port}`, {
        hint: 'ports below 1024 need privileges; choose a port such as 8765',
        cause: e,
      });
    }
    if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') {
      throw new AppError('HTTP_LISTEN', `cannot bind ${host}: no such local address`, {
        hint: 'use 127.0.0.1 (local only) or 0.0.0.0 (all interfaces)',
        cause: e,
      });
    }
    throw new AppError('HTTP_LISTEN', `cannot listen on ${host}:${port}: ${err.message}`, { cause: e });
  }
  const addr = server.address() as AddressInfo;
  const urlHost = addr.family === 'IPv6' || host.includes(':') ? `[${addr.address}]` : host;
  const baseUrl = `http://${urlHost}:${addr.port}`;
  let closing: Promise<void> | undefined;
  return {
    url: `${baseUrl}/mcp`,
    baseUrl,
    port: addr.port,
    host,
    app,
    server,
    close() {
      closing ??= (async () => {
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        await app.close();
        server.closeAllConnections();
        await serverClosed;
      })();
      return closing;
    },
  };
}
