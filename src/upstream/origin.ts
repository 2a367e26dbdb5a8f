/**
 * Which downstream call an upstream request is made for, carried in async context so that
 * server-to-client traffic arriving on that request's own HTTP response stream (the related
 * request, in Streamable HTTP) is known to belong to it. The value is opaque here: the aggregator
 * puts its call origin in and reads it back in the bridge.
 *
 * Only requests to Streamable HTTP upstreams run inside a context: stdio and SSE carry every message
 * on one shared stream, where async context says nothing, and entering none keeps Node's promise
 * hooks off for proxies that have no such upstream.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const storage = new AsyncLocalStorage<object>();

export function withOrigin<T>(origin: object | undefined, fn: () => T): T {
  return origin ? storage.run(origin, fn) : fn();
}

export function currentOrigin(): object | undefined {
  return storage.getStore();
}

/**
 * Runs `fn` outside any origin: connects, listings and timers started on behalf of the connection
 * (not of one call) must not tie their streams to whichever call happened to trigger them.
 */
export function detached<T>(fn: () => T): T {
  return storage.exit(fn);
}
