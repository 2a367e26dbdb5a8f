/**
 * The published JSON Schema (dist/config.schema.json), generated from the zod schema so the two never
 * drift. zod describes what the proxy sees after `normalizeServerEntry`; the JSON Schema must describe
 * what a user may write, so the server entries are widened afterwards: `type` is optional (inferred
 * from command / url / image), its aliases are listed, and FastMCP's `transport` is accepted.
 */
import { z } from 'zod';
import { ConfigSchema, TRANSPORT_ALIASES } from './schema.js';

type Json = Record<string, any>;

export const CONFIG_SCHEMA_ID = 'urn:mcp-proxy-server:config';

const KIND_DESCRIPTIONS: Record<string, string> = {
  stdio: 'Transport: stdio (a local command). Optional when "command" is given.',
  http: 'Transport: Streamable HTTP. Optional when "url" is given (a URL ending in /sse means SSE).',
  sse: 'Transport: SSE (the older HTTP+SSE transport). Optional when "url" ends in /sse.',
  docker: 'Transport: a Docker container speaking stdio. Optional when "image" is given.',
};

function widenServerVariant(variant: Json): void {
  const kind = variant.properties?.type?.const;
  if (typeof kind !== 'string') return;
  const names = Object.entries(TRANSPORT_ALIASES)
    .filter(([, k]) => k === kind)
    .map(([name]) => name);
  const typeSchema = { type: 'string', enum: names, description: KIND_DESCRIPTIONS[kind] };
  variant.properties.type = typeSchema;
  variant.properties.transport = { ...typeSchema, description: 'Same as "type" (FastMCP writes "transport").' };
  variant.required = (variant.required ?? []).filter((r: string) => r !== 'type');
}

/**
 * An entry with no transport of its own whose replicas list the endpoints (each replica is then
 * checked by the proxy like a server entry): the fields of every kind, `replicas` required.
 */
function replicasOnlyVariant(variants: Json[]): Json {
  const properties: Json = {};
  for (const v of variants) Object.assign(properties, v.properties);
  return {
    type: 'object',
    description: 'A server whose "replicas" give the endpoints (its kind is the first replica\'s).',
    properties: { ...properties, replicas: { ...properties.replicas, type: 'array', minItems: 1 } },
    required: ['replicas'],
    additionalProperties: false,
  };
}

/** `format: uri` would flag `${BASE_URL}/mcp` in editors; a pattern says the same and allows variables. */
function relaxUrls(node: unknown): void {
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const n of node) relaxUrls(n);
    return;
  }
  const o = node as Json;
  if (o.type === 'string' && o.format === 'uri') {
    delete o.format;
    o.pattern = '^(https?://|\\$\\{)';
    // biome-ignore lint/suspicious/noTemplateCurlyInString: config syntax, not a template
    o.description ??= 'An absolute http:// or https:// URL (may start with a ${VAR}).';
  }
  for (const v of Object.values(o)) relaxUrls(v);
}

/** The JSON Schema (draft 2020-12) for config files. */
export function configJsonSchema(version?: string): Json {
  const generated = z.toJSONSchema(ConfigSchema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  }) as Json;

  const servers = generated.properties?.mcpServers;
  const entry = servers?.additionalProperties;
  const variants: Json[] | undefined = entry?.oneOf ?? entry?.anyOf;
  if (!variants) throw new Error('config schema: server entries are not a union; update jsonSchema.ts');
  for (const v of variants) widenServerVariant(v);
  relaxUrls(generated);
  // With "type" optional, a bare {"url": ...} fits both http and sse: anyOf, not oneOf.
  delete entry.oneOf;
  entry.anyOf = [...variants, replicasOnlyVariant(variants)];
  servers.description ??= 'Upstream MCP servers, as Claude Desktop and Cursor write them: one entry per server.';
  servers.propertyNames = {
    ...(servers.propertyNames ?? {}),
    description: 'Server name: 1-48 letters, digits, "_" or "-".',
  };

  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: CONFIG_SCHEMA_ID,
    title: 'mcp-proxy-server config',
    description:
      'Config for mcp-proxy (mcp-proxy-server): the standard "mcpServers" object plus the proxy\'s own settings under "proxy". ' +
      // biome-ignore lint/suspicious/noTemplateCurlyInString: config syntax, not a template
      'Every string may use ${VAR} or ${VAR:-default}; $$ is a literal $.' +
      (version ? ` Generated for version ${version}.` : ''),
    ...rest,
  };
}
