/**
 * What a downstream request handler knows about its call, for forwarding: the caller's signal, its
 * session and request (where related traffic goes back), progress, `_meta`, and for a 2026-07-28
 * caller its per-request log level and multi-round-trip input.
 */
import { CLIENT_CAPABILITIES_META_KEY, type Client, LOG_LEVEL_META_KEY } from '@modelcontextprotocol/client';
import type { LoggingLevel } from '@modelcontextprotocol/server';
import type { Abortable } from '../util/lazyAbort.js';
import type { CallOrigin, Session } from './sessions.js';
import { isModernClient } from './subscriptions.js';

export interface CallContext {
  signal: AbortSignal;
  /** The caller's abort without an AbortSignal built for it, when its frontend has one (the stdio relay). */
  abortable?: Abortable;
  /**
   * Aborts `signal`, when the caller's frontend lets it be aborted from here (a stateless request,
   * whose signal nothing else aborts once it is answered): a call paused for input then runs upstream
   * under it rather than under a signal of its own.
   */
  abort?: (reason: Error) => void;
  /** The downstream call this is (server-to-client requests and logs go back to it). */
  origin?: CallOrigin;
  /**
   * 2026-07-28 multi-round-trip input passed through from a modern downstream caller: the responses
   * to an earlier `input_required` result and its opaque state, forwarded verbatim to the upstream.
   */
  mrtr?: { inputResponses?: Record<string, unknown>; requestState?: string };
  /** Forwards upstream progress to the downstream caller (undefined when it asked for none). */
  onprogress?: (p: { progress: number; total?: number; message?: string }) => void;
  meta?: Record<string, unknown>;
  /** The log level a 2026-07-28 caller asked for on this request (its own `_meta`). */
  logLevel?: LoggingLevel;
  /** The caller takes a result whose large members are the upstream's bytes (protocol/rawJson.ts). */
  raw?: boolean;
}

export const RESERVED_META_PREFIX = 'io.modelcontextprotocol/';

/** The CallContext of one SDK request handler invocation (`ctx` is the SDK's handler context). */
export function callContext(ctx: any, params: any, session: Session): CallContext {
  const token = params?._meta?.progressToken ?? ctx?.mcpReq?._meta?.progressToken;
  const logLevel = (params?._meta?.[LOG_LEVEL_META_KEY] ?? ctx?.mcpReq?._meta?.[LOG_LEVEL_META_KEY]) as
    | LoggingLevel
    | undefined;
  const meta = params?._meta ? stripReserved(params._meta) : undefined;
  if (meta) delete meta.progressToken;
  const modern = ctx?.mcpReq?.envelope !== undefined;
  const requestState = modern ? ctx.mcpReq.requestState?.() : undefined;
  const abortable: Abortable | undefined = ctx.mcpReq.abortable;
  return {
    // Read when something needs it: the fast lane listens on `abortable` instead.
    get signal(): AbortSignal {
      return ctx.mcpReq.signal;
    },
    abortable,
    origin: {
      session,
      requestId: ctx.mcpReq.id,
      log: (p) => ctx.mcpReq.log(p.level, p.data, p.logger),
      ...(modern ? { clientCapabilities: declaredCapabilities(ctx.mcpReq.envelope) } : {}),
    },
    meta: meta && Object.keys(meta).length ? meta : undefined,
    logLevel: modern ? logLevel : undefined,
    mrtr: modern
      ? {
          inputResponses: ctx.mcpReq.inputResponses,
          requestState: typeof requestState === 'string' ? requestState : undefined,
        }
      : undefined,
    onprogress:
      token === undefined
        ? undefined
        : (p) => {
            if (abortable ? abortable.aborted : ctx.mcpReq.signal.aborted) return;
            void ctx.mcpReq
              .notify({ method: 'notifications/progress', params: { ...p, progressToken: token } })
              .catch(() => {});
          },
  };
}

/** The client capabilities in a 2026-07-28 request's envelope (none declared: an empty set). */
export function declaredCapabilities(envelope: Record<string, unknown> | undefined): Record<string, unknown> {
  const caps = envelope?.[CLIENT_CAPABILITIES_META_KEY];
  return caps && typeof caps === 'object' ? (caps as Record<string, unknown>) : {};
}

/**
 * The `_meta` of a request to an upstream. A 2026-07-28 upstream sends logs only at the level each
 * request asks for (it has no logging/setLevel): a 2026 caller's own level is passed on, and a 2025
 * session's (every level until it sets one, as a 2025 server logs before setLevel; the proxy filters
 * by the session's level on the way back).
 */
export function logMeta(
  client: Client,
  call: CallContext,
  meta: Record<string, unknown> | undefined,
): { _meta?: Record<string, unknown> } {
  const session = call.origin?.session;
  const level =
    session && isModernClient(client)
      ? session.era === 'modern' || session.transient
        ? call.logLevel
        : (session.logLevel ?? 'debug')
      : undefined;
  if (!level) return meta ? { _meta: meta } : {};
  return { _meta: { ...meta, [LOG_LEVEL_META_KEY]: level } };
}

/** `_meta` without the protocol's reserved keys: each hop sets its own. */
export function stripReserved(meta: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(meta)) if (!k.startsWith(RESERVED_META_PREFIX)) out[k] = v;
  return out;
}

/**
 * Whether a call carries input an upstream asked for (a retry with `inputResponses` or `requestState`). A
 * 2026-07-28 caller's first call has the round's fields, both empty: it is a first call like any other.
 */
export function resumesInput(mrtr: CallContext['mrtr']): boolean {
  return mrtr !== undefined && (mrtr.inputResponses !== undefined || mrtr.requestState !== undefined);
}
