/**
 * The downstream requests other than the tools surface (which tools modes may replace; see
 * server.ts): prompts, resources, completion and subscriptions, each routed by public name or URI
 * to its upstream and forwarded with the upstream's own name or URI.
 */
import type { Client } from '@modelcontextprotocol/client';
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import { type AccessView, ALLOW_ALL, filterListing, type ItemKind, itemOf } from '../gateway/policy.js';
import type { UpstreamPool } from '../upstream/pool.js';
import { requestUnchecked } from '../upstream/unchecked.js';
import { type CallContext, logMeta, resumesInput } from './callContext.js';
import { byUpstreamName, type Catalog, type Entry } from './catalog.js';
import type { Forwarder } from './forward.js';
import type { InputRounds } from './inputRounds.js';
import { mapUris } from './naming.js';
import { notServing, unknownName } from './protocolErrors.js';
import type { ResourceRoutes } from './resourceRoutes.js';
import type { Session } from './sessions.js';
import type { StartupGate } from './startupGate.js';
import type { Subscriptions } from './subscriptions.js';

type Result = Record<string, unknown>;

export interface RequestsOptions {
  pool: UpstreamPool;
  catalog: () => Catalog;
  gate: StartupGate;
  forwarder: Forwarder;
  rounds: InputRounds;
  routes: ResourceRoutes;
  subscriptions: Subscriptions;
}

export class Requests {
  constructor(private readonly opts: RequestsOptions) {}

  private get catalog(): Catalog {
    return this.opts.catalog();
  }

  /** Every upstream tool `view` allows, under its public name (the default tools surface). */
  tools(view: AccessView = ALLOW_ALL): Result[] {
    return filterListing(view, [...this.catalog.tools.values()], (e) => itemOf('tool', e)).map(
      (e) => e.item as unknown as Result,
    );
  }

  /** A tool by public name (or, when unambiguous, by its upstream's own name). */
  async callTool(name: string, args: Result | undefined, call: CallContext): Promise<Result> {
    // A server's own name is resolved once every server is known: another may offer it too.
    const session = call.origin?.session;
    const lookup = () => this.catalog.tools.get(name) ?? byUpstreamName(this.catalog, name);
    let found =
      (await this.opts.gate.whenKnown(() => this.catalog.tools.get(name))) ?? byUpstreamName(this.catalog, name);
    const waking = found && this.opts.pool.wake(found.upstream);
    if (waking) {
      // Listed from the cache: the server decides, once it is up, whether the tool still exists.
      await waking;
      found = lookup();
    }
    const entry = allowed(session, 'tool', found);
    if (!entry) {
      const known = session ? this.visibleNames(session, 'tool') : [...this.catalog.tools.keys()];
      throw unknownName('tool', name, known, this.down(session));
    }
    return this.opts.rounds.callTool(entry.upstream, entry.original, args, call);
  }

  async listPrompts(session: Session): Promise<Result> {
    await this.opts.gate.listing('rest');
    session.listed.prompts = true;
    return { prompts: visible(session, 'prompt', [...this.catalog.prompts.values()]).map((e) => e.item) };
  }

  async getPrompt(params: any, call: CallContext): Promise<Result> {
    const { gate, forwarder, routes } = this.opts;
    const session = call.origin?.session;
    const entry = allowed(session, 'prompt', await gate.whenKnown(() => this.catalog.prompts.get(params.name), 'rest'));
    if (!entry) {
      const known = session ? this.visibleNames(session, 'prompt') : [...this.catalog.prompts.keys()];
      throw unknownName('prompt', params.name, known, this.down(session));
    }
    const result = await this.forwardPausable(
      'prompts/get',
      entry.upstream,
      entry.original,
      call,
      (client, c) =>
        requestUnchecked(
          client,
          'prompts/get',
          { ...params, name: entry.original, ...logMeta(client, c, params._meta) },
          forwarder.requestOptions(entry.upstream, c),
        ),
      params.arguments,
    );
    return mapUris(result, routes.toPublic(entry.upstream));
  }

  async listResources(session: Session): Promise<Result> {
    await this.opts.gate.listing('rest');
    session.listed.resources = true;
    return { resources: visible(session, 'resource', [...this.catalog.resources.values()]).map((e) => e.item) };
  }

  async listResourceTemplates(session: Session): Promise<Result> {
    await this.opts.gate.listing('rest');
    session.listed.resources = true;
    return { resourceTemplates: visible(session, 'resource', this.catalog.templates).map((e) => e.item) };
  }

