/**
 * The config schema: the single source of truth for config types and for the published JSON Schema
 * (scripts/gen-schema.ts writes dist/config.schema.json from it).
 *
 * The top level is the standard `{"mcpServers": {...}}` object that Claude Desktop, Cursor and FastMCP
 * write, so a user can paste what they have; the proxy's own settings sit beside it under `"proxy"`.
 */
import { z } from 'zod';
import { isAddressOrCidr } from '../util/cidr.js';
import { DEFAULTS } from './defaults.js';
import { kindFromFirstReplica, replicaEntries, scaleFields, scaleProblems } from './schemaScale.js';
import { AccessSettings, AuditSettings, AuthSettings, LimitsSettings } from './schemaTeam.js';

export { AccessSettings, AuditSettings, AuthSettings, DEFAULTS, LimitsSettings };

const stringMap = z.record(z.string(), z.string());

/** An absolute http:// or https:// URL (`localhost:3000/mcp` would otherwise parse as scheme "localhost"). */
const httpUrl = z.url({ protocol: /^https?$/, message: 'url must be an absolute http:// or https:// URL' });

/** Which protocol era to speak to an upstream: probe (`auto`), or pin one. */
export const UpstreamProtocol = z
  .enum(['auto', '2025-11-25', '2026-07-28'])
  .describe(
    'Protocol era towards this upstream: auto speaks 2025-11-25 and falls back to 2026-07-28 when the server refuses initialize.',
  );

const ToolFilter = z
  .object({
    include: z.array(z.string()).optional().describe('Glob patterns of upstream tool names to expose (default: all).'),
    exclude: z.array(z.string()).optional().describe('Glob patterns of upstream tool names to hide.'),
  })
  .strict();

/** Fields every upstream kind shares. */
const common = {
  disabled: z.boolean().optional().describe('Keep this server in the config but do not start it.'),
  prefix: z
    .union([z.string().regex(/^[A-Za-z0-9_-]*$/, 'use only letters, digits, "_" and "-"'), z.literal(false)])
    .optional()
    .describe('Public name prefix (default: the server name); false exposes names unprefixed.'),
  tools: ToolFilter.optional(),
  timeout: z.number().int().positive().optional().describe('Request timeout in milliseconds for this server.'),
  connectTimeout: z.number().int().positive().optional().describe('Connect timeout in milliseconds.'),
  description: z.string().optional().describe('What this server is for (shown in dynamic tools mode).'),
  protocol: UpstreamProtocol.optional(),
  lazy: z
    .boolean()
    .optional()
    .describe(
      'Start this server on its first use (a call, a read, a prompt) instead of at proxy start; its cached catalog is listed until then. Without a cache entry it is started once to learn its catalog.',
    ),
  idleTimeout: z
    .number()
    .int()
    .positive()
    .optional()
    .describe(
      'With lazy: stop the server again after this many ms without requests (it starts again on the next one).',
    ),
  isolation: z
    .enum(['shared', 'session'])
    .optional()
    .describe(
      'shared (default): one connection for every client session. session: each HTTP client session gets its own connection (its own process for stdio/docker), so server-to-client requests and logs can always be routed back; costs one connection per session.',
    ),
  ...scaleFields,
  // Keys other MCP clients write into their entries; accepted so a pasted config still loads.
  autoApprove: z.array(z.string()).optional().describe('Ignored (written by some clients).'),
  alwaysAllow: z.array(z.string()).optional().describe('Ignored (written by some clients).'),
};

export const StdioServer = z
  .object({
    type: z.literal('stdio'),
    command: z.string().min(1, 'command must not be empty'),
    args: z.array(z.string()).optional(),
    env: stringMap.optional().describe('Environment for the child, on top of the base environment.'),
    cwd: z.string().optional(),
    ...common,
  })
  .strict();

/** A loopback http:// redirect URL (RFC 8252: native apps receive the code on the loopback interface). */
const loopbackRedirect = httpUrl.refine(
  (u) => /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//.test(u),
  'redirectUrl must be a loopback http:// URL, e.g. http://127.0.0.1:33418/callback',
);

/**
 * OAuth 2.1 login to a remote server (the MCP authorization spec): `true` for discovery and dynamic
 * client registration, or the details of a client registered by hand. Tokens come from
 * `mcp-proxy auth login NAME`, never from the config.
 */
export const OAuthSettings = z
  .object({
    clientId: z.string().min(1).optional().describe('A pre-registered client id (default: dynamic registration).'),
    clientSecret: z
      .string()
      .min(1)
      .optional()
      .describe(
        'The pre-registered client secret; write it as a $-variable reference so it comes from the credentials.',
      ),
    scopes: z.array(z.string().min(1)).optional().describe('Scopes to ask for (default: what the server advertises).'),
    redirectUrl: loopbackRedirect
      .optional()
      .describe('Loopback redirect URL registered for a pre-registered client (default: a free port on 127.0.0.1).'),
  })
  .strict();

const oauthField = z
  .union([z.literal(true), OAuthSettings])
  .optional()
  .describe('Log in with OAuth (`mcp-proxy auth login NAME`): true, or a pre-registered client.');

