/**
 * The servers the caller may see and their state: the pool's snapshot (errors already masked), the
 * last stderr lines of each, and its latency/error sparkline; and a live stream of the same.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Catalog, Entry } from '../aggregator/catalog.js';
import { type AccessView, type ItemKind, itemOf } from '../gateway/policy.js';
import type { UpstreamPool } from '../upstream/pool.js';
import { eventStream, type Redact } from './http.js';
import type { LogRing } from './logRing.js';
import type { Sparklines } from './sparklines.js';

export interface ServersDeps {
  pool: UpstreamPool;
  catalog: () => Catalog;
  logs: LogRing;
  sparklines: Sparklines;
  redact: Redact;
}

const KINDS: ItemKind[] = ['tool', 'prompt', 'resource'];

/** A server is shown when policy grants it as a whole or grants any item it offers. */
export function serverVisible(view: AccessView, catalog: Catalog, name: string): boolean {
  if (view.unrestricted?.()) return true;
  // No item has this name: only a grant of the whole server matches it.
  if (KINDS.some((kind) => view.allows({ kind, server: name, name: '\0' }))) return true;
  const mine = <T>(entries: Iterable<Entry<T>>) => [...entries].filter((e) => e.upstream === name);
  return (
    mine(catalog.tools.values()).some((e) => view.allows(itemOf('tool', e))) ||
    mine(catalog.prompts.values()).some((e) => view.allows(itemOf('prompt', e))) ||
    mine(catalog.resources.values()).some((e) => view.allows(itemOf('resource', e))) ||
    mine(catalog.templates).some((e) => view.allows(itemOf('resource', e)))
  );
}

export function serversView(d: ServersDeps, view: AccessView) {
  return {
    ready: d.pool.firstRoundDone,
    servers: d.pool
      .snapshot()
      .filter((s) => serverVisible(view, d.catalog(), s.name))
      .map((s) => ({
        ...s,
        stderrTail: d.logs.recent({ source: s.name }, 5).map((r) => r.msg),
        sparkline: d.sparklines.of(s.name),
      })),
  };
}

/** Sends the servers view now and on every state change (at most every `minGapMs`). */
export async function streamServers(
  d: ServersDeps,
  view: AccessView,
  req: IncomingMessage,
  res: ServerResponse,
  minGapMs = 250,
): Promise<void> {
  const stream = eventStream(req, res, d.redact);
  let timer: NodeJS.Timeout | undefined;
  const send = () => {
    timer = undefined;
    stream.send('servers', serversView(d, view));
  };
  const onChange = () => {
    timer ??= setTimeout(send, minGapMs);
  };
  send();
  d.pool.on('status', onChange);
  d.pool.on('catalog', onChange);
  // Sparklines move without state changes.
  const tick = setInterval(onChange, 5000);
  tick.unref();
  await stream.closed;
  clearTimeout(timer);
  clearInterval(tick);
  d.pool.off('status', onChange);
  d.pool.off('catalog', onChange);
}