  async readResource(params: any, call: CallContext): Promise<Result> {
    const { gate, forwarder, routes } = this.opts;
    const target = (await gate.whenKnown(() => routes.tryRoute(params.uri), 'rest')) ?? routes.route(params.uri);
    assertUri(call.origin?.session, target.upstream, params.uri);
    const result = (await this.forwardPausable('resources/read', target.upstream, target.uri, call, (client, c) =>
      requestUnchecked(
        client,
        'resources/read',
        { ...params, uri: target.uri, ...logMeta(client, c, params._meta) },
        forwarder.requestOptions(target.upstream, c),
      ),
    )) as any;
    return mapUris({ ...result, contents: result.contents ?? [] }, target.toPublic);
  }

  subscribe(session: Session, uri: string): Promise<void> {
    assertUri(session, this.opts.routes.route(uri).upstream, uri);
    return this.opts.subscriptions.subscribe(session, uri);
  }

  unsubscribe(session: Session, uri: string): Promise<void> {
    return this.opts.subscriptions.unsubscribe(session, uri);
  }

  /** completion/complete for a prompt's argument or a resource template's variable. */
  async complete(params: any, call: CallContext): Promise<Result> {
    const { forwarder, routes } = this.opts;
    const ref = params.ref ?? {};
    if (ref.type === 'ref/prompt') {
      const session = call.origin?.session;
      const entry = allowed(session, 'prompt', this.catalog.prompts.get(ref.name));
      if (!entry) {
        throw unknownName(
          'prompt',
          ref.name,
          session ? this.visibleNames(session, 'prompt') : [...this.catalog.prompts.keys()],
        );
      }
      return forwarder.run('completion/complete', entry.upstream, call, (client) =>
        requestUnchecked(
          client,
          'completion/complete',
          { ...params, ref: { ...ref, name: entry.original } },
          forwarder.requestOptions(entry.upstream, call),
        ),
      );
    }
    const tmpl = this.catalog.templates.find((t) => t.item.uriTemplate === ref.uri);
    const target = tmpl ? { upstream: tmpl.upstream, uri: tmpl.original } : routes.route(ref.uri);
    assertUri(call.origin?.session, target.upstream, ref.uri);
    return forwarder.run('completion/complete', target.upstream, call, (client) =>
      requestUnchecked(
        client,
        'completion/complete',
        { ...params, ref: { ...ref, uri: target.uri } },
        forwarder.requestOptions(target.upstream, call),
      ),
    );
  }

  /**
   * Forwards a request its caller may be asked for input during (InputRounds.pausable); `name` is
   * what is called on the upstream, which a resumed call must match.
   */
  private forwardPausable(
    method: string,
    upstream: string,
    name: string,
    call: CallContext,
    fn: (client: Client, call: CallContext) => Promise<unknown>,
    args?: unknown,
  ): Promise<Result> {
    const { rounds, forwarder } = this.opts;
    return rounds.pausable(
      `${method}\0${upstream}\0${name}`,
      upstream,
      call,
      (c) =>
        forwarder.run(method, upstream, c, (client) => fn(client, c), {
          name,
          args,
          continued: resumesInput(c.mrtr),
        }) as Promise<Result>,
      args,
    );
  }

  private visibleNames(session: Session, kind: 'tool' | 'prompt'): string[] {
    const map = kind === 'tool' ? this.catalog.tools : this.catalog.prompts;
    return visible(session, kind, [...map.values()]).map((e) => e.item.name);
  }

  private down(session?: Session): string {
    // Down servers are named only to callers who may see everything.
    if (session && !session.access.unrestricted?.()) return '';
    return notServing(this.opts.pool.list());
  }
}

/** The entries the session's caller may see. */
function visible<E extends Entry<any>>(session: Session, kind: ItemKind, entries: E[]): E[] {
  return filterListing(session.access, entries, (e) => itemOf(kind, e));
}

/** The entry when the caller may use it; a hidden one is answered exactly as an unknown one. */
function allowed<E extends Entry<any>>(session: Session | undefined, kind: ItemKind, e: E | undefined): E | undefined {
  return e && (!session || session.access.allows(itemOf(kind, e))) ? e : undefined;
}

/** A URI of a hidden server or resource is refused as an unknown one (its own URI is all it names). */
function assertUri(session: Session | undefined, upstream: string, uri: string): void {
  if (!session || session.access.allows({ kind: 'resource', server: upstream, name: uri })) return;
  throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown resource URI: ${uri}`, {
    hint: 'URIs are "<server>+<upstream URI>"; see resources/list and resources/templates/list',
  });
}
