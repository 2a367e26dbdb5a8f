/**
 * The aggregator: one shared index over the upstream pool, and one MCP `Server` per downstream
 * session (`createServer`). This file wires the parts and owns the catalog, the sessions and the
 * tools surface; requests route to the owning upstream by public name (requests.ts, forward.ts),
 * calls that need input cross protocol eras (inputRounds.ts), and server-to-client traffic goes back
 * to the session whose call caused it (bridge.ts, sessions.ts).
 */

import { EventEmitter } from 'node:events';
import type { ServerCapabilities } from '@modelcontextprotocol/server';
import { Server } from '@modelcontextprotocol/server';
import type { Caller } from '../audit/caller.js';
import type { CallHook } from '../audit/recorder.js';
import type { AccessControl } from '../gateway/access.js';
import { type Identity, LOCAL } from '../gateway/identity.js';
import { type AccessView, ALLOW_ALL } from '../gateway/policy.js';
import type { Logger } from '../observability/logger.js';
import { type Metrics, noopMetrics } from '../observability/metrics.js';
import { rawValue } from '../protocol/rawJson.js';
import type { UpstreamPool } from '../upstream/pool.js';
import type { Upstream } from '../upstream/upstream.js';
import { VERSION } from '../version.js';
import { downstreamBridge } from './bridge.js';
import type { CallContext } from './callContext.js';
import { mergedCapabilities, mergedInstructions, offers } from './capabilities.js';
import { buildCatalog, type Catalog, catalogChanges, collisionKey, describeCollisions } from './catalog.js';
import { Forwarder } from './forward.js';
import { hotHandler, installHandlers } from './handlers.js';
import { DEFAULT_SERVER_NAME, type InitializeOffer } from './initializeOffer.js';
import { InputRounds } from './inputRounds.js';
import { attachRelay } from './relay.js';
import { Requests } from './requests.js';
import { ResourceRoutes } from './resourceRoutes.js';
import { ResultCache } from './resultCache.js';
import { type CallOrigin, type Era, type Listed, newSession, type Session, SessionRouter } from './sessions.js';
import { StartupGate } from './startupGate.js';
import { type StatelessHandler, statelessHandler } from './stateless.js';
import { Subscriptions } from './subscriptions.js';

export type { CallContext, CallOrigin, Era, Session };

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
  /** Who may see and use what (proxy.access); absent: everyone everything. */
  access?: AccessControl;
  /** Wraps every forwarded tools/call, prompts/get and resources/read (the audit log). */
  onCall?: CallHook;
}

/** What a tools surface must provide (the default exposes every tool; dynamic mode two meta-tools). */
export interface ToolsMode {
  /** `view`: what the listing session may see (a mode lists only what it allows). */
  list(agg: Aggregator, view?: AccessView): Promise<Record<string, unknown>[]> | Record<string, unknown>[];
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

export class Aggregator extends EventEmitter {
  readonly pool: UpstreamPool;
  private readonly log: Logger;
  private readonly name: string;
  readonly separator: string;
  private toolsMode?: ToolsMode;
  private toolsModeKey?: string;
  private _catalog: Catalog;
  private readonly router: SessionRouter;
  private readonly gate = new StartupGate(this);
  private readonly forwarder: Forwarder;
  private readonly rounds: InputRounds;
  private readonly subscriptions: Subscriptions;
  private readonly requests: Requests;
  private nextSessionId = 1;
  private readonly access?: AccessControl;

  constructor(opts: AggregatorOptions) {
    super();
    this.setMaxListeners(0);
    this.pool = opts.pool;
    this.log = opts.logger.child({ component: 'aggregator' });
    this.name = opts.name ?? DEFAULT_SERVER_NAME;
    this.separator = opts.separator;
    this.toolsMode = opts.toolsMode;
    this.router = new SessionRouter(this.log);
    const pool = this.pool;
    const router = this.router;
    const catalog = () => this._catalog;
    const routes = new ResourceRoutes(pool, catalog);
    const metrics = opts.metrics ?? noopMetrics;
    // Results are kept per identity as soon as a policy could tell two callers apart.
    const cache = new ResultCache(metrics, () => opts.access?.open === false);
    const isolateSessions = opts.isolateSessions ?? false;
    const forwarder = new Forwarder({ pool, router, metrics, isolateSessions, cache });
    this.forwarder = forwarder;
    this.rounds = new InputRounds({ pool, forwarder, router, routes, onCall: opts.onCall });
    this.subscriptions = new Subscriptions(
      (method, upstream, fn) => forwarder.run(method, upstream, undefined, fn),
      (uri) => routes.route(uri),
    );
    const { gate, rounds, subscriptions } = this;
    this.requests = new Requests({ pool, catalog, gate, forwarder, rounds, routes, subscriptions });
    this._catalog = buildCatalog(pool.list(), this.separator, (c) => pool.served(c));
    this.toolsModeKey = this.toolsMode?.fingerprint?.(this);
    const toPublic = (upstream: string) => routes.toPublic(upstream);
    pool.setBridge(downstreamBridge(router, subscriptions, toPublic, (u, uri) => cache.dropResource(u, uri)));
    pool.on('catalog', (name: string) => {
      // Whatever a server listed before its lists changed (or it was reloaded) may be stale now.
      cache.dropServer(name ?? '*');
      this.rebuild();
    });
    this.access = opts.access;
    this.access?.on('changed', () => this.accessChanged());
  }

