/**
 * The OpenAPI 3.1 document of the dashboard's API, served at /api/openapi.json. Written by hand: the
 * API is small, and the document is the contract scripts read.
 */
import { VERSION } from '../version.js';

const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const sse = (description: string) => ({
  description,
  content: { 'text/event-stream': { schema: { type: 'string' } } },
});
const error = { $ref: '#/components/schemas/Error' };
const errors = {
  '400': { description: 'Bad input', ...json(error) },
  '401': { description: 'No or wrong bearer token (same as /mcp)' },
  '403': { description: 'Policy does not allow it', ...json(error) },
  '404': { description: 'Unknown (or hidden) name', ...json(error) },
};
const q = (name: string, description: string) => ({
  name,
  in: 'query',
  required: false,
  description,
  schema: { type: 'string' },
});
const pathName = (description: string) => ({
  name: 'name',
  in: 'path',
  required: true,
  description,
  schema: { type: 'string' },
});
const body = (schema: object) => ({ required: true, ...json(schema) });
const streamable = 'With `Accept: text/event-stream`: `progress` events, then one `result` (or `error`) event.';
const entryBody = {
  type: 'object',
  required: ['name', 'entry'],
  properties: { name: { type: 'string' }, entry: { type: 'object', description: 'as under mcpServers' } },
};

const PATHS = {
  '/login': {
    get: {
      summary: 'How the dashboard signs in (public)',
      description:
        'The OIDC authorization code + PKCE endpoints and the public client id when `proxy.auth.oidc.dashboardClientId` is set; `{"oidc": null}` otherwise.',
      security: [],
      responses: {
        '200': { description: 'Sign-in settings', ...json({ type: 'object' }) },
        '502': { description: "The issuer's discovery document could not be read" },
      },
    },
  },
  '/me': {
    get: {
      summary: 'Who the token is',
      responses: { '200': { description: 'The identity', ...json({ type: 'object' }) } },
    },
  },
  '/servers': {
    get: {
      summary: 'Servers the caller may see, their state, stderr tail and sparkline',
      description: 'With `Accept: text/event-stream`: a `servers` event now and on every change.',
      responses: { '200': { description: 'Servers', ...json({ $ref: '#/components/schemas/Servers' }) } },
    },
  },
  '/servers/{name}': {
    put: {
      summary: 'Add or replace a server (as `mcp-proxy add`; admin only)',
      parameters: [pathName('server name')],
      requestBody: body({
        type: 'object',
        required: ['entry'],
        properties: { entry: { type: 'object' }, force: { type: 'boolean' } },
      }),
      responses: {
        '200': {
          description: 'Written; the live reload applies it',
          ...json({ $ref: '#/components/schemas/Edit' }),
        },
        '422': { description: 'Refused', ...json({ $ref: '#/components/schemas/Edit' }) },
        ...errors,
      },
    },
    delete: {
      summary: 'Remove a server (as `mcp-proxy remove`; admin only)',
      parameters: [pathName('server name')],
      responses: {
        '200': { description: 'Removed', ...json({ $ref: '#/components/schemas/Edit' }) },
        '422': { description: 'Refused', ...json({ $ref: '#/components/schemas/Edit' }) },
        ...errors,
      },
    },
  },
  '/tools': {
    get: {
      summary: 'Tools the caller may use',
      parameters: [q('q', 'words to find in name or description'), q('server', 'only this server')],
      responses: { '200': { description: 'Tools', ...json({ type: 'object' }) } },
    },
  },
  '/prompts': {
    get: {
      summary: 'Prompts the caller may use',
      parameters: [q('q', 'words'), q('server', 'server')],
      responses: { '200': { description: 'Prompts', ...json({ type: 'object' }) } },
    },
  },
  '/resources': {
    get: {
      summary: 'Resources and templates the caller may read',
      parameters: [q('q', 'words'), q('server', 'server')],
      responses: { '200': { description: 'Resources', ...json({ type: 'object' }) } },
    },
  },
  '/search': {
    get: {
      summary: 'Discovery: tools, prompts and resources across servers by name and description',
      parameters: [q('q', 'words'), q('server', 'server')],
      responses: { '200': { description: 'Matches', ...json({ type: 'object' }) } },
    },
  },
  '/tools/{name}/call': {
    post: {
      summary: 'Call a tool as the caller (policy and audit apply)',
      description: streamable,
      parameters: [pathName('public tool name')],
      requestBody: body({ type: 'object', properties: { arguments: { type: 'object' } } }),
      responses: {
        '200': { description: 'The CallToolResult', ...json({ type: 'object' }) },
        ...errors,
        '502': { description: 'Upstream failure', ...json(error) },
      },
    },
  },
  '/prompts/{name}/get': {
    post: {
      summary: 'Get a prompt',
      description: streamable,
      parameters: [pathName('public prompt name')],
      requestBody: body({
        type: 'object',
        properties: { arguments: { type: 'object', additionalProperties: { type: 'string' } } },
      }),
      responses: { '200': { description: 'The GetPromptResult', ...json({ type: 'object' }) }, ...errors },
    },
  },
  '/resources/read': {
    post: {
      summary: 'Read a resource',
      description: streamable,
      requestBody: body({ type: 'object', required: ['uri'], properties: { uri: { type: 'string' } } }),
      responses: { '200': { description: 'The ReadResourceResult', ...json({ type: 'object' }) }, ...errors },
    },
  },
  '/logs': {
    get: {
      summary: "Recent log lines: the proxy's own (admin only) and the stderr of servers the caller may see",
      description: 'With `Accept: text/event-stream`: the recent lines, then each new one as a `log` event.',
      parameters: [
        q('server', '`proxy` or a server name'),
        q('level', 'lowest level: trace, debug, info, warn, error, fatal'),
        q('after', 'only lines after this seq'),
      ],
      responses: {
        '200': { description: 'Lines', ...json({ type: 'object' }) },
        ...{ 'text/event-stream': sse('log events') },
      },
    },
  },
  '/config': {
    get: {
      summary: 'The config as written, literal secrets masked, and where each variable comes from (admin only)',
      responses: { '200': { description: 'Config', ...json({ type: 'object' }) }, ...errors },
    },
  },
  '/config/validate': {
    post: {
      summary: 'Check a server entry as `add` would; nothing is written (admin only)',
      requestBody: body(entryBody),
      responses: {
        '200': { description: 'Valid', ...json({ $ref: '#/components/schemas/Edit' }) },
        '422': { description: 'Invalid', ...json({ $ref: '#/components/schemas/Edit' }) },
        ...errors,
      },
    },
  },
};

