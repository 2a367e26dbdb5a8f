/**
 * Server-to-client traffic from the upstreams, to the downstream sessions it concerns: requests
 * (sampling, elicitation, roots) and logs through the SessionRouter, which attributes each to one
 * call; resources/updated to the sessions subscribed to that resource.
 */
import type { LoggingLevel } from '@modelcontextprotocol/server';
import type { DownstreamBridge } from '../upstream/connection.js';
import type { CallOrigin, SessionRouter } from './sessions.js';
import type { Subscriptions } from './subscriptions.js';

export function downstreamBridge(
  router: SessionRouter,
  subscriptions: Subscriptions,
  toPublic: (upstream: string) => (uri: string) => string,
  /** A resource changed: what was kept of it (the result cache) goes. */
  onUpdated: (upstream: string, uri: string) => void = () => {},
): DownstreamBridge {
  return {
    request: (upstream, method, params, signal, origin) =>
      router.request(upstream, method, params, signal, origin as CallOrigin | undefined),
    capabilities: (owner) => (owner as CallOrigin).session.server.getClientCapabilities(),
    notify: (upstream, method, params, origin) => {
      if (method === 'notifications/message') {
        const p = params as { level: LoggingLevel; logger?: string; data: unknown };
        router.relayLog(upstream, p, origin as CallOrigin | undefined);
        return;
      }
      if (method === 'notifications/resources/updated') {
        onUpdated(upstream, (params as { uri: string }).uri);
        const pub = toPublic(upstream)((params as { uri: string }).uri);
        for (const id of subscriptions.sessionsOf(pub)) {
          void router
            .get(id)
            ?.server.sendResourceUpdated({ uri: pub })
            .catch(() => {});
        }
      }
    },
  };
}