  /** A reloaded policy may show or hide anything: every session is told every list changed. */
  private accessChanged(): void {
    this.emit('list_changed', { tools: true, prompts: true, resources: true });
    this.announce({ tools: true, prompts: true, resources: true });
  }

  get catalog(): Catalog {
    return this._catalog;
  }

  setToolsMode(mode: ToolsMode | undefined): void {
    this.toolsMode = mode;
    this.rebuild(true);
  }

  /** Name collisions in the current catalog, described (each is logged once when it appears). */
  collisions(): string[] {
    return describeCollisions(this.relevantCollisions(this._catalog));
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
    const known = new Set(before.collisions.map(collisionKey));
    const fresh = this.relevantCollisions(after).filter((c) => !known.has(collisionKey(c)));
    for (const line of describeCollisions(fresh)) this.log.error(`name collision: ${line}`);
    const modeKey = this.toolsMode?.fingerprint?.(this);
    const modeChanged = modeKey !== this.toolsModeKey;
    this.toolsModeKey = modeKey;
    const changed = catalogChanges(before, after);
    if (forceTools || modeChanged) changed.tools = true;
    this.emit('rebuilt');
    if (!changed.tools && !changed.prompts && !changed.resources) return;
    this.emit('list_changed', changed);
    this.announce(changed);
  }

  /**
   * Tells each session that holds one of the `changed` lists that it changed. A 2026-07-28 session
   * asked to be told (its notifications go on the subscriptions/listen stream it opened).
   */
  private announce(changed: Listed): void {
    for (const s of this.router.sessions()) {
      const all = s.era === 'modern';
      if (changed.tools && (all || s.listed.tools)) void s.server.sendToolListChanged().catch(() => {});
      if (changed.prompts && (all || s.listed.prompts)) void s.server.sendPromptListChanged().catch(() => {});
      if (changed.resources && (all || s.listed.resources)) {
        void s.server.sendResourceListChanged().catch(() => {});
      }
    }
  }

  /** What a new session is offered (see capabilities.ts). */
  capabilities(): ServerCapabilities {
    return mergedCapabilities(this.pool.list());
  }

  instructions(): string | undefined {
    return mergedInstructions(this.pool.list(), (c) => this.pool.knownOf(c));
  }

  /**
   * One MCP Server for one downstream session. `transient` servers answer a single stateless
   * (2026-07-28) HTTP request and are not kept for notifications. `offer`: what the session was
   * already told at an initialize answered early (frontends/earlyStdio.ts), which it keeps.
   */
  createServer(opts: {
    era: Era;
    transient?: boolean;
    identity?: Identity;
    profile?: string;
    caller?: Caller;
    offer?: InitializeOffer;
  }): Server {
    const capabilities = opts.offer?.capabilities ?? this.capabilities();
    const instructions = opts.offer ? opts.offer.instructions : this.instructions();
    const server = new Server({ name: this.name, version: VERSION }, { capabilities, instructions });
    const session = newSession(this.nextSessionId++, server, opts.era, opts.transient ?? false);
    session.identity = opts.identity ?? LOCAL;
    session.access = this.access?.view(opts.identity, opts.profile) ?? ALLOW_ALL;
    session.caller = opts.caller ?? { identity: session.identity };
    if (!session.transient) {
      // Registered on first use, not at construction: serving entries may build an instance only to
      // probe the era and discard it.
      server.oninitialized = () => this.router.register(session);
      const prevClose = server.onclose;
      server.onclose = () => {
        prevClose?.();
        this.dropSession(session);
      };
    }
    const touch = () => this.router.register(session);
    installHandlers(server, session, capabilities, { tools: this, requests: this.requests, touch });
    attachRelay(server, {
      session,
      capabilities,
      handle: hotHandler({ tools: this, requests: this.requests }),
      touch,
      rawArguments: (tool) => this.passesRawArguments(tool),
    });
    return server;
  }

