/**
 * The pure parts of dynamic mode: argument validation across JSON Schema dialects, group
 * descriptions, group filtering and the meta-tool definitions.
 */
import { describe, expect, it } from 'vitest';
import {
  ArgumentValidator,
  CALL_DYNAMIC_TOOL,
  describeGroup,
  describeTool,
  dynamicGroups,
  GET_DYNAMIC_TOOLS,
  metaTools,
} from '../../src/aggregator/dynamicTools.js';

describe('ArgumentValidator', () => {
  it('validates draft-07 schemas (as zod 3 / most npm servers emit them)', () => {
    const v = new ArgumentValidator();
    const schema = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: { path: { type: 'string' }, depth: { type: 'integer', minimum: 0 } },
      required: ['path'],
      additionalProperties: false,
    };
    expect(v.validate('fs', 'tree', schema, { path: '/tmp' })).toBeUndefined();
    expect(v.validate('fs', 'tree', schema, { depth: -1, extra: 1 })).toEqual(
      expect.arrayContaining([
        { path: '/path', message: 'is required but missing' },
        { path: '/depth', message: 'must be >= 0' },
        { path: '/extra', message: 'is not allowed here (unknown property)' },
      ]),
    );
  });

  it('validates 2020-12 schemas, including keywords draft-07 does not have', () => {
    const v = new ArgumentValidator();
    const schema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: { point: { type: 'array', prefixItems: [{ type: 'number' }, { type: 'string' }] } },
    };
    expect(v.validate('s', 't', schema, { point: [1, 'a'] })).toBeUndefined();
    expect(v.validate('s', 't', schema, { point: ['a', 'a'] })).toEqual([
      { path: '/point/0', message: 'must be number' },
    ]);
  });

  it('treats a schema without $schema as 2020-12 and checks formats and enums', () => {
    const v = new ArgumentValidator();
    const schema = {
      type: 'object',
      properties: { url: { type: 'string', format: 'uri' }, mode: { enum: ['fast', 'safe'] } },
    };
    expect(v.validate('s', 't', schema, { url: 'https://example.com', mode: 'fast' })).toBeUndefined();
    expect(v.validate('s', 't', schema, { url: 'not a uri', mode: 'slow' })).toEqual([
      { path: '/url', message: 'must match format "uri"' },
      { path: '/mode', message: 'must be one of "fast", "safe"' },
    ]);
  });

  it('supports 2019-09 schemas', () => {
    const v = new ArgumentValidator();
    const schema = {
      $schema: 'https://json-schema.org/draft/2019-09/schema',
      type: 'object',
      properties: { n: { type: 'number' } },
      dependentRequired: { n: ['m'] },
    };
    expect(v.validate('s', 't', schema, { n: 1 })).toEqual([
      { path: '', message: 'must have property m when property n is present' },
    ]);
    expect(v.validate('s', 't', schema, { n: 1, m: 2 })).toBeUndefined();
  });

  it('caches one validator per (server, tool, schema) and recompiles when the schema changes', () => {
    const v = new ArgumentValidator();
    const a = { type: 'object', properties: { x: { type: 'number' } } };
    v.validate('s', 't', a, { x: 1 });
    v.validate('s', 't', { ...a }, { x: 2 }); // same content, new object: same entry
    expect(v.size).toBe(1);
    const b = { type: 'object', properties: { x: { type: 'string' } } };
    expect(v.validate('s', 't', b, { x: 1 })).toEqual([{ path: '/x', message: 'must be string' }]);
    expect(v.size).toBe(2);
    v.validate('other', 't', a, { x: 1 });
    expect(v.size).toBe(3);
  });

  it('compiles schemas with the same $id again without a clash', () => {
    const v = new ArgumentValidator();
    const one = { $id: 'urn:tool', type: 'object', properties: { x: { type: 'number' } } };
    const two = { $id: 'urn:tool', type: 'object', properties: { x: { type: 'string' } } };
    expect(v.validate('s', 't', one, { x: 'a' })).toEqual([{ path: '/x', message: 'must be number' }]);
    expect(v.validate('s', 't', two, { x: 1 })).toEqual([{ path: '/x', message: 'must be string' }]);
  });

  it('leaves arguments to the upstream when a schema cannot be compiled', () => {
    const v = new ArgumentValidator();
    const broken = { type: 'object', properties: { x: { $ref: '#/definitions/missing' } } };
    expect(v.validate('s', 't', broken, { x: 1 })).toBeUndefined();
  });
});

