/**
 * Tools, prompts and resources for the dashboard: listings and discovery search (only what the
 * caller's policy shows: they are the caller's own MCP listings), and tool calls, prompt gets and
 * resource reads made as the caller (policy and audit apply as over /mcp).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Client } from '@modelcontextprotocol/client';
import type { Catalog } from '../aggregator/catalog.js';
import type { Identity } from '../gateway/identity.js';
import { type ServerFor, withCaller } from './caller.js';
import { ApiError, eventStream, type Redact, sendMasked, wantsEventStream } from './http.js';

export type Kind = 'tools' | 'prompts' | 'resources';
type Item = Record<string, unknown>;

export interface CatalogDeps {
  serverFor: ServerFor;
  catalog: () => Catalog;
  redact: Redact;
}

/** Every item of `kind` the caller may see, each with the server that offers it. */
export async function listFor(d: CatalogDeps, identity: Identity, kind: Kind): Promise<Item[]> {
  return withCaller(d.serverFor, identity, (client) => listWith(d, client, kind));
}

async function listWith(d: CatalogDeps, client: Client, kind: Kind): Promise<Item[]> {
  const caps = client.getServerCapabilities() ?? {};
  const cat = d.catalog();
  if (kind === 'tools') {
    if (!caps.tools) return [];
    const items = await pages((cursor) => client.listTools({ cursor }).then((r) => [r.tools, r.nextCursor]));
    return items.map((t) => ({ ...t, server: cat.tools.get(t.name as string)?.upstream }));
  }
  if (kind === 'prompts') {
    if (!caps.prompts) return [];
    const items = await pages((cursor) => client.listPrompts({ cursor }).then((r) => [r.prompts, r.nextCursor]));
    return items.map((p) => ({ ...p, server: cat.prompts.get(p.name as string)?.upstream }));
  }
  if (!caps.resources) return [];
  const resources = await pages((cursor) => client.listResources({ cursor }).then((r) => [r.resources, r.nextCursor]));
  const templates = await pages((cursor) =>
    client.listResourceTemplates({ cursor }).then((r) => [r.resourceTemplates, r.nextCursor]),
  );
  return [
    ...resources.map((r) => ({ ...r, server: cat.resources.get(r.uri as string)?.upstream })),
    ...templates.map((t) => ({
      ...t,
      server: cat.templates.find((e) => e.item.uriTemplate === t.uriTemplate)?.upstream,
    })),
  ];
}

async function pages(next: (cursor?: string) => Promise<[unknown[], string | undefined]>): Promise<Item[]> {
  const out: Item[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 100; i++) {
    const [items, nextCursor] = await next(cursor);
    out.push(...(items as Item[]));
    if (!nextCursor) break;
    cursor = nextCursor;
  }
  return out;
}

/** Items whose name, title, URI or description holds every word of `q` (case-insensitive). */
export function matches(items: Item[], q: string | undefined, server: string | undefined): Item[] {
  const words = (q ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  return items.filter((it) => {
    if (server && it.server !== server) return false;
    const hay = ['name', 'title', 'uri', 'uriTemplate', 'description']
      .map((k) => (typeof it[k] === 'string' ? (it[k] as string).toLowerCase() : ''))
      .join('\n');
    return words.every((w) => hay.includes(w));
  });
}

/** Discovery: tools, prompts and resources across servers in one answer. */
export async function search(d: CatalogDeps, identity: Identity, q?: string, server?: string) {
  return withCaller(d.serverFor, identity, async (client) => ({
    query: q ?? '',
    tools: matches(await listWith(d, client, 'tools'), q, server),
    prompts: matches(await listWith(d, client, 'prompts'), q, server),
    resources: matches(await listWith(d, client, 'resources'), q, server),
  }));
}

export type Invocation =
  | { op: 'tool'; name: string; arguments?: Record<string, unknown> }
  | { op: 'prompt'; name: string; arguments?: Record<string, string> }
  | { op: 'resource'; uri: string };

/**
 * Runs one invocation as the caller. With `Accept: text/event-stream` the answer is a stream of
 * `progress` events and then one `result` (or `error`) event; otherwise one JSON body.
 */
export async function invoke(
  d: CatalogDeps,
  identity: Identity,
  inv: Invocation,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const streaming = wantsEventStream(req);
  const stream = streaming ? eventStream(req, res, d.redact) : undefined;
  const abort = new AbortController();
  req.once('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  try {
    const result = await withCaller<unknown>(d.serverFor, identity, (client): Promise<unknown> => {
      const options = {
        signal: abort.signal,
        ...(stream ? { onprogress: (p: unknown) => stream.send('progress', p), resetTimeoutOnProgress: true } : {}),
      };
      if (inv.op === 'tool') return client.callTool({ name: inv.name, arguments: inv.arguments ?? {} }, options);
      if (inv.op === 'prompt') return client.getPrompt({ name: inv.name, arguments: inv.arguments }, options);
      return client.readResource({ uri: inv.uri }, options);
    });
    if (stream) {
      stream.send('result', result);
      stream.end();
    } else sendMasked(res, 200, result, d.redact);
  } catch (e) {
    const err = asApiError(e);
    if (!stream) throw err;
    stream.send('error', { error: { code: err.code, message: err.message } });
    stream.end();
  }
}

/** An MCP error as an API error: an unknown (or hidden) name is 404, bad input 400, the rest 502. */
export function asApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  const code = (e as { code?: unknown }).code;
  const message = e instanceof Error ? e.message : String(e);
  if (code === -32602) {
    return /unknown/i.test(message)
      ? new ApiError(404, 'NOT_FOUND', message)
      : new ApiError(400, 'INVALID_PARAMS', message);
  }
  if (code === -32001) return new ApiError(504, 'TIMEOUT', message);
  return new ApiError(502, 'UPSTREAM_ERROR', message);
}
