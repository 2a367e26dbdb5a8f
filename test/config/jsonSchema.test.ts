// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is config syntax under test, not a template
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CONFIG_SCHEMA_ID, configJsonSchema } from '../../src/config/jsonSchema.js';
import { parseConfigText } from '../../src/config/load.js';

const schema = configJsonSchema('9.9.9');
const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ strict: false, allErrors: true });
const validate = ajv.compile(schema);

/** What editors see (JSON Schema) must agree with what the proxy accepts (zod). */
function bothAccept(config: unknown): { editor: boolean; proxy: boolean } {
  let proxy = true;
  try {
    parseConfigText(JSON.stringify(config), 'c.json', (n) =>
      n.endsWith('URL') ? 'https://x.example' : `value-of-${n}`,
    );
  } catch {
    proxy = false;
  }
  return { editor: validate(config) as boolean, proxy };
}

describe('generated JSON Schema', () => {
  it('is draft 2020-12 with $id, title and description', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$id).toBe(CONFIG_SCHEMA_ID);
    expect(schema.title).toMatch(/mcp-proxy/);
    expect(schema.description).toMatch(/9\.9\.9/);
    expect(Object.keys(schema.properties)).toEqual(['$schema', 'mcpServers', 'proxy']);
  });

  it('offers every server field for completion, with descriptions', () => {
    const variants = schema.properties.mcpServers.additionalProperties.anyOf as Record<string, any>[];
    const stdio = variants.find((v) => v.properties.type.enum.includes('stdio'))!;
    expect(Object.keys(stdio.properties)).toEqual(
      expect.arrayContaining(['command', 'args', 'env', 'cwd', 'disabled', 'prefix', 'tools', 'timeout', 'transport']),
    );
    expect(stdio.properties.disabled.description).toMatch(/do not start/);
    expect(stdio.required).toEqual(['command']);
    const http = variants.find((v) => v.properties.type.enum.includes('streamable-http'))!;
    expect(http.properties.type.enum).toEqual(['http', 'streamable-http', 'streamableHttp', 'streamable_http']);
  });

  const agree: [string, unknown, boolean][] = [
    [
      'Claude Desktop stdio entry (no type)',
      { mcpServers: { a: { command: 'npx', args: ['-y', 'x'], env: { K: 'v' } } } },
      true,
    ],
    ['url entry (no type)', { mcpServers: { a: { url: 'https://x.example/mcp' } } }, true],
    ['/sse url entry', { mcpServers: { a: { url: 'http://localhost:1/sse' } } }, true],
    ['FastMCP transport', { mcpServers: { a: { transport: 'streamable-http', url: 'http://localhost:1/mcp' } } }, true],
    ['url from a variable', { mcpServers: { a: { url: '${BASE_URL}/mcp' } } }, true],
    ['docker entry', { mcpServers: { a: { image: 'mcp/fetch', volumes: ['/a:/b:ro'] } } }, true],
    [
      '$schema key and proxy settings',
      { $schema: './x.json', mcpServers: {}, proxy: { transport: 'http', port: 1 } },
      true,
    ],
    ['prefix false', { mcpServers: { a: { command: 'x', prefix: false } } }, true],
    ['typo comand', { mcpServers: { a: { comand: 'x' } } }, false],
    ['unknown type', { mcpServers: { a: { type: 'websocket', url: 'ws://x' } } }, false],
    ['url without scheme', { mcpServers: { a: { url: 'localhost:3000/mcp' } } }, false],
    ['args as a string', { mcpServers: { a: { command: 'x', args: '-y' } } }, false],
    ['bad server name', { mcpServers: { 'a b': { command: 'x' } } }, false],
    ['unknown proxy key', { mcpServers: {}, proxy: { prot: 1 } }, false],
    ['missing mcpServers', {}, false],
  ];
  for (const [name, config, ok] of agree) {
    it(`editor and proxy agree: ${name} -> ${ok ? 'valid' : 'invalid'}`, () => {
      expect(bothAccept(config)).toEqual({ editor: ok, proxy: ok });
    });
  }

  it('validates a YAML config too', () => {
    expect(validate(parseYaml('mcpServers:\n  a:\n    command: npx\n'))).toBe(true);
  });
});

describe('scale settings in the JSON Schema', () => {
  it('editors and the proxy agree on replicas, balance and cache', () => {
    const ok = [
      { mcpServers: { a: { command: 'node', replicas: 3, balance: 'least-outstanding', cache: { ttlMs: 1000 } } } },
      {
        mcpServers: {
          a: {
            replicas: [
              { url: 'http://a/mcp', weight: 2 },
              { url: 'http://b/mcp', backup: true },
            ],
          },
        },
      },
    ];
    for (const c of ok) expect(bothAccept(c)).toEqual({ editor: true, proxy: true });
    const bad = [
      { mcpServers: { a: { command: 'node', balance: 'random', replicas: 2 } } },
      { mcpServers: { a: { command: 'node', cache: { ttlMs: -1 } } } },
    ];
    for (const c of bad) expect(bothAccept(c)).toEqual({ editor: false, proxy: false });
  });
});
