/**
 * Forwarded requests (tools/call, prompts/get, resources/read, completion/complete) sent on an
 * upstream's SDK client without validating the result against the SDK's schemas. The proxy relays
 * these results: the caller's own SDK validates what it receives (a tool's structured content against
 * the output schema the proxy publishes unchanged), and so does the SDK Server where a request goes
 * through it; checking on this hop too cost every call. On a 2025-11-25 stdio hop the request takes
 * the fast lane (fastLane.ts); elsewhere the SDK owns everything else about it: ids, timeouts,
 * progress, cancellation, the era envelope and `input_required` results.
 */
import type { Client } from '@modelcontextprotocol/client';
import { materialize } from '../protocol/rawJson.js';
import type { Abortable } from '../util/lazyAbort.js';
import { laneOf } from './fastLane.js';

type Result = Record<string, unknown>;

/** A Standard Schema that accepts any value as it is. */
const UNCHECKED = {
  '~standard': { version: 1, vendor: 'mcp-proxy', validate: (value: unknown) => ({ value }) },
} as const;

/** SDK request options of a forwarded call (timeout, signal, progress, `allowInputRequired`...). */
export type ForwardOptions = NonNullable<Parameters<Client['request']>[2]> & Record<string, unknown>;

/** Sends `method` with `params` and resolves with the upstream's result as it came (era-decoded). */
export function requestUnchecked(
  client: Client,
  method: string,
  params: Result,
  options: ForwardOptions,
): Promise<Result> {
  const lane = laneOf(client);
  // The lane's transport writes raw arguments as they came; the SDK's transports get them parsed.
  if (lane) return lane.request(method, params, options);
  const request = client.request as (req: unknown, schema: unknown, opts: unknown) => Promise<Result>;
  return request.call(client, { method, params: materialize(params) }, UNCHECKED, sdkOptions(options));
}

/** The options as the SDK takes them: a caller's abort as an AbortSignal. */
function sdkOptions(options: ForwardOptions): ForwardOptions {
  const { abortable, ...rest } = options as ForwardOptions & { abortable?: Abortable };
  if (!abortable) return options;
  return { ...rest, signal: rest.signal ?? abortable.signal };
}

/**
 * tools/call. A 2026-07-28 Streamable HTTP upstream goes through the SDK's callTool, which mirrors
 * the arguments a tool declares into `Mcp-Param-*` headers (and re-fetches the tool list when the
 * server says they do not match); every other hop needs none of that.
 */
export function callToolUnchecked(client: Client, params: Result, options: ForwardOptions): Promise<Result> {
  const transport = client.transport as { hasPerRequestStream?: boolean } | undefined;
  if (client.getProtocolEra() === 'modern' && transport?.hasPerRequestStream === true) {
    return client.callTool(
      materialize(params) as Parameters<Client['callTool']>[0],
      sdkOptions(options),
    ) as Promise<Result>;
  }
  return requestUnchecked(client, 'tools/call', params, options);
}
