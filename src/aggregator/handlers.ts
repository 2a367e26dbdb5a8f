/**
 * The MCP request handlers of one downstream session's Server: each builds the call's context and
 * hands it to the aggregator's tools surface or to Requests. Only what the session's capabilities
 * announce is installed.
 */
import type { LoggingLevel, RequestMethod, Server, ServerCapabilities } from '@modelcontextprotocol/server';
import type { AccessView } from '../gateway/policy.js';
import { type CallContext, callContext } from './callContext.js';
import type { Requests } from './requests.js';
import type { Listed, Session } from './sessions.js';

/** The tools surface as a session sees it (every tool, or what a tools mode offers). */
export interface ToolsSurface {
  listTools(view?: AccessView, listed?: Listed): Promise<Record<string, unknown>[]>;
  callTool(
    name: string,
    args: Record<string, unknown> | undefined,
    call: CallContext,
  ): Promise<Record<string, unknown>>;
}

export interface HandlerDeps {
  tools: ToolsSurface;
  requests: Requests;
  /** Called on every request: a session is registered on first use. */
  touch(): void;
}

type Handler = (params: any, call: CallContext) => Promise<any>;

/** The handlers of the hot requests, by method (also what the relay calls, see relay.ts). */
export function hotHandler(deps: Pick<HandlerDeps, 'tools' | 'requests'>) {
  const { tools, requests } = deps;
  return (method: string, params: any, call: CallContext): Promise<Record<string, unknown>> => {
    switch (method) {
      case 'tools/call':
        return tools.callTool(params.name, params.arguments, call);
      case 'prompts/get':
        return requests.getPrompt(params, call);
      case 'resources/read':
        return requests.readResource(params, call);
      default:
        return requests.complete(params, call);
    }
  };
}

export function installHandlers(server: Server, session: Session, caps: ServerCapabilities, deps: HandlerDeps): void {
  const { tools, requests } = deps;
  const hot = hotHandler(deps);
  const on = (method: RequestMethod, fn: Handler) =>
    server.setRequestHandler(method, (request: any, ctx: any) => {
      deps.touch();
      const params = request.params ?? {};
      return fn(params, callContext(ctx, params, session));
    });

  // The level is this session's own: kept here (unattributed logs go to sessions that asked) and
  // never forwarded (one client would silence the others).
  server.setRequestHandler('logging/setLevel', async (request: any) => {
    deps.touch();
    session.logLevel = request.params.level as LoggingLevel;
    return {};
  });
  if (caps.tools) {
    on('tools/list', async () => ({ tools: await tools.listTools(session.access, session.listed) }));
    on('tools/call', (params, call) => hot('tools/call', params, call));
  }
  if (caps.prompts) {
    on('prompts/list', () => requests.listPrompts(session));
    on('prompts/get', (params, call) => hot('prompts/get', params, call));
  }
  if (caps.resources) {
    on('resources/list', () => requests.listResources(session));
    on('resources/templates/list', () => requests.listResourceTemplates(session));
    on('resources/read', (params, call) => hot('resources/read', params, call));
    if ((caps.resources as { subscribe?: boolean }).subscribe) {
      on('resources/subscribe', async (params) => {
        await requests.subscribe(session, params.uri);
        return {};
      });
      on('resources/unsubscribe', async (params) => {
        await requests.unsubscribe(session, params.uri);
        return {};
      });
    }
  }
  if (caps.completions) on('completion/complete', (params, call) => hot('completion/complete', params, call));
}
