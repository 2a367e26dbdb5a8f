/**
 * The address a request is counted on (per-address rate limit, open sessions per client). Behind a load
 * balancer every socket comes from the balancer, so when the socket's peer is a trusted proxy the client
 * is taken from X-Forwarded-For: the right-most entry that is not itself a trusted proxy. Entries left of
 * it were written by the client and can be anything, so they are never used; without trusted proxies the
 * header is ignored altogether.
 */
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { addressMatcher } from '../../util/cidr.js';

export type ClientAddressOf = (req: IncomingMessage) => string;

/** An IPv4-mapped IPv6 address counts as the IPv4 one; no address at all is "unknown". */
export function clientAddress(remote: string | undefined): string {
  if (!remote) return 'unknown';
  return remote.startsWith('::ffff:') && remote.includes('.') ? remote.slice(7) : remote;
}

/** How requests map to client addresses, given the trusted proxies (IPs and CIDRs; none = the socket's peer). */
export function clientAddressResolver(trustedProxies: readonly string[] | undefined): ClientAddressOf {
  const socketAddress: ClientAddressOf = (req) => clientAddress(req.socket.remoteAddress);
  if (!trustedProxies?.length) return socketAddress;
  const isTrusted = addressMatcher(trustedProxies);

  return (req) => {
    let client = socketAddress(req);
    if (!isTrusted(client)) return client;
    const forwarded = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? '')).split(',');
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = clientAddress(hops[i]!.trim());
      // Garbage is not an address to count on: the last trusted hop, which passed it on, stands for it.
      if (!isIP(hop)) return client;
      client = hop;
      if (!isTrusted(hop)) return client;
    }
    return client;
  };
}
