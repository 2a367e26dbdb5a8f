/**
 * The team-gateway part of the config schema: who a caller is besides MCP_PROXY_TOKEN (named keys,
 * OIDC), what each caller may use (`proxy.access`), the audit log and per-identity limits. Kept apart
 * from schema.ts, which composes it.
 */
import { z } from 'zod';
import { DEFAULTS } from './defaults.js';

const httpUrl = z.url({ protocol: /^https?$/, message: 'url must be an absolute http:// or https:// URL' });

const Globs = (what: string) =>
  z.array(z.string().min(1)).optional().describe(`${what} ("*" matches any run of characters, "?" one).`);

/** What a rule allows or denies, or what a profile keeps: any match counts. */
const Grant = z
  .object({
    servers: Globs('Server names: everything of these servers'),
    tools: Globs('Public tool names, e.g. "github__delete_*"'),
    prompts: Globs('Public prompt names'),
    resources: Globs('Public resource URIs and URI templates'),
  })
  .strict();

/** Whom a rule applies to: every field given must match; within a field, any value. */
const Who = z
  .object({
    kinds: z
      .array(z.enum(['key', 'oidc', 'token', 'anonymous']))
      .optional()
      .describe('How the caller signed in.'),
    keys: Globs('Names of API keys'),
    ids: Globs('Identity ids: "key:alice", "oidc:<subject>", "token:*", "anonymous"'),
    roles: z.array(z.string()).optional().describe("Any of these roles (a key's --role, an OIDC roles claim)."),
    claims: z
      .record(z.string(), z.union([z.string(), z.array(z.string())]))
      .optional()
      .describe('Token claims, e.g. {"groups": ["eng"]}: the claim (a string or a list) holds any of the values.'),
    scopes: z.array(z.string()).optional().describe('Any of these OAuth scopes (the "scope" or "scp" claim).'),
  })
  .strict();

export const AccessSettings = z
  .object({
    default: z
      .enum(['allow', 'deny'])
      .optional()
      .describe('What a caller no rule allows gets (default deny once access rules are configured).'),
    rules: z
      .array(
        z
          .object({
            description: z.string().optional(),
            who: Who.optional().describe('Whom the rule applies to (default everyone).'),
            allow: Grant.optional(),
            deny: Grant.optional().describe('Deny wins over any allow.'),
          })
          .strict(),
      )
      .optional(),
    admin: z
      .union([Who, z.array(Who)])
      .optional()
      .superRefine((v, ctx) => {
        for (const [i, who] of (Array.isArray(v) ? v : v ? [v] : []).entries()) {
          if (Object.values(who).some((x) => x !== undefined)) continue;
          ctx.addIssue({
            code: 'custom',
            path: Array.isArray(v) ? [i] : [],
            message:
              'an empty matcher would make every caller an admin; name whom, e.g. {"roles": ["admin"]} or {"kinds": ["token"]}',
          });
        }
      })
      .describe(
        'Who may administer from the dashboard and its API (see the config and the proxy log, add and remove servers): any of these matchers (as a rule\'s "who"). Default: [{"kinds": ["token", "anonymous"]}, {"roles": ["admin"]}]. Over stdio the local user always may.',
      ),
    profiles: z
      .record(
        z.string().regex(/^[A-Za-z0-9_-]{1,48}$/, 'profile names use 1-48 of letters, digits, "_" and "-"'),
        Grant,
      )
      .optional()
      .describe('Named subsets, chosen per key (keys create --profile), by /mcp?profile=NAME or run --profile.'),
  })
  .strict()
  .describe('Who may use which servers, tools, prompts and resources (HTTP; over stdio only profiles apply).');

export const AuthSettings = z
  .object({
    keysFile: z.string().optional().describe('The API keys file (default keys.json beside the credentials file).'),
    resource: httpUrl
      .optional()
      .describe('The public URL of /mcp, as clients reach it (RFC 9728 metadata; default from the Host header).'),
    oidc: z
      .object({
        issuer: httpUrl.describe('The identity provider (its discovery document names the key set).'),
        audience: z.union([z.string(), z.array(z.string())]).describe('The audience tokens must be issued for.'),
        jwksUri: httpUrl.optional(),
        rolesClaim: z.string().optional().describe('The claim holding roles (default "roles").'),
        clockTolerance: z.number().int().nonnegative().optional().describe('Seconds of clock skew (default 30).'),
        algorithms: z.array(z.string()).optional(),
        scopes: z.array(z.string()).optional().describe('Scopes advertised in the protected resource metadata.'),
        dashboardClientId: z
          .string()
          .min(1)
          .optional()
          .describe(
            'A public client (no secret, PKCE) registered at the issuer for the dashboard, with the redirect URI <proxy URL>/ui/: the dashboard then offers "Sign in with <issuer>".',
          ),
        dashboardScopes: z
          .array(z.string())
          .optional()
          .describe('Scopes the dashboard asks for besides "openid" (default: scopes).'),
      })
      .strict()
      .optional(),
  })
  .strict()
  .describe('Identities besides MCP_PROXY_TOKEN: named API keys and OIDC access tokens (HTTP).');

export const AuditSettings = z
  .object({
    file: z
      .string()
      .min(1)
      .optional()
      .describe(
        'JSON Lines file (relative: to the config file). Default when no postgres is set: audit.jsonl in the user state directory.',
      ),
    postgres: z
      .object({
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a ${VAR} reference is what the user writes
        url: z.string().min(1).describe('postgres://user:password@host:5432/db; write the password as ${VAR}.'),
        spool: z
          .string()
          .optional()
          .describe('File that buffers records while the database is down (default: beside the audit file).'),
      })
      .strict()
      .optional(),
    arguments: z.boolean().optional().describe('Record the arguments themselves, secrets masked (default false).'),
    rotate: z
      .object({
        maxBytes: z
          .number()
          .int()
          .positive()
          .optional()
          .describe(`Rotate the file past this size (default ${DEFAULTS.audit.rotate.maxBytes}).`),
        keep: z
          .number()
          .int()
          .nonnegative()
          .optional()
          .describe(`Rotated files kept (default ${DEFAULTS.audit.rotate.keep}).`),
      })
      .strict()
      .optional(),
  })
  .strict();

export const LimitsSettings = z
  .object({
    perIdentity: z
      .object({
        windowMs: z
          .number()
          .int()
          .positive()
          .optional()
          .describe(`Window, ms (default ${DEFAULTS.perIdentityLimit.windowMs}).`),
        max: z
          .number()
          .int()
          .positive()
          .optional()
          .describe(`Requests per identity per window (default ${DEFAULTS.perIdentityLimit.max}).`),
      })
      .strict()
      .optional()
      .describe('HTTP requests each identity may send per window; more are refused with 429 and Retry-After.'),
  })
  .strict();
