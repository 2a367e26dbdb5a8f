import { createHttpApp, type HttpApp, type HttpAppDeps, type UpstreamStatus } from '../../src/frontends/http/app.js';
import { loopbackHostnames } from '../../src/frontends/http/security.js';
import { type HttpFrontend, type StartHttpFrontendOptions, startHttpFrontend } from '../../src/frontends/http/start.js';
import { sampleServerFactory } from '../fixtures/sample-server-factory.js';

export const READY_UPSTREAMS: UpstreamStatus[] = [
  {
    name: 'alpha',
    type: 'stdio',
    state: 'ready',
    tools: 4,
    prompts: 1,
    resources: 1,
    latencyMs: 3,
    restarts: 0,
    breaker: 'closed',
  },
];

const apps: HttpApp[] = [];

/** An app (no listener; drive it with supertest) on loopback hosts, rate limit off; `closeTestApps` ends it. */
export function makeTestApp(overrides: Partial<HttpAppDeps> = {}): HttpApp {
  const app = createHttpApp({
    serverFactory: sampleServerFactory(),
    status: () => ({ ready: true, upstreams: READY_UPSTREAMS }),
    allowedHosts: loopbackHostnames(),
    rateLimit: false,
    ...overrides,
  });
  apps.push(app);
  return app;
}

/** Closes every app `makeTestApp` made (for afterEach). */
export async function closeTestApps(): Promise<void> {
  await Promise.all(apps.splice(0).map((a) => a.close()));
}

/** Starts a real frontend on 127.0.0.1 port 0 with the sample server factory. */
export async function startTestFrontend(overrides: Partial<StartHttpFrontendOptions> = {}): Promise<HttpFrontend> {
  const base: Partial<HttpAppDeps> = {
    serverFactory: sampleServerFactory(),
    status: () => ({ ready: true, upstreams: READY_UPSTREAMS }),
    rateLimit: false,
  };
  return startHttpFrontend({ host: '127.0.0.1', port: 0, ...base, ...overrides } as StartHttpFrontendOptions);
}

export const INIT_BODY = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

export const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/** Opens a 2025 session with raw fetch; returns its id. */
export async function openRawSession(url: string, headers: Record<string, string> = {}): Promise<string> {
  const r = await fetch(url, {
    method: 'POST',
    headers: { ...MCP_HEADERS, ...headers },
    body: JSON.stringify(INIT_BODY),
  });
  if (r.status !== 200) throw new Error(`initialize answered ${r.status}: ${await r.text()}`);
  await r.text();
  const id = r.headers.get('mcp-session-id');
  if (!id) throw new Error('no session id');
  const n = await fetch(url, {
    method: 'POST',
    headers: { ...MCP_HEADERS, ...headers, 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  await n.text();
  return id;
}

/** A `ping` on a 2025 session (the answer is 404 once the session is gone). */
export function pingSession(url: string, id: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { ...MCP_HEADERS, 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'ping' }),
  });
}

/** Polls `cond` a bounded number of times (no timing assertions; just lets async work finish). */
export async function waitFor(cond: () => boolean | Promise<boolean>, tries = 200, stepMs = 10): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return false;
}
