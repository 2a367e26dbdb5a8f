/**
 * The pure parts of dynamic mode: group descriptions, group filtering and the meta-tool definitions
 * (argument validation: argumentValidator.test.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  CALL_DYNAMIC_TOOL,
  describeGroup,
  describeTool,
  dynamicGroups,
  GET_DYNAMIC_TOOLS,
  metaTools,
} from '../../src/aggregator/dynamicTools.js';

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
