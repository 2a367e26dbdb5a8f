/**
 * A 2025-era HTTP upstream may forget the session the proxy holds (it restarted, or expired it). The
 * connection then re-initializes; a read-only request is sent once more on the new session, anything
 * else fails with an error that says it was not sent again. Which method a call sends is recorded by
 * wrapping the client in a Proxy, for callers that do not say.
 */
import type { Client } from '@modelcontextprotocol/client';
import type { UpstreamConfig } from '../config/schema.js';
import { AppError, errorMessage } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { briefly, httpStatus } from './errors.js';

/** Methods that do not change anything upstream: safe to send again after a re-initialize. */
const READ_ONLY_METHODS = new Set([
  'tools/list',
  'prompts/list',
  'prompts/get',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'completion/complete',
  'ping',
]);
const CLIENT_CALL_METHODS: Record<string, string> = {
  listTools: 'tools/list',
  listPrompts: 'prompts/list',
  getPrompt: 'prompts/get',
  listResources: 'resources/list',
  listResourceTemplates: 'resources/templates/list',
  readResource: 'resources/read',
  complete: 'completion/complete',
  ping: 'ping',
  callTool: 'tools/call',
  subscribeResource: 'resources/subscribe',
  unsubscribeResource: 'resources/unsubscribe',
};

/** Wraps a client so the first request method it is asked for is recorded (read-only detection). */
export function recordMethod(client: Client, seen: { method?: string }): Client {
  if (seen.method) return client;
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof prop === 'string' && typeof value === 'function') {
        const m = CLIENT_CALL_METHODS[prop];
        if (m || prop === 'request') {
          return (...args: unknown[]) => {
            seen.method ??= m ?? (args[0] as { method?: string } | undefined)?.method;
            return value.apply(target, args);
          };
        }
        return value.bind(target);
      }
      return value;
    },
  });
}

/**
 * The server forgot the 2025-era session this connection holds. The spec says 404; servers built
 * on the SDK's Express examples answer 400 "No valid session ID provided", and a fresh SDK transport
 * answers 400 "Server not initialized".
 */
export function isSessionExpired(type: UpstreamConfig['type'], sessionId: string | undefined, e: unknown): boolean {
  if (type !== 'http' || !sessionId) return false;
  const status = httpStatus(e);
  if (status === 404) return true;
  const msg = errorMessage(e).toLowerCase();
  if (status === 400) return /session|not initialized/.test(msg);
  return msg.includes('session not found') || msg.includes('unknown session');
}

/** What recovering from an expired session needs from the connection. */
export interface ExpiryPort {
  name: string;
  log: Logger;
  /** Drops the expired session and initializes a new one. */
  reconnect(reason: string): Promise<boolean>;
  /** The re-initialize another call already started (or whether the connection is ready). */
  pending(): Promise<boolean>;
  /** Counts an expiry that was followed by a successful re-initialize. */
  noteExpiry(why: string): void;
  current(): Client | undefined;
  lastError(): string | undefined;
}

/**
 * A call failed because the session expired. `first` is true for the call that found out (it
 * starts the re-initialize; concurrent calls on the same session share it). Resends a read-only
 * request on the fresh client, otherwise throws an error that says what happened.
 */
export async function recoverFromExpiry<T>(
  e: unknown,
  first: boolean,
  method: string,
  port: ExpiryPort,
  resend: (fresh: Client) => Promise<T>,
): Promise<T> {
  const status = httpStatus(e);
  const why = `${status ? `HTTP ${status}: ` : ''}${briefly(errorMessage(e))}`;
  const ok = first
    ? await port.reconnect(`the upstream session expired (${why}): re-initializing`)
    : await port.pending();
  if (first && ok) port.noteExpiry(why);
  const fresh = port.current();
  if (!ok || !fresh) {
    throw new AppError(
      'UPSTREAM_UNAVAILABLE',
      `upstream "${port.name}" lost its session and could not re-initialize: ${port.lastError() ?? 'unknown error'}`,
    );
  }
  if (!READ_ONLY_METHODS.has(method)) {
    throw new AppError(
      'UPSTREAM_UNAVAILABLE',
      `upstream "${port.name}" had expired the session; it is re-initialized now, but ${method} was not sent again because it may have side effects: call it again`,
    );
  }
  port.log.info({ method }, 'retrying a read-only request after re-initializing');
  return resend(fresh);
}