describe('group descriptions', () => {
  const conn = (over: Record<string, unknown>) =>
    ({ name: 'srv', config: {}, instructions: undefined, ...over }) as any;

  it('prefers the configured description, on one line', () => {
    expect(describeGroup(conn({ config: { description: '  Files\n  and folders ' }, instructions: 'ignored' }))).toBe(
      'Files and folders',
    );
  });

  it('falls back to the server instructions without markdown headings, cut at a boundary', () => {
    expect(describeGroup(conn({ instructions: '# Title\n\nUse **this** server for `notes`.' }))).toBe(
      'Use this server for notes.',
    );
    const long = `${'Word '.repeat(100)}end.`;
    const d = describeGroup(conn({ instructions: long }));
    expect(d.length).toBeLessThanOrEqual(201);
    expect(d.endsWith('…')).toBe(true);
  });

  it('falls back to the server name', () => {
    expect(describeGroup(conn({}))).toBe('srv');
    expect(describeGroup(conn({ config: { description: '   ' }, instructions: '# Only a heading' }))).toBe('srv');
  });
});

describe('groups and meta-tools', () => {
  const tool = (name: string) => ({ name, description: `does ${name}`, inputSchema: { type: 'object' } });
  const upstream = (name: string, tools: string[], config: Record<string, unknown> = {}, state = 'ready') => ({
    name,
    config,
    state,
    instructions: undefined,
    catalog: { tools: tools.map(tool) },
  });

  it('lists upstreams with at least one tool left after include/exclude, in config order', () => {
    const agg = {
      pool: {
        list: () =>
          [
            upstream('a', ['read', 'write', 'delete'], { tools: { exclude: ['delete'] } }),
            upstream('b', ['secret'], { tools: { include: ['public_*'] } }),
            upstream('c', []),
            upstream('d', ['x'], { description: 'The D server' }),
          ] as any,
      },
    };
    const groups = dynamicGroups(agg);
    expect(groups.map((g) => g.name)).toEqual(['a', 'd']);
    expect(groups[0].tools.map((t) => t.name)).toEqual(['read', 'write']);
    expect(groups[1].description).toBe('The D server');
  });

  it('keeps a restarting server (its catalog is kept), drops closed ones and those without a catalog', () => {
    const agg = {
      pool: {
        list: () =>
          [
            upstream('restarting', ['t'], {}, 'restarting'),
            upstream('failed', [], {}, 'failed'),
            upstream('connecting', [], {}, 'connecting'),
            upstream('closed', ['t'], {}, 'closed'),
          ] as any,
      },
    };
    expect(dynamicGroups(agg).map((g) => g.name)).toEqual(['restarting']);
  });

  it('a server still starting from its cached catalog is described by its cached instructions', () => {
    const starting = { ...upstream('s', [], {}, 'connecting'), catalog: { tools: [] } };
    const cached = { tools: [tool('t')], prompts: [], resources: [], resourceTemplates: [] };
    const agg = {
      pool: {
        list: () => [starting] as any,
        served: () => cached as any,
        knownOf: () => ({ instructions: 'The S server. Use it for s things.' }),
      },
    };
    expect(dynamicGroups(agg)).toEqual([
      { name: 's', description: 'The S server. Use it for s things.', tools: cached.tools },
    ]);
  });

  it('builds the two meta-tools with the group enum and a listing of the groups', () => {
    const [get, call] = metaTools([
      { name: 'a', description: 'First', tools: [] },
      { name: 'b', description: 'Second', tools: [] },
    ]);
    expect(get.name).toBe(GET_DYNAMIC_TOOLS);
    expect(call.name).toBe(CALL_DYNAMIC_TOOL);
    expect((get.inputSchema as any).properties.group.enum).toEqual(['a', 'b']);
    expect((call.inputSchema as any).properties.group.enum).toEqual(['a', 'b']);
    expect(get.description).toContain('- a: First\n- b: Second');
  });

  it('omits an empty enum (an invalid schema) when no group is ready', () => {
    const [get] = metaTools([]);
    expect((get.inputSchema as any).properties.group.enum).toBeUndefined();
    expect(get.description).toContain('no server behind this proxy is ready');
  });

  it('describes a tool without the $schema dialect marker', () => {
    const d = describeTool({
      name: 't',
      description: 'T',
      inputSchema: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' },
      annotations: { readOnlyHint: true },
    } as any);
    expect(d).toEqual({
      name: 't',
      description: 'T',
      inputSchema: { type: 'object' },
      annotations: { readOnlyHint: true },
    });
  });
});
