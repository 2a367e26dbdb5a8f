/**
 * The REST API under /api/v1, which the dashboard uses and scripts can too. Every route runs after the
 * same authentication as /mcp (the HTTP frontend admits the request first) and answers for the
 * caller's identity: listings and calls through its own MCP session of the aggregator, servers
 * filtered by its policy, server changes only for identities that may administer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Identity } from '../gateway/identity.js';
import { ALLOW_ALL } from '../gateway/policy.js';
import {
  asApiError,
  type CatalogDeps,
  type Invocation,
  invoke,
  type Kind,
  listFor,
  matches,
  search,
} from './catalogApi.js';
import { ApiError, eventStream, readObject, sendError, sendMasked, wantsEventStream } from './http.js';
import { isLevel, type LogFilter } from './logRing.js';
import { type ServersDeps, serversView, streamServers } from './serversApi.js';
import { Sparklines } from './sparklines.js';
import { type DashboardDeps, mayAdminister } from './types.js';

export const API_PREFIX = '/api/v1';

interface Request {
  req: IncomingMessage;
  res: ServerResponse;
  identity: Identity;
  method: string;
  /** The path below /api/v1, split on "/" and decoded. */
  parts: string[];
  url: URL;
}

export class DashboardApi {
  private readonly catalogDeps: CatalogDeps;
  private readonly serversDeps: ServersDeps;
  readonly sparklines: Sparklines;

  constructor(private readonly d: DashboardDeps) {
    const agg = d.agg;
    this.catalogDeps = {
      serverFor: (identity) => agg.createServer({ era: 'legacy', identity, caller: { identity } }),
      catalog: () => agg.catalog,
      redact: d.redact,
    };
    this.sparklines = new Sparklines(d.metrics);
    this.sparklines.start(d.sampleMs ?? 5000);
    this.serversDeps = {
      pool: d.pool,
      catalog: () => agg.catalog,
      logs: d.logs,
      sparklines: this.sparklines,
      redact: d.redact,
    };
  }

  close(): void {
    this.sparklines.stop();
  }

  async handle(req: IncomingMessage, res: ServerResponse, identity: Identity, url: URL, path: string): Promise<void> {
    const parts = path
      .slice(API_PREFIX.length)
      .split('/')
      .filter(Boolean)
      .map((p) => safeDecode(p));
    const r: Request = { req, res, identity, method: (req.method ?? 'GET').toUpperCase(), parts, url };
    try {
      await this.route(r);
    } catch (e) {
      if (res.headersSent) return void res.end();
      sendError(res, asApiError(e), this.d.redact);
    }
  }

  private send(r: Request, body: unknown, status = 200): void {
    sendMasked(r.res, status, body, this.d.redact);
  }

  private admin(identity: Identity): boolean {
    return mayAdminister(identity, this.d.access);
  }

  private view(identity: Identity) {
    return this.d.access?.view(identity) ?? ALLOW_ALL;
  }

  private async route(r: Request): Promise<void> {
    const [head, name, action] = r.parts;
    const q = r.url.searchParams;
    switch (head) {
      case 'me':
        return this.get(r, () => this.send(r, me(r.identity, this.admin(r.identity))));
      case 'servers':
        if (name === undefined) {
          if (wantsEventStream(r.req)) return streamServers(this.serversDeps, this.view(r.identity), r.req, r.res);
          return this.get(r, () => this.send(r, serversView(this.serversDeps, this.view(r.identity))));
        }
        return this.serverChange(r, name);
      case 'tools':
      case 'prompts':
      case 'resources':
        return this.catalogRoute(r, head, name, action);
      case 'search':
        return this.get(r, async () =>
          this.send(
            r,
            await search(this.catalogDeps, r.identity, q.get('q') ?? undefined, q.get('server') ?? undefined),
          ),
        );
      case 'logs':
        return this.get(r, () => this.logs(r));
      case 'config':
        return this.configRoute(r, name);
      default:
        throw new ApiError(404, 'NOT_FOUND', `no API route ${r.method} ${API_PREFIX}/${r.parts.join('/')}`);
    }
  }

  private async get(r: Request, fn: () => unknown): Promise<void> {
    if (r.method !== 'GET' && r.method !== 'HEAD') throw methodNotAllowed(r, 'GET');
    await fn();
  }

  private async catalogRoute(r: Request, kind: Kind, name: string | undefined, action: string | undefined) {
    const q = r.url.searchParams;
    if (
      name === undefined ||
      (kind === 'resources' && name === 'read' && action === undefined && r.method === 'POST')
    ) {
      if (name === 'read') return this.invoke(r, 'resources/read');
      return this.get(r, async () => {
        const items = await listFor(this.catalogDeps, r.identity, kind);
        this.send(r, { [kind]: matches(items, q.get('q') ?? undefined, q.get('server') ?? undefined) });
      });
    }
    const expected = kind === 'tools' ? 'call' : kind === 'prompts' ? 'get' : undefined;
    if (!expected || action !== expected || r.parts.length !== 3) {
      throw new ApiError(404, 'NOT_FOUND', `no API route ${r.method} ${API_PREFIX}/${r.parts.join('/')}`);
    }
    return this.invoke(r, kind === 'tools' ? 'tools/call' : 'prompts/get', name);
  }