const COMPONENTS = {
  securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
  schemas: {
    Error: {
      type: 'object',
      properties: {
        error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
      },
    },
    Edit: {
      type: 'object',
      properties: {
        ok: { type: 'boolean' },
        message: { type: 'string' },
        warnings: { type: 'array', items: { type: 'string' } },
        details: { type: 'array', items: { type: 'string' } },
      },
    },
    Servers: {
      type: 'object',
      properties: {
        ready: { type: 'boolean' },
        servers: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              name: { type: 'string' },
              type: { type: 'string' },
              state: {
                enum: ['connecting', 'ready', 'degraded', 'retrying', 'restarting', 'failed', 'disabled', 'closed'],
              },
              breaker: { enum: ['closed', 'open', 'half-open'] },
              protocolVersion: { type: 'string' },
              restarts: { type: 'integer' },
              lastError: { type: 'string' },
              stderrTail: { type: 'array', items: { type: 'string' } },
              sparkline: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { calls: { type: 'number' }, errors: { type: 'number' }, meanMs: { type: 'number' } },
                },
              },
            },
          },
        },
      },
    },
  },
};

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'mcp-proxy dashboard API',
      version: VERSION,
      description:
        'What the web dashboard uses; scripts can too. Same authentication and policy as /mcp: a bearer token (MCP_PROXY_TOKEN, an API key, an OIDC access token). Registered secrets are masked in every answer.',
    },
    servers: [{ url: '/api/v1' }],
    security: [{ bearer: [] }],
    paths: PATHS,
    components: COMPONENTS,
  };
}
