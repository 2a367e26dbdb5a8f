/**
 * The aggregator: one shared index over the upstream pool, and one MCP `Server` per downstream
 * session (`createServer`). Requests route to the owning upstream by public name; progress,
 * cancellation, logging, list_changed and resources/updated are relayed; server-to-client requests
 * (sampling, elicitation, roots) go back to the session whose call caused them (sessions.ts).
 */
import { EventEmitter } from 'node:events';
import { type Client, LOG_LEVEL_META_KEY, type Tool } from '@modelcontextprotocol/client';
import type { LoggingLevel, ServerCapabilities } from '@modelcontextprotocol/server';
import { inputRequired, ProtocolError, ProtocolErrorCode, Server } from '@modelcontextprotocol/server';
import { AppError, errorMessage, isAppError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { type Metrics, noopMetrics, type Outcome } from '../observability/metrics.js';
import { type RedactFn, redactDeep } from '../observability/redact.js';
import type { DownstreamBridge, UpstreamConnection } from '../upstream/connection.js';
import { isUpstreamFailure } from '../upstream/connection.js';
import type { UpstreamPool } from '../upstream/pool.js';
import { VERSION } from '../version.js';
import { buildCatalog, type Catalog, describeCollision, type Entry } from './catalog.js';
import { mapUris, prefixFor, splitPublicUri, uriToPublic } from './naming.js';
import { PausedCalls } from './paused.js';
import { type CallOrigin, type Era, type Session, SessionRouter } from './sessions.js';
import { isModernClient, Subscriptions } from './subscriptions.js';

export type { CallOrigin, Era, Session };

export interface AggregatorOptions {
  pool: UpstreamPool;
  logger: Logger;
  metrics?: Metrics;
  name?: string;
  separator: string;
  /** Extension point (dynamic tools mode): replaces tools/list and tools/call. */
  toolsMode?: ToolsMode;
  /**
   * Many sessions (the HTTP frontend): servers with isolation "session" get a connection per session.
   * Over stdio there is one session, and the shared connection is its own.
   */
  isolateSessions?: boolean;
}

/** What a tools surface must provide (the default exposes every tool; dynamic mode two meta-tools). */
export interface ToolsMode {
  list(agg: Aggregator): Promise<Record<string, unknown>[]> | Record<string, unknown>[];
  call(
    agg: Aggregator,
    name: string,
    args: Record<string, unknown> | undefined,
    call: CallContext,
  ): Promise<Record<string, unknown>>;
  /**
   * A key that changes whenever list() would (dynamic mode: group enum and descriptions); a change
   * sends tools/list_changed even when no upstream tool changed.
   */
  fingerprint?(agg: Aggregator): string;
  /** Whether public tool-name collisions matter (false: the mode does not expose upstream tools by public name). */
  usesPublicToolNames?: boolean;
}

/** What a downstream request handler knows about its call, for forwarding. */
export interface CallContext {
  signal: AbortSignal;
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
}

const RESERVED_META_PREFIX = 'io.modelcontextprotocol/';
/** Input rounds (2026 input_required) the proxy fulfils for a 2025 caller within one call. */
const MAX_INPUT_ROUNDS = 8;
const toolIndex = new WeakMap<object, Map<string, Record<string, unknown>>>();

export class Aggregator extends EventEmitter {
  readonly pool: UpstreamPool;
  private readonly log: Logger;
  private readonly metrics: Metrics;
  private readonly name: string;
  private readonly separator: string;
  private toolsMode?: ToolsMode;
  private toolsModeKey?: string;
  private _catalog: Catalog;
  private readonly router: SessionRouter;
  private readonly isolateSessions: boolean;
  /** Set while servers are still starting: the first listings wait on it (see waitForStartup). */
  private startupGate?: Promise<void>;
  /** Until every server has had its first connect attempt (see whenKnown). */
  private firstRound?: Promise<void>;
  private nextSessionId = 1;
  private inflightTotal = 0;
  private readonly subscriptions: Subscriptions;
  private readonly paused = new PausedCalls();

  constructor(opts: AggregatorOptions) {
    super();
    this.setMaxListeners(0);
    this.pool = opts.pool;
    this.log = opts.logger.child({ component: 'aggregator' });
    this.metrics = opts.metrics ?? noopMetrics;
    this.name = opts.name ?? 'mcp-proxy-server';
    this.separator = opts.separator;
    this.toolsMode = opts.toolsMode;
    this.router = new SessionRouter(this.log);
    this.isolateSessions = opts.isolateSessions ?? false;
    this.subscriptions = new Subscriptions((method, upstream, fn) => this.forward(method, upstream, undefined, fn));
    this._catalog = buildCatalog(this.pool.list(), this.separator, (c) => this.pool.served(c));
    this.toolsModeKey = this.toolsMode?.fingerprint?.(this);
    this.pool.setBridge(this.bridge());
    this.pool.on('catalog', () => this.rebuild());
  }

  get catalog(): Catalog {
    return this._catalog;
  }

  setToolsMode(mode: ToolsMode | undefined): void {
    this.toolsMode = mode;
    this.rebuild(true);
  }

  /** Collisions among the currently ready upstreams (start-up treats these as errors). */
  collisions(): string[] {
    return this.relevantCollisions(this._catalog).map(describeCollision);
  }

  private relevantCollisions(cat: Catalog) {
    const toolsHidden = this.toolsMode && this.toolsMode.usesPublicToolNames === false;
    return toolsHidden ? cat.collisions.filter((c) => c.kind !== 'tool') : cat.collisions;
  }

  /** Rebuilds the index and tells every session what changed. */
  rebuild(forceTools = false): void {
    const before = this._catalog;
    const after = buildCatalog(this.pool.list(), this.separator, (c) => this.pool.served(c));
    this._catalog = after;
    for (const c of this.relevantCollisions(after)) {
      if (!before.collisions.some((b) => describeCollision(b) === describeCollision(c))) {
        this.log.error(
          `name collision: ${describeCollision(c)}; the first one is served (set "prefix" to tell them apart)`,
        );
      }
    }
    const modeKey = this.toolsMode?.fingerprint?.(this);
    const modeChanged = modeKey !== this.toolsModeKey;
    this.toolsModeKey = modeKey;
    const changed = {
      tools: forceTools || modeChanged || !sameKeys(before.tools, after.tools) || !sameItems(before.tools, after.tools),
      prompts: !sameKeys(before.prompts, after.prompts) || !sameItems(before.prompts, after.prompts),
      resources:
        !sameKeys(before.resources, after.resources) ||
        JSON.stringify(before.templates.map((t) => t.item)) !== JSON.stringify(after.templates.map((t) => t.item)),
    };
    this.emit('rebuilt');
    if (!changed.tools && !changed.prompts && !changed.resources) return;
    this.emit('list_changed', changed);
    for (const s of this.router.sessions()) {
      if (changed.tools) void s.server.sendToolListChanged().catch(() => {});
      if (changed.prompts) void s.server.sendPromptListChanged().catch(() => {});
      if (changed.resources) void s.server.sendResourceListChanged().catch(() => {});
    }
  }

  /**
   * Capabilities: what some upstream offers. An upstream whose offer is not known yet (connecting,
   * retrying, or failed and retried on reload) counts as offering everything, so a session made
   * while it is down can still use it when it comes back; `tools` is always there (the proxy's own
   * surface, and what a reload most often adds). Capabilities cannot change within a session.
   */
  capabilities(): ServerCapabilities {
    const conns = this.pool.list().filter((c) => c.state !== 'disabled');
    const unknown = conns.some((c) => c.state !== 'ready');
    const has = (k: keyof ServerCapabilities) =>
      unknown || conns.some((c) => c.state === 'ready' && c.capabilities?.[k]);
    const caps: ServerCapabilities = { tools: { listChanged: true } };
    if (has('prompts')) caps.prompts = { listChanged: true };
    if (has('resources')) {
      const subscribe =
        unknown || conns.some((c) => (c.capabilities?.resources as { subscribe?: boolean } | undefined)?.subscribe);
      caps.resources = { listChanged: true, ...(subscribe ? { subscribe: true } : {}) };
    }
    if (has('completions')) caps.completions = {};
    caps.logging = {};
    // Extensions (MCP Apps' io.modelcontextprotocol/ui...) are the upstreams' own: relayed as they declare
    // them; while an offer is unknown, the ones the proxy can relay.
    const extensions: Record<string, unknown> = unknown ? { 'io.modelcontextprotocol/ui': {} } : {};
    for (const c of conns)
      Object.assign(extensions, (c.capabilities as { extensions?: object } | undefined)?.extensions);
    if (Object.keys(extensions).length) (caps as { extensions?: object }).extensions = extensions;
    return caps;
  }

  /** Each server's description or instructions: its own once connected, else what is known of it (cache). */
  instructions(): string | undefined {
    const parts: string[] = [];
    for (const c of this.pool.list()) {
      const known = c.state === 'ready' ? c : this.pool.knownOf(c);
      const text = known && (c.config.description ?? known.instructions);
      if (text) parts.push(`## ${c.name}\n${text}`);
    }
    return parts.length ? parts.join('\n\n') : undefined;
  }

  /**
   * One MCP Server for one downstream session. `transient` servers answer a single stateless
   * (2026-07-28) HTTP request and are not kept for notifications.
   */
  createServer(opts: { era: Era; transient?: boolean }): Server {
    const capabilities = this.capabilities();
    const server = new Server(
      { name: this.name, version: VERSION },
      { capabilities, instructions: this.instructions() },
    );
    const session = {
      id: this.nextSessionId++,
      server,
      era: opts.era,
      subscriptions: new Set<string>(),
      transient: opts.transient ?? false,
    } as Session;
    (session as { self: CallOrigin }).self = { session };
    if (!session.transient) {
      // Registered on first use, not at construction: serving entries may build an instance only to
      // probe the era and discard it.
      server.oninitialized = () => this.registerSession(session);
      const prevClose = server.onclose;
      server.onclose = () => {
        prevClose?.();
        this.dropSession(session);
      };
    }
    this.installHandlers(server, session, capabilities);
    return server;
  }

  private registerSession(session: Session): void {
    this.router.register(session);
  }

  private dropSession(session: Session): void {
    this.router.drop(session);
    for (const uri of session.subscriptions) void this.unsubscribe(session, uri);
    void this.pool.release(session.self);
  }

  /** Upstream requests in flight (shutdown waits for them). */
  get inflight(): number {
    return this.inflightTotal;
  }

  get sessionCount(): number {
    return this.router.size;
  }

  private installHandlers(server: Server, session: Session, caps: ServerCapabilities): void {
    const wrap =
      <P>(fn: (params: P, call: CallContext) => Promise<any>) =>
      (request: any, ctx: any) => {
        this.registerSession(session);
        const params = request.params ?? {};
        return fn(params, callContext(ctx, params, session));
      };

    // The level is this session's own: kept here (unattributed logs go to sessions that asked) and
    // never forwarded (one client would silence the others).
    server.setRequestHandler('logging/setLevel', async (request: any) => {
      this.registerSession(session);
      session.logLevel = request.params.level as LoggingLevel;
      return {};
    });
    if (caps.tools) {
      server.setRequestHandler(
        'tools/list',
        wrap(async () => ({ tools: await this.listTools() })),
      );
      server.setRequestHandler(
        'tools/call',
        wrap((params: any, call) => this.callTool(params.name, params.arguments, call)),
      );
    }
    if (caps.prompts) {
      server.setRequestHandler(
        'prompts/list',
        wrap(async () => {
          if (this.startupGate) await this.startupGate;
          return { prompts: [...this._catalog.prompts.values()].map((e) => e.item) };
        }),
      );
      server.setRequestHandler(
        'prompts/get',
        wrap(async (params: any, call) => {
          const entry = await this.whenKnown(() => this._catalog.prompts.get(params.name));
          if (!entry) throw unknownName('prompt', params.name, [...this._catalog.prompts.keys()], this.notServing());
          const result = await this.pausable(
            `prompts/get\0${entry.upstream}\0${entry.original}`,
            entry.upstream,
            call,
            (c) =>
              this.forward('prompts/get', entry.upstream, c, (client) =>
                client.getPrompt(
                  { ...params, name: entry.original, ...logMeta(client, c, params._meta) },
                  this.requestOptions(entry.upstream, c),
                ),
              ),
          );
          return mapUris(result, this.uriToPublic(entry.upstream));
        }),
      );
    }
    if (caps.resources) {
      server.setRequestHandler(
        'resources/list',
        wrap(async () => {
          if (this.startupGate) await this.startupGate;
          return { resources: [...this._catalog.resources.values()].map((e) => e.item) };
        }),
      );
      server.setRequestHandler(
        'resources/templates/list',
        wrap(async () => {
          if (this.startupGate) await this.startupGate;
          return { resourceTemplates: this._catalog.templates.map((e) => e.item) };
        }),
      );
      server.setRequestHandler(
        'resources/read',
        wrap(async (params: any, call) => {
          const target = (await this.whenKnown(() => this.tryRouteUri(params.uri))) ?? this.routeUri(params.uri);
          const result = (await this.pausable(
            `resources/read\0${target.upstream}\0${target.uri}`,
            target.upstream,
            call,
            (c) =>
              this.forward('resources/read', target.upstream, c, (client) =>
                client.readResource(
                  { ...params, uri: target.uri, ...logMeta(client, c, params._meta) },
                  { ...this.requestOptions(target.upstream, c), cacheMode: 'bypass' },
                ),
              ),
          )) as any;
          return mapUris({ ...result, contents: result.contents ?? [] }, target.toPublic);
        }),
      );
      if ((caps.resources as { subscribe?: boolean }).subscribe) {
        server.setRequestHandler(
          'resources/subscribe',
          wrap(async (params: any) => {
            await this.subscribe(session, params.uri);
            return {};
          }),
        );
        server.setRequestHandler(
          'resources/unsubscribe',
          wrap(async (params: any) => {
            await this.unsubscribe(session, params.uri);
            return {};
          }),
        );
      }
    }
    if (caps.completions) {
      server.setRequestHandler(
        'completion/complete',
        wrap(async (params: any, call) => {
          const ref = params.ref ?? {};
          if (ref.type === 'ref/prompt') {
            const entry = this._catalog.prompts.get(ref.name);
            if (!entry) throw unknownName('prompt', ref.name, [...this._catalog.prompts.keys()]);
            return this.forward('completion/complete', entry.upstream, call, (client) =>
              client.complete(
                { ...params, ref: { ...ref, name: entry.original } },
                this.requestOptions(entry.upstream, call),
              ),
            );
          }
          const tmpl = this._catalog.templates.find((t) => t.item.uriTemplate === ref.uri);
          const target = tmpl ? { upstream: tmpl.upstream, uri: tmpl.original } : this.routeUri(ref.uri);
          return this.forward('completion/complete', target.upstream, call, (client) =>
            client.complete(
              { ...params, ref: { ...ref, uri: target.uri } },
              this.requestOptions(target.upstream, call),
            ),
          );
        }),
      );
    }
  }

  /**
   * Until `firstRound` settles, listings wait for it, but not past `windowMs` from now: a client that
   * reads its tools once at start sees every server that is quick, and is never held up by a slow one
   * (servers ready later are announced with list_changed). `listed` settles once every server's
   * entries can be listed (servers with a cached catalog are listed from it): listings wait only for it.
   */
  waitForStartup(firstRound: Promise<unknown>, windowMs: number, listed: Promise<unknown> = firstRound): void {
    const settled = firstRound.then(
      () => {},
      () => {},
    );
    this.firstRound = settled;
    void settled.then(() => {
      if (this.firstRound === settled) this.firstRound = undefined;
      this.emit('rebuilt');
    });
    let timer: NodeJS.Timeout | undefined;
    const window = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, windowMs);
      timer.unref();
    });
    const gate = Promise.race([listed.then(() => {}), window]).finally(() => {
      clearTimeout(timer);
      if (this.startupGate === gate) this.startupGate = undefined;
    });
    this.startupGate = gate;
  }

  /**
   * Looks a name up; while servers are still starting, a name not known yet is waited for (a client
   * may call a tool it knows before its server is up): until it appears or every server has had its
   * first attempt, which each connect timeout bounds.
   */
  private async whenKnown<T>(lookup: () => T | undefined): Promise<T | undefined> {
    let found = lookup();
    while (found === undefined && this.firstRound) {
      await new Promise<void>((resolve) => this.once('rebuilt', resolve));
      found = lookup();
    }
    return found;
  }

  /** The tools surface: every tool, or what the tools mode offers. */
  async listTools(): Promise<Record<string, unknown>[]> {
    if (this.startupGate) await this.startupGate;
    if (this.toolsMode) return this.toolsMode.list(this);
    return [...this._catalog.tools.values()].map((e) => e.item as unknown as Record<string, unknown>);
  }

  async callTool(
    name: string,
    args: Record<string, unknown> | undefined,
    call: CallContext,
  ): Promise<Record<string, unknown>> {
    if (this.toolsMode) return this.toolsMode.call(this, name, args, call);
    // A server's own name is resolved once every server is known: another may offer it too.
    let entry = (await this.whenKnown(() => this._catalog.tools.get(name))) ?? this.byUpstreamName(name);
    const waking = entry && this.pool.wake(entry.upstream);
    if (waking) {
      // Listed from the cache: the server decides, once it is up, whether the tool still exists.
      await waking;
      entry = this._catalog.tools.get(name) ?? this.byUpstreamName(name);
    }
    if (!entry) throw unknownName('tool', name, [...this._catalog.tools.keys()], this.notServing());
    return this.callUpstreamTool(entry.upstream, entry.original, args, call);
  }

  /**
   * A tool called by its upstream's own name, when exactly one upstream has a tool of that name. An
   * MCP App's UI calls its server's tools by their own names, and its host forwards the call as it
   * is, with no mark that tells it from any other call: so this holds for every call, and only a
   * name that is no public name and is unambiguous is routed this way.
   */
  private byUpstreamName(name: string): Entry<Tool> | undefined {
    let found: Entry<Tool> | undefined;
    for (const e of this._catalog.tools.values()) {
      if (e.original !== name) continue;
      if (found && found.upstream !== e.upstream) return undefined;
      found = e;
    }
    return found;
  }

  /** Calls a tool on a given upstream by its upstream name (also used by dynamic mode). */
  async callUpstreamTool(
    upstream: string,
    tool: string,
    args: Record<string, unknown> | undefined,
    call: CallContext,
  ): Promise<Record<string, unknown>> {
    return this.pausable(`tools/call\0${upstream}\0${tool}`, upstream, call, (c) =>
      this.callUpstreamOnce(upstream, tool, args, c),
    );
  }

  /**
   * Runs a request (tools/call, prompts/get, resources/read) for its caller. A 2026-07-28 caller
   * cannot be sent requests during its call: requests the upstream pushes (a 2025 hop) pause the call
   * and reach the caller as input_required rounds (paused.ts). `target` names what is called: a
   * retry must call the same.
   */
  private pausable(
    target: string,
    upstream: string,
    call: CallContext,
    run: (call: CallContext) => Promise<Record<string, unknown>>,
  ): Promise<Record<string, unknown>> {
    const origin = call.origin;
    if (origin?.session.era !== 'modern') return run(call);
    const resumed = this.paused.resume(call.mrtr?.requestState, target);
    if (resumed) resumed.answer(call.mrtr?.inputResponses);
    const paused =
      resumed ??
      this.paused.start(
        target,
        (p) =>
          run({
            ...call,
            signal: p.controller.signal,
            onprogress: call.onprogress && ((x) => p.waiter?.onprogress?.(x)),
            origin: {
              ...origin,
              log: async (m) => p.waiter?.log?.(m),
              ask: (method, params) => p.ask(method, params),
            },
          }),
        this.pool.get(upstream)?.requestTimeout ?? 60_000,
      );
    return paused.next({ signal: call.signal, onprogress: call.onprogress, log: origin.log });
  }

  private async callUpstreamOnce(
    upstream: string,
    tool: string,
    args: Record<string, unknown> | undefined,
    call: CallContext,
  ): Promise<Record<string, unknown>> {
    const origin = call.origin;
    const definition = this.upstreamTool(upstream, tool);
    let mrtr = call.mrtr;
    // A 2026-07-28 upstream asks for client input with input_required results. A 2026 caller gets
    // them passed through (it retries with the opaque state); for a 2025 caller the proxy asks it
    // with server-to-client requests on its own session, then retries the call.
    for (let round = 0; ; round++) {
      const result = (await this.forward('tools/call', upstream, call, (client) =>
        client.callTool(
          {
            name: tool,
            arguments: args ?? {},
            ...logMeta(client, call, call.meta),
            ...(mrtr?.inputResponses ? { inputResponses: mrtr.inputResponses } : {}),
            ...(mrtr?.requestState !== undefined ? { requestState: mrtr.requestState } : {}),
          },
          {
            ...this.requestOptions(upstream, call),
            // The definition we already hold: the client then skips its tools/list cache lookup.
            ...(definition ? { toolDefinition: definition } : {}),
            allowInputRequired: true,
          },
        ),
      )) as Record<string, unknown>;
      if (result.resultType !== 'input_required' || call.mrtr || !origin || origin.session.era === 'modern') {
        return mapUris(passInputRequired(result), this.uriToPublic(upstream));
      }
      if (round >= MAX_INPUT_ROUNDS) {
        throw new ProtocolError(
          ProtocolErrorCode.InternalError,
          `upstream "${upstream}" asked for input ${MAX_INPUT_ROUNDS} times in one call; giving up`,
        );
      }
      const requests = (result.inputRequests ?? {}) as Record<string, { method: string; params?: unknown }>;
      const inputResponses: Record<string, unknown> = {};
      for (const [key, req] of Object.entries(requests)) {
        inputResponses[key] = await this.router.request(upstream, req.method, req.params, call.signal, origin);
      }
      mrtr = { inputResponses, requestState: result.requestState as string | undefined };
    }
  }

  /** The upstream's own definition of a tool, from its current catalog (indexed once per catalog). */
  private upstreamTool(upstream: string, tool: string): Record<string, unknown> | undefined {
    const tools = this.pool.get(upstream)?.catalog.tools;
    if (!tools) return undefined;
    let index = toolIndex.get(tools);
    if (!index) {
      index = new Map(tools.map((t) => [t.name, t as unknown as Record<string, unknown>]));
      toolIndex.set(tools, index);
    }
    return index.get(tool);
  }

  private requestOptions(upstream: string, call: CallContext) {
    const conn = this.pool.get(upstream);
    return {
      signal: call.signal,
      timeout: conn?.requestTimeout,
      // Progress from the upstream extends the timeout, as the downstream sees the call is alive.
      resetTimeoutOnProgress: call.onprogress !== undefined,
      onprogress: call.onprogress,
    };
  }

  /** Runs a request on an upstream, mapping failures to precise JSON-RPC errors and recording metrics. */
  private async forward<T>(
    method: string,
    upstream: string,
    call: CallContext | undefined,
    fn: (client: any) => Promise<T>,
  ): Promise<T> {
    const origin = call?.origin;
    const owner = this.isolateSessions && origin && !origin.session.transient ? origin.session.self : undefined;
    const started = performance.now();
    let outcome: Outcome = 'ok';
    this.inflightTotal++;
    const end = origin ? this.router.begin(upstream, origin) : undefined;
    const used = this.pool.beginUse(upstream);
    let conn: UpstreamConnection | undefined;
    try {
      // A lazy server starts on its first request; one still starting is waited for (its first attempt).
      const waking = this.pool.wake(upstream);
      if (waking) await waking;
      conn = this.pool.connectionFor(upstream, owner);
      if (!conn) throw new AppError('UPSTREAM_UNAVAILABLE', `upstream "${upstream}" is not configured`);
      const result = await conn.call(fn, { origin });
      if ((result as { isError?: boolean })?.isError) outcome = 'tool_error';
      return (result && typeof result === 'object' ? cleanResult(result as Record<string, unknown>) : result) as T;
    } catch (e) {
      outcome = classify(e);
      throw toProtocolError(e, upstream, conn, (text) => this.pool.redact(text));
    } finally {
      used();
      end?.();
      this.inflightTotal--;
      this.metrics.observeRequest(method, upstream, outcome, (performance.now() - started) / 1000);
    }
  }

  private tryRouteUri(uri: string): ReturnType<Aggregator['routeUri']> | undefined {
    try {
      return this.routeUri(uri);
    } catch {
      return undefined;
    }
  }

  private routeUri(uri: string): { upstream: string; uri: string; toPublic: (u: string) => string } {
    const cat = this._catalog;
    const direct = cat.resources.get(uri);
    const mk = (upstream: string, original: string) => ({
      upstream,
      uri: original,
      toPublic: this.uriToPublic(upstream),
    });
    if (direct) return mk(direct.upstream, direct.original);
    const split = splitPublicUri(uri, cat.prefixes.keys());
    if (split) return mk(cat.prefixes.get(split.prefix)!, split.uri);
    // An unprefixed server: the one whose template or resource scheme matches.
    for (const t of cat.templates) {
      if (cat.unprefixed.includes(t.upstream) && templateMatches(t.original, uri)) return mk(t.upstream, uri);
    }
    const ready = cat.unprefixed.filter((u) => this.pool.get(u)?.state === 'ready');
    if (ready.length === 1) return mk(ready[0], uri);
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown resource URI: ${uri}`, {
      hint: 'URIs are "<server>+<upstream URI>"; see resources/list and resources/templates/list',
    });
  }

  /** upstream -> public URI for one upstream's resources. */
  private uriToPublic(upstream: string): (uri: string) => string {
    const conn = this.pool.get(upstream);
    return uriToPublic(conn ? prefixFor(conn.name, conn.config.prefix) : '');
  }

  private async subscribe(session: Session, uri: string): Promise<void> {
    await this.subscriptions.subscribe(session.id, uri, this.routeUri(uri));
    session.subscriptions.add(uri);
  }

  private async unsubscribe(session: Session, uri: string): Promise<void> {
    session.subscriptions.delete(uri);
    await this.subscriptions.unsubscribe(session.id, uri, () => this.routeUri(uri));
  }

  private bridge(): DownstreamBridge {
    return {
      request: (upstream, method, params, signal, origin) =>
        this.router.request(upstream, method, params, signal, origin as CallOrigin | undefined),
      notify: (upstream, method, params, origin) => this.relayNotification(upstream, method, params, origin),
    };
  }

  /** Upstream logging and resources/updated notifications, to the sessions they concern. */
  private relayNotification(upstream: string, method: string, params: unknown, origin: object | undefined): void {
    if (method === 'notifications/message') {
      const p = params as { level: LoggingLevel; logger?: string; data: unknown };
      this.router.relayLog(upstream, p, origin as CallOrigin | undefined);
      return;
    }
    if (method === 'notifications/resources/updated') {
      const pub = this.uriToPublic(upstream)((params as { uri: string }).uri);
      for (const id of this.subscriptions.sessionsOf(pub)) {
        void this.router
          .get(id)
          ?.server.sendResourceUpdated({ uri: pub })
          .catch(() => {});
      }
    }
  }

  /** Servers whose names are missing from the lists now, and why (for unknown-name errors). */
  private notServing(): string {
    const down = this.pool
      .list()
      .filter((c) => c.state !== 'ready' && c.state !== 'disabled' && c.state !== 'restarting')
      .map((c) => `"${c.name}" (${c.state}${c.lastError ? `: ${c.lastError}` : ''})`);
    return down.length ? `. Not serving now: ${down.join(', ')}` : '';
  }

  /** Ready upstream connections (for tools modes). */
  readyUpstreams(): UpstreamConnection[] {
    return this.pool.list().filter((c) => c.state === 'ready');
  }
}

/**
 * An upstream's `input_required` answer for a modern (2026-07-28) caller goes back as it came: the
 * caller fulfils the requests and retries with the same opaque state, which the proxy forwards.
 */
function passInputRequired(result: Record<string, unknown>): Record<string, unknown> {
  if ((result as { resultType?: string }).resultType !== 'input_required') return result;
  const { inputRequests, requestState } = result as { inputRequests?: any; requestState?: string };
  return inputRequired({
    ...(inputRequests ? { inputRequests } : {}),
    ...(requestState !== undefined ? { requestState } : {}),
  }) as unknown as Record<string, unknown>;
}

function callContext(ctx: any, params: any, session: Session): CallContext {
  const token = params?._meta?.progressToken ?? ctx?.mcpReq?._meta?.progressToken;
  const logLevel = (params?._meta?.[LOG_LEVEL_META_KEY] ?? ctx?.mcpReq?._meta?.[LOG_LEVEL_META_KEY]) as
    | LoggingLevel
    | undefined;
  const meta = params?._meta ? stripReserved(params._meta) : undefined;
  if (meta) delete meta.progressToken;
  const modern = ctx?.mcpReq?.envelope !== undefined;
  const requestState = modern ? ctx.mcpReq.requestState?.() : undefined;
  return {
    signal: ctx.mcpReq.signal,
    origin: {
      session,
      requestId: ctx.mcpReq.id,
      log: (p) => ctx.mcpReq.log(p.level, p.data, p.logger),
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
            if (ctx.mcpReq.signal.aborted) return;
            void ctx.mcpReq
              .notify({ method: 'notifications/progress', params: { ...p, progressToken: token } })
              .catch(() => {});
          },
  };
}

/**
 * The `_meta` of a request to an upstream. A 2026-07-28 upstream sends logs only at the level each
 * request asks for (it has no logging/setLevel): a 2026 caller's own level is passed on, and a 2025
 * session's (every level until it sets one, as a 2025 server logs before setLevel; the proxy filters
 * by the session's level on the way back).
 */
function logMeta(
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

function stripReserved(meta: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(meta)) if (!k.startsWith(RESERVED_META_PREFIX)) out[k] = v;
  return out;
}

/** Removes the upstream hop's protocol-level fields; the downstream hop adds its own. */
function cleanResult(result: Record<string, unknown>): Record<string, unknown> {
  if (result.resultType === 'input_required') return result;
  const { ttlMs: _t, cacheScope: _c, resultType: _r, _meta, ...rest } = result;
  if (_meta && typeof _meta === 'object') {
    const meta = stripReserved(_meta as Record<string, unknown>);
    if (Object.keys(meta).length) return { ...rest, _meta: meta };
  }
  return rest;
}

function unknownName(kind: string, name: string, known: string[], down = ''): ProtocolError {
  const list = known.length
    ? known.slice(0, 50).join(', ') + (known.length > 50 ? `, ... (${known.length} in all)` : '')
    : '(none)';
  return new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown ${kind}: "${name}". Available: ${list}${down}`);
}