  /**
   * Serves 2026-07-28 hot requests without a Server per request (the HTTP frontend's fast path,
   * stateless.ts), through the same handlers a Server's would call.
   */
  statelessHandler(): StatelessHandler {
    return statelessHandler({
      handle: hotHandler({ tools: this, requests: this.requests }),
      // Asked on every request: tools are always offered, without listing the pool.
      offers: (k) =>
        k === 'tools' ||
        (k === 'prompts' || k === 'resources' || k === 'completions'
          ? offers(this.pool.list(), k)
          : this.capabilities()[k] !== undefined),
      access: this.access,
      serverInfo: { name: this.name, version: VERSION },
      nextSessionId: () => this.nextSessionId++,
    });
  }

  private dropSession(session: Session): void {
    this.router.drop(session);
    for (const uri of session.subscriptions) void this.subscriptions.unsubscribe(session, uri);
    void this.pool.release(session.self);
  }

  /**
   * Whether a tool's arguments are likely to go on as the client's bytes: the tool is served by a stdio
   * upstream that does not speak 2026-07-28 (the fast lane writes them raw). Everything else parses
   * them anyway; a wrong guess costs time, never correctness.
   */
  private passesRawArguments(tool: string): boolean {
    if (this.toolsMode) return false;
    const entry = this._catalog.tools.get(tool);
    const conn = entry && this.pool.get(entry.upstream);
    if (conn?.config.type !== 'stdio' || conn.config.protocol === '2026-07-28') return false;
    // `auto` speaks 2025-11-25 to a server that accepts it.
    return conn.status().protocolVersion !== '2026-07-28';
  }

  /** Upstream requests in flight (shutdown waits for them). */
  get inflight(): number {
    return this.forwarder.inflight;
  }

  get sessionCount(): number {
    return this.router.size;
  }

  /**
   * Listings wait for the first connect round, at most `windowMs` (see startupGate.ts); `listed` settles
   * once every server's tools can be listed (from a cached catalog too), `whole` once its prompts and
   * resources can too: listings wait only for those.
   */
  waitForStartup(
    firstRound: Promise<unknown>,
    windowMs: number,
    listed: Promise<unknown> = firstRound,
    whole: Promise<unknown> = listed,
  ): void {
    this.gate.wait(firstRound, windowMs, listed, whole);
  }

  /**
   * `lookup`, waited for while servers are still starting and it finds nothing (see StartupGate.whenKnown):
   * a tools mode resolves its own names (dynamic mode: a group and a tool in it) as a direct call does.
   */
  whenKnown<T>(lookup: () => T | undefined): Promise<T | undefined> {
    return this.gate.whenKnown(lookup);
  }

  /** Settles once a session's first listing (tools, prompts or resources) has been answered. */
  firstListing(): Promise<void> {
    return this.gate.firstListing;
  }

  /**
   * The tools surface: every tool, or what the tools mode offers; only what `view` allows. `listed`: the
   * session being answered, told of changes from now on.
   */
  async listTools(view: AccessView = ALLOW_ALL, listed?: Listed): Promise<Record<string, unknown>[]> {
    await this.gate.listing();
    // In the same turn as the list is read: a change after it is announced, one before it is in it.
    if (listed) listed.tools = true;
    if (this.toolsMode) return this.toolsMode.list(this, view);
    return this.requests.tools(view);
  }

  async callTool(
    name: string,
    args: Record<string, unknown> | undefined,
    call: CallContext,
  ): Promise<Record<string, unknown>> {
    // A tools mode reads the arguments (a dynamic call's are nested): it gets them parsed.
    if (this.toolsMode) return this.toolsMode.call(this, name, rawValue(args) as typeof args, call);
    return this.requests.callTool(name, args, call);
  }

  /** Calls a tool on a given upstream by its upstream name (also used by dynamic mode). */
  callUpstreamTool(
    upstream: string,
    tool: string,
    args: Record<string, unknown> | undefined,
    call: CallContext,
  ): Promise<Record<string, unknown>> {
    return this.rounds.callTool(upstream, tool, args, call);
  }

  /** Ready upstream connections (for tools modes). */
  readyUpstreams(): Upstream[] {
    return this.pool.list().filter((c) => c.state === 'ready');
  }
}
