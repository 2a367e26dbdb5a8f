export {
  createHttpApp,
  type DownstreamServer,
  HTTP_DEFAULTS,
  type HttpApp,
  type HttpAppDeps,
  type HttpStatus,
  type RateLimitOptions,
  type ServerFactory,
  type ServerFactoryContext,
  type UpstreamStatus,
} from './app.js';
export { assertSafeBind, defaultAllowedHosts, isLoopbackHost } from './security.js';
export { SseServerTransport } from './sse-transport.js';
export { type HttpFrontend, type StartHttpFrontendOptions, startHttpFrontend } from './start.js';