function classify(e: unknown): Outcome {
  if (isAppError(e) && e.code === 'UPSTREAM_UNAVAILABLE') return 'unavailable';
  const msg = errorMessage(e).toLowerCase();
  if (msg.includes('abort') || msg.includes('cancel')) return 'cancelled';
  if (msg.includes('timed out') || msg.includes('timeout')) return 'timeout';
  return 'error';
}

/**
 * Upstream failures become JSON-RPC errors that say which upstream and why. Registered secrets are
 * masked in the message and data of every one, the upstream's own errors included: an upstream that
 * puts its API key in an error message must not hand it to every client.
 */
function toProtocolError(
  e: unknown,
  upstream: string,
  conn: UpstreamConnection | undefined,
  redact: RedactFn,
): unknown {
  if (e instanceof ProtocolError) {
    const message = redact(e.message);
    const data = redactDeep(e.data, redact);
    if (message === e.message && data === e.data) return e;
    // fromError keeps the subclass the code and data call for (URL elicitation, resource not found...).
    return ProtocolError.fromError(e.code, message, data);
  }
  if (isAppError(e)) return new ProtocolError(ProtocolErrorCode.InternalError, redact(e.message), { upstream });
  const code = (e as { code?: unknown })?.code;
  if (typeof code === 'number' && !isUpstreamFailure(e)) {
    // An error the upstream answered with: passed through, masked.
    const data = redactDeep((e as { data?: unknown }).data, redact);
    return new ProtocolError(code as ProtocolErrorCode, redact(errorMessage(e)), data);
  }
  const timeout = conn?.requestTimeout;
  const msg = redact(errorMessage(e));
  const text = /timed? ?out/i.test(msg)
    ? `upstream "${upstream}" did not answer within ${timeout} ms`
    : `upstream "${upstream}" failed: ${msg}`;
  return new ProtocolError(ProtocolErrorCode.InternalError, text, { upstream });
}

function templateMatches(template: string, uri: string): boolean {
  const re = new RegExp(
    `^${template
      .split(/\{[^}]+\}/)
      .map(escapeRe)
      .join('.+')}$`,
  );
  return re.test(uri);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function sameKeys(a: Map<string, unknown>, b: Map<string, unknown>): boolean {
  if (a.size !== b.size) return false;
  for (const k of a.keys()) if (!b.has(k)) return false;
  return true;
}

function sameItems(a: Map<string, { item: unknown }>, b: Map<string, { item: unknown }>): boolean {
  for (const [k, v] of a) if (JSON.stringify(v.item) !== JSON.stringify(b.get(k)?.item)) return false;
  return true;
}