  private async invoke(r: Request, what: 'tools/call' | 'prompts/get' | 'resources/read', name?: string) {
    if (r.method !== 'POST') throw methodNotAllowed(r, 'POST');
    const body = await readObject(r.req, r.res, this.d.maxBodyBytes ?? 4 * 1024 * 1024);
    if (!body) return;
    const args = body.arguments;
    if (args !== undefined && (typeof args !== 'object' || args === null || Array.isArray(args))) {
      throw new ApiError(400, 'BAD_REQUEST', '"arguments" must be a JSON object');
    }
    let inv: Invocation;
    if (what === 'resources/read') {
      if (typeof body.uri !== 'string' || !body.uri) throw new ApiError(400, 'BAD_REQUEST', 'give the "uri" to read');
      inv = { op: 'resource', uri: body.uri };
    } else if (what === 'tools/call') inv = { op: 'tool', name: name!, arguments: args as Record<string, unknown> };
    else inv = { op: 'prompt', name: name!, arguments: args as Record<string, string> };
    await invoke(this.catalogDeps, r.identity, inv, r.req, r.res);
  }

  private async logs(r: Request): Promise<void> {
    const q = r.url.searchParams;
    const level = q.get('level');
    if (level !== null && !isLevel(level)) {
      throw new ApiError(400, 'BAD_REQUEST', `level must be one of trace, debug, info, warn, error, fatal`);
    }
    const source = q.get('server') ?? undefined;
    const after = q.has('after') ? Number(q.get('after')) : undefined;
    const filter: LogFilter = { source, level: level ?? undefined, after };
    const visible = (s: string) =>
      s === 'proxy' ? this.admin(r.identity) : serversVisible(this.serversDeps, this.view(r.identity), s);
    if (!wantsEventStream(r.req)) {
      return this.send(r, {
        logs: this.d.logs.recent(filter).filter((l) => visible(l.source)),
        sources: this.d.logs.sources().filter(visible),
      });
    }
    const stream = eventStream(r.req, r.res, this.d.redact);
    for (const l of this.d.logs.recent(filter, 200)) if (visible(l.source)) stream.send('log', l);
    const stop = this.d.logs.follow(filter, (l) => {
      if (visible(l.source)) stream.send('log', l);
    });
    await stream.closed;
    stop();
  }

  private async configRoute(r: Request, sub: string | undefined): Promise<void> {
    const config = this.d.config;
    if (!config) throw new ApiError(404, 'NO_CONFIG', 'the proxy runs without a config file');
    if (!this.admin(r.identity)) throw forbidden('viewing the config');
    if (sub === undefined) return this.get(r, async () => this.send(r, await config.view()));
    if (sub !== 'validate')
      throw new ApiError(404, 'NOT_FOUND', `no API route ${r.method} ${API_PREFIX}/config/${sub}`);
    if (r.method !== 'POST') throw methodNotAllowed(r, 'POST');
    const body = await readObject(r.req, r.res, this.d.maxBodyBytes ?? 4 * 1024 * 1024);
    if (!body) return;
    const { name, entry } = serverEdit(body);
    const outcome = await config.validate(name, entry);
    this.send(r, outcome, outcome.ok ? 200 : 422);
  }

  private async serverChange(r: Request, name: string): Promise<void> {
    const config = this.d.config;
    if (r.method !== 'PUT' && r.method !== 'DELETE') throw methodNotAllowed(r, 'PUT, DELETE');
    if (!this.admin(r.identity)) throw forbidden('changing servers');
    if (!config) throw new ApiError(404, 'NO_CONFIG', 'the proxy runs without a config file: there is nothing to edit');
    if (r.method === 'DELETE') {
      const outcome = await config.remove(name);
      return this.send(r, outcome, outcome.ok ? 200 : 422);
    }
    const body = await readObject(r.req, r.res, this.d.maxBodyBytes ?? 4 * 1024 * 1024);
    if (!body) return;
    const { entry } = serverEdit({ ...body, name });
    const outcome = await config.add(name, entry, body.force === true);
    this.send(r, outcome, outcome.ok ? 200 : 422);
  }
}

function serversVisible(d: ServersDeps, view: ReturnType<DashboardApi['view']>, server: string): boolean {
  return serversView(d, view).servers.some((s) => s.name === server);
}

function serverEdit(body: Record<string, unknown>): { name: string; entry: Record<string, unknown> } {
  const { name, entry } = body;
  if (typeof name !== 'string' || !name) throw new ApiError(400, 'BAD_REQUEST', 'give the server "name"');
  if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
    throw new ApiError(400, 'BAD_REQUEST', 'give the server "entry": its config object, as in mcpServers');
  }
  return { name, entry: entry as Record<string, unknown> };
}

function me(identity: Identity, admin: boolean) {
  return { id: identity.id, kind: identity.kind, roles: identity.roles, admin };
}

function methodNotAllowed(r: Request, allow: string): ApiError {
  r.res.setHeader('allow', allow);
  return new ApiError(405, 'METHOD_NOT_ALLOWED', `${r.method} is not allowed here (allowed: ${allow})`);
}

function forbidden(what: string): ApiError {
  return new ApiError(
    403,
    'FORBIDDEN',
    `${what} needs an identity that proxy.access.admin names (by default: the role "admin" or the proxy's own token)`,
  );
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new ApiError(400, 'BAD_REQUEST', `bad escape in the path: ${s}`);
  }
}