export const HttpServer = z
  .object({
    type: z.literal('http'),
    url: httpUrl,
    headers: stringMap.optional(),
    oauth: oauthField,
    ...common,
  })
  .strict();

export const SseServer = z
  .object({
    type: z.literal('sse'),
    url: httpUrl,
    headers: stringMap.optional(),
    oauth: oauthField,
    ...common,
  })
  .strict();

export const DockerServer = z
  .object({
    type: z.literal('docker'),
    image: z.string().min(1),
    args: z.array(z.string()).optional().describe('Command arguments passed to the container.'),
    env: stringMap.optional(),
    volumes: z.array(z.string()).optional().describe('Bind mounts, "host:container[:ro]".'),
    network: z.string().optional(),
    memory: z.string().optional().describe('Memory limit, e.g. "256m".'),
    cpus: z.number().positive().optional(),
    pull: z.enum(['always', 'missing', 'never']).optional(),
    ...common,
  })
  .strict();

export const UpstreamServer = z.discriminatedUnion('type', [StdioServer, HttpServer, SseServer, DockerServer]);

/** A server entry with its scale settings checked: each replica, merged onto the entry, is a valid server. */
const ServerEntry = UpstreamServer.superRefine((entry, ctx) => {
  for (const p of scaleProblems(entry)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
  if (!Array.isArray(entry.replicas)) return;
  replicaEntries('', entry, normalizeServerEntry).forEach((replica, i) => {
    const parsed = UpstreamServer.safeParse(replica.config);
    for (const issue of parsed.error?.issues ?? []) {
      ctx.addIssue({ code: 'custom', path: ['replicas', i, ...issue.path], message: issue.message });
    }
  });
});

/** Values accepted in `type` / `transport` and the kind they mean. */
export const TRANSPORT_ALIASES: Record<string, 'stdio' | 'http' | 'sse' | 'docker'> = {
  stdio: 'stdio',
  http: 'http',
  'streamable-http': 'http',
  streamableHttp: 'http',
  streamable_http: 'http',
  sse: 'sse',
  docker: 'docker',
};

/**
 * Normalizes a raw server entry before validation: `transport` (FastMCP) is read as `type`, aliases
 * map to the canonical kind, and a missing kind is inferred from `command` / `url` / `image` as clients do.
 * Anything it cannot decide is left for the schema to report.
 */
export function normalizeServerEntry(raw: unknown): unknown {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const entry = kindFromFirstReplica({ ...(raw as Record<string, unknown>) });
  if (entry.type === undefined && entry.transport !== undefined) {
    entry.type = entry.transport;
  }
  delete entry.transport;
  if (typeof entry.type === 'string' && TRANSPORT_ALIASES[entry.type]) {
    entry.type = TRANSPORT_ALIASES[entry.type];
  } else if (entry.type === undefined) {
    // Present with the wrong type still decides the kind, so the schema can say "command: expected string".
    if (entry.command !== undefined) entry.type = 'stdio';
    else if (entry.image !== undefined) entry.type = 'docker';
    else if (entry.url !== undefined) {
      entry.type = typeof entry.url === 'string' && /\/sse\/?(\?.*)?$/.test(entry.url) ? 'sse' : 'http';
    }
  }
  return entry;
}

const SERVER_NAME = /^[A-Za-z0-9_-]{1,48}$/;

export const ProxySettings = z
  .object({
    name: z.string().optional().describe('Server name reported to clients.'),
    transport: z.enum(['stdio', 'http']).optional(),
    host: z.string().optional().describe(`HTTP bind address (default ${DEFAULTS.host}).`),
    port: z.number().int().min(0).max(65535).optional().describe(`HTTP port (default ${DEFAULTS.port}).`),
    separator: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,3}$/, 'use 1-3 of letters, digits, "_" and "-"')
      .optional()
      .describe(`Between prefix and name (default "${DEFAULTS.separator}").`),
    tools: z
      .object({
        mode: z.enum(['all', 'dynamic']).optional().describe('dynamic: expose two meta-tools instead of every tool.'),
      })
      .strict()
      .optional(),
    timeouts: z
      .object({
        connect: z.number().int().positive().optional().describe('Default upstream connect timeout, ms.'),
        request: z.number().int().positive().optional().describe('Default upstream request timeout, ms.'),
        shutdownGrace: z.number().int().nonnegative().optional().describe('Grace for in-flight calls at shutdown, ms.'),
        startup: z
          .number()
          .int()
          .nonnegative()
          .optional()
          .describe(
            'How long the first listings wait for servers still starting, ms (they are added later with list_changed).',
          ),
      })
      .strict()
      .optional(),
    retry: z
      .object({
        initialDelay: z
          .number()
          .int()
          .positive()
          .optional()
          .describe(
            `First retry delay, ms (default ${DEFAULTS.retry.initialDelay}); doubles per attempt, with jitter.`,
          ),
        maxDelay: z
          .number()
          .int()
          .positive()
          .optional()
          .describe(`Cap on the retry delay, ms (default ${DEFAULTS.retry.maxDelay}).`),
        maxAttempts: z
          .number()
          .int()
          .nonnegative()
          .optional()
          .describe('Connect attempts before failed (0 = forever).'),
        maxRestarts: z
          .number()
          .int()
          .nonnegative()
          .optional()
          .describe(
            `Restarts of a crashing process upstream allowed per restartWindow before it is marked failed (default ${DEFAULTS.retry.maxRestarts}).`,
          ),
        restartWindow: z
          .number()
          .int()
          .positive()
          .optional()
          .describe(`The window for maxRestarts, ms (default ${DEFAULTS.retry.restartWindow}).`),
      })
      .strict()
      .optional(),
    breaker: z
      .object({
        failureThreshold: z
          .number()
          .int()
          .positive()
          .optional()
          .describe(
            `Consecutive failures or timeouts that open the circuit breaker (default ${DEFAULTS.breaker.failureThreshold}).`,
          ),
        halfOpenAfter: z
          .number()
          .int()
          .positive()
          .optional()
          .describe(
            `How long an open breaker fails calls fast before letting one probe through, ms (default ${DEFAULTS.breaker.halfOpenAfter}).`,
          ),
      })
      .strict()
      .optional(),
    http: z
      .object({
        allowedOrigins: z.array(z.string()).optional(),
        allowedHosts: z.array(z.string()).optional(),
        allowUnauthenticated: z.boolean().optional().describe('Allow a non-loopback bind without a token.'),
        maxBodyBytes: z.number().int().positive().optional(),
        maxSessions: z.number().int().positive().optional(),
        maxSessionsPerClient: z
          .number()
          .int()
          .positive()
          .optional()
          .describe(`Open sessions per client address (default ${DEFAULTS.http.maxSessionsPerClient}).`),
        sessionIdleTimeout: z.number().int().positive().optional().describe('ms.'),
        requestTimeout: z
          .number()
          .int()
          .nonnegative()
          .optional()
          .describe(
            `ms a client has to send a whole request, body included (default ${DEFAULTS.http.requestTimeoutMs}; 0 = none).`,
          ),
        headersTimeout: z
          .number()
          .int()
          .nonnegative()
          .optional()
          .describe(
            `ms a client has to send the request headers (default ${DEFAULTS.http.headersTimeoutMs}, at most requestTimeout; 0 = none).`,
          ),
        maxConnections: z
          .number()
          .int()
          .positive()
          .optional()
          .describe(`Open TCP connections at once (default ${DEFAULTS.http.maxConnections}).`),
        rateLimit: z
          .object({ windowMs: z.number().int().positive().optional(), max: z.number().int().positive().optional() })
          .strict()
          .optional(),
        trustedProxies: z
          .array(z.string().refine(isAddressOrCidr, 'not an IP address or CIDR block, e.g. "10.0.0.5" or "10.0.0.0/8"'))
          .optional()
          .describe(
            'Load balancers (IPs, CIDRs) whose X-Forwarded-For names the client for per-address limits (default none).',
          ),
      })
      .strict()
      .optional(),
    auth: AuthSettings.optional(),
    access: AccessSettings.optional(),
    audit: AuditSettings.optional().describe(
      'Record every tools/call, prompts/get and resources/read: who, which session (hashed), what, outcome, duration.',
    ),
    limits: LimitsSettings.optional(),
    cache: z
      .boolean()
      .optional()
      .describe(
        'Keep each server\'s catalog in the user cache directory and list it at once on the next start (default true; $MCP_PROXY_CACHE_DIR sets the directory, "off" turns it off).',
      ),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).optional(),
    watch: z.boolean().optional().describe('Reload when the config or credentials file changes (default true).'),
    healthCheckInterval: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe(
        `Ping an idle HTTP/SSE upstream every N ms to notice early that it went away (default ${DEFAULTS.healthCheckInterval}; 0 = off).`,
      ),
  })
  .strict();

export const ConfigSchema = z
  .object({
    $schema: z
      .string()
      .optional()
      .describe(
        'The JSON Schema for editor completion, e.g. "./node_modules/mcp-proxy-server/dist/config.schema.json".',
      ),
    mcpServers: z
      .record(
        z.string().regex(SERVER_NAME, 'server names use 1-48 of letters, digits, "_" and "-"'),
        z.preprocess(normalizeServerEntry, ServerEntry),
      )
      .describe('Upstream MCP servers, as Claude Desktop and Cursor write them.'),
    proxy: ProxySettings.optional(),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
export type UpstreamConfig = z.infer<typeof UpstreamServer>;
export type StdioUpstreamConfig = z.infer<typeof StdioServer>;
export type HttpUpstreamConfig = z.infer<typeof HttpServer>;
export type SseUpstreamConfig = z.infer<typeof SseServer>;
export type DockerUpstreamConfig = z.infer<typeof DockerServer>;
export type ProxyConfig = z.infer<typeof ProxySettings>;
export type OAuthSettings = z.infer<typeof OAuthSettings>;
export type AccessConfig = z.infer<typeof AccessSettings>;
export type AuthConfig = z.infer<typeof AuthSettings>;
