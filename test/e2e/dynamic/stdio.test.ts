/**
 * Dynamic tools mode end to end over stdio: the built proxy with `--tools-mode dynamic` in front of
 * server-everything, server-memory, server-filesystem and the echo fixture, used by v1 and v2 clients
 * (2025 and 2026-07-28 eras) only through get_dynamic_tools / call_dynamic_tool.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../../helpers/build.js';
import { tmpDir, writeConfig } from '../../helpers/files.js';
import { ECHO, ENV_ECHO } from '../../helpers/paths.js';
import { CLIENT_KINDS, connectProxy, type ProxySession, text } from '../../helpers/proxy.js';
import { waitFor } from '../../helpers/wait.js';
import { callDynamic, GROUPS, getTools, groupEnum, threeRealUpstreams } from './helpers.js';

beforeAll(() => ensureBuilt(), 120_000);

describe.each(CLIENT_KINDS)('dynamic tools mode over stdio, %s client', (kind) => {
  const dir = tmpDir('mcp-proxy-dynamic-');
  const servers = threeRealUpstreams(dir);
  const configFile = writeConfig(dir, { mcpServers: servers, proxy: { retry: { maxAttempts: 1 } } });
  let s: ProxySession;
  let listChanged = 0;

  beforeAll(async () => {
    s = await connectProxy(kind, configFile, {
      args: ['--tools-mode', 'dynamic'],
      setup: (client) => {
        client.setNotificationHandler(
          kind === 'v1' ? sdkV1Types.ToolListChangedNotificationSchema : 'notifications/tools/list_changed',
          () => {
            listChanged++;
          },
        );
      },
    });
    // Every upstream is in the enum once the first round of connections is done.
    await waitFor(async () => groupEnum((await s.client.listTools()).tools)?.length === GROUPS.length, 'all groups');
  }, 60_000);
  afterAll(async () => {
    await s?.close();
  });

  it('lists exactly the two meta-tools, with an enum of the upstream servers', async () => {
    const { tools } = await s.client.listTools();
    expect(tools.map((t: any) => t.name).sort()).toEqual(['call_dynamic_tool', 'get_dynamic_tools']);
    expect(groupEnum(tools)).toEqual(GROUPS);
    expect(groupEnum(tools, 'call_dynamic_tool')).toEqual(GROUPS);
    const call = tools.find((t: any) => t.name === 'call_dynamic_tool');
    expect(call.inputSchema.required).toEqual(['group', 'name']);
    expect(call.inputSchema.properties.arguments.type).toBe('object');
    // Groups are described by the config's description, else the server's instructions, else the name.
    const desc = tools.find((t: any) => t.name === 'get_dynamic_tools').description;
    expect(desc).toContain('- memory: Knowledge graph memory: entities, relations, observations');
    expect(desc).toContain('- filesystem: Read and write files under one directory');
    expect(desc).toContain('- echo: The echo fixture server.');
    expect(desc).toMatch(/- everything: \S+/);
  });

  it('get_dynamic_tools returns a server’s tools with upstream names, descriptions and schemas, after filters', async () => {
    const expected: Record<string, string[]> = {
      everything: ['echo', 'get-sum'],
      memory: ['create_entities', 'read_graph', 'search_nodes'],
      filesystem: ['read_text_file', 'list_directory', 'write_file'],
      echo: ['echo', 'add', 'slow', 'fail'],
    };
    for (const group of GROUPS) {
      const tools = await getTools(s.client, group);
      const names = tools.map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(expected[group]));
      for (const t of tools) {
        expect(t.inputSchema.type).toBe('object');
        expect(t.inputSchema.$schema).toBeUndefined();
        expect(t.name).not.toContain('__');
      }
    }
    const echo = await getTools(s.client, 'echo');
    // The config excludes crash and ask_*.
    expect(echo.map((t) => t.name)).not.toContain('crash');
    expect(echo.map((t) => t.name).some((n) => n.startsWith('ask_'))).toBe(false);
    expect(echo.find((t) => t.name === 'add')).toMatchObject({
      description: 'Adds two numbers',
      inputSchema: {
        type: 'object',
        properties: { a: { type: 'number' }, b: { type: 'number' } },
        required: ['a', 'b'],
      },
    });
    const r = await s.client.callTool({ name: 'get_dynamic_tools', arguments: { group: 'echo' } });
    expect(r.structuredContent).toEqual({ group: 'echo', tools: echo });
  });

  it('calls a tool of every upstream through call_dynamic_tool', async () => {
    const sum = await callDynamic(s.client, 'everything', 'get-sum', { a: 2, b: 3 });
    expect(sum.isError).toBeFalsy();
    expect(text(sum)).toContain('5');

    const entity = `dyn-${kind}`;
    const created = await callDynamic(s.client, 'memory', 'create_entities', {
      entities: [{ name: entity, entityType: 'test', observations: ['via call_dynamic_tool'] }],
    });
    expect(created.isError).toBeFalsy();
    expect(text(await callDynamic(s.client, 'memory', 'read_graph', {}))).toContain(entity);

    const file = path.join(dir, 'files', 'hello.txt');
    const read = await callDynamic(s.client, 'filesystem', 'read_text_file', { path: file });
    expect(read.isError).toBeFalsy();
    expect(text(read)).toBe('hello from the filesystem server');

    const added = await callDynamic(s.client, 'echo', 'add', { a: 2, b: 40 });
    expect(text(added)).toBe('42');
    expect(added.structuredContent).toEqual({ sum: 42 });
  });

  it('accepts dynamic-mcp’s "args" for the arguments, and no arguments for a tool that takes none', async () => {
    const r = await s.client.callTool({
      name: 'call_dynamic_tool',
      arguments: { group: 'echo', name: 'echo', args: { text: 'hi' } },
    });
    expect(text(r)).toBe('hi');
    const dirs = await callDynamic(s.client, 'filesystem', 'list_allowed_directories');
    expect(text(dirs)).toContain(path.join(dir, 'files'));
  });

  it('rejects wrong arguments before the call, listing each problem and the schema', async () => {
    const bad = await callDynamic(s.client, 'echo', 'add', { a: 1, b: 'two', c: true });
    expect(bad.isError).toBe(true);
    const msg = text(bad);
    expect(msg).toContain('Invalid arguments for tool "add" in group "echo"');
    expect(msg).toContain('- arguments/b: must be number');
    expect(msg).toContain('"required": [');
    expect(bad.structuredContent).toMatchObject({
      error: 'invalid_arguments',
      problems: [{ path: 'arguments/b', message: 'must be number' }],
      inputSchema: { properties: { a: { type: 'number' }, b: { type: 'number' } } },
    });
    // The schema shown is the one get_dynamic_tools gives, so the model can fix the call in one turn.
    const add = (await getTools(s.client, 'echo')).find((t) => t.name === 'add');
    expect(bad.structuredContent.inputSchema).toEqual(add.inputSchema);
    expect(text(await callDynamic(s.client, 'echo', 'add', { a: 1, b: 2 }))).toBe('3');

    // A real npm server's draft-07 schema: a missing required property, and a wrong nested type.
    const missing = await callDynamic(s.client, 'memory', 'create_entities', {});
    expect(missing.isError).toBe(true);
    expect(text(missing)).toContain('- arguments/entities: is required but missing');
    const nested = await callDynamic(s.client, 'memory', 'create_entities', {
      entities: [{ name: 'x', entityType: 'y', observations: 'not-an-array' }],
    });
    expect(text(nested)).toContain('- arguments/entities/0/observations: must be array');
    expect(text(nested)).toContain('Input schema of "create_entities"');
  });

  it('answers an unknown group or tool with an isError result naming what exists', async () => {
    const group = await callDynamic(s.client, 'nope', 'x');
    expect(group.isError).toBe(true);
    expect(text(group)).toContain('Unknown group "nope"');
    for (const g of GROUPS) expect(text(group)).toContain(g);

    const filtered = await callDynamic(s.client, 'echo', 'crash');
    expect(filtered.isError).toBe(true);
    expect(text(filtered)).toContain('Unknown tool "crash" in group "echo"');
    expect(text(filtered)).toMatch(/Tools in "echo": .*\badd\b/);

    const elsewhere = await callDynamic(s.client, 'echo', 'read_text_file');
    expect(text(elsewhere)).toContain('group "filesystem"');

    const unknownList = await s.client.callTool({ name: 'get_dynamic_tools', arguments: { group: 'nope' } });
    expect(unknownList.isError).toBe(true);
    expect(text(unknownList)).toContain('Available groups: everything, memory, filesystem, echo');
  });

  it('passes upstream tool errors through as isError results, as a direct call would', async () => {
    const r = await callDynamic(s.client, 'echo', 'fail', {});
    expect(r.isError).toBe(true);
    expect(text(r)).toBe('echo failed on purpose');
  });

  it('answers a tool name that is not a meta-tool with a JSON-RPC error', async () => {
    await expect(s.client.callTool({ name: 'echo__add', arguments: { a: 1, b: 2 } })).rejects.toThrow(
      /Unknown tool.*get_dynamic_tools, call_dynamic_tool/s,
    );
  });

  it('relays progress through call_dynamic_tool', async () => {
    const seen: any[] = [];
    const r = await callWith(
      s,
      { name: 'call_dynamic_tool', arguments: { group: 'echo', name: 'slow', arguments: { ms: 150, steps: 3 } } },
      { onprogress: (p: any) => seen.push(p) },
    );
    expect(text(r)).toBe('slept 150');
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen[0]).toMatchObject({ progress: 1, total: 3, message: 'step 1' });
  });

  it('cancels the upstream call when the caller aborts', async () => {
    const ac = new AbortController();
    const p = callWith(
      s,
      { name: 'call_dynamic_tool', arguments: { group: 'echo', name: 'slow', arguments: { ms: 20_000, steps: 2 } } },
      { signal: ac.signal },
    );
    setTimeout(() => ac.abort(), 100);
    await expect(p).rejects.toThrow();
    expect(text(await callDynamic(s.client, 'echo', 'echo', { text: 'still here' }))).toBe('still here');
  });

  it('serves prompts and resources as in "all" mode', async () => {
    const { prompts } = await s.client.listPrompts();
    expect(prompts.map((p: any) => p.name)).toContain('echo__greet');
    const got = await s.client.getPrompt({ name: 'echo__greet', arguments: { who: 'Ada' } });
    expect(got.messages[0].content.text).toBe('Hello Ada from echo');
    const read = await s.client.readResource({ uri: 'echo+echo://readme' });
    expect(read.contents[0]).toMatchObject({ text: 'readme of echo' });
  });

  it('shows a tool an upstream adds at runtime in get_dynamic_tools', async () => {
    const tool = `runtime_${kind.replace(/-/g, '_')}`;
    await callDynamic(s.client, 'echo', 'add_tool', { tool });
    await waitFor(async () => (await getTools(s.client, 'echo')).some((t) => t.name === tool), 'the new tool');
    expect(text(await callDynamic(s.client, 'echo', tool, {}))).toBe(`${tool} ran`);
  });

  it('updates the group enum and descriptions on live reload and sends tools/list_changed', async () => {
    const before = listChanged;
    const echo2 = {
      command: 'node',
      args: [ECHO],
      env: { FIXTURE_NAME: 'echo2' },
      description: 'The second echo',
      timeout: 500,
    };
    writeConfig(dir, { mcpServers: { ...servers, echo2 }, proxy: { retry: { maxAttempts: 1 } } });
    const tools = await waitFor(async () => {
      const { tools } = await s.client.listTools();
      return groupEnum(tools)?.includes('echo2') ? tools : undefined;
    }, 'echo2 in the group enum');
    expect(groupEnum(tools)).toEqual([...GROUPS, 'echo2']);
    expect(tools.find((t: any) => t.name === 'get_dynamic_tools').description).toContain('- echo2: The second echo');
    // The 2026-07-28 era has no standalone notification stream over stdio yet (see the e2e tests).
    if (kind !== 'v2-2026') await waitFor(() => listChanged > before, 'tools/list_changed');
    expect(text(await callDynamic(s.client, 'echo2', 'echo', { text: 'from echo2' }))).toBe('from echo2');

    // The configured request timeout applies to calls through the meta-tool, with the same error.
    await expect(callDynamic(s.client, 'echo2', 'slow', { ms: 20_000, steps: 1 })).rejects.toThrow(
      /upstream "echo2" did not answer within 500 ms/,
    );

    // Only a description changes: the upstream tools are the same, the meta-tools are not.
    const beforeDescription = listChanged;
    const memory = { ...(servers.memory as object), description: 'Remembers things across conversations' };
    writeConfig(dir, { mcpServers: { ...servers, memory, echo2 }, proxy: { retry: { maxAttempts: 1 } } });
    await waitFor(async () => {
      const { tools } = await s.client.listTools();
      const desc: string = tools.find((t: any) => t.name === 'get_dynamic_tools').description;
      return desc.includes('- memory: Remembers things across conversations') && desc.includes('- echo2:');
    }, 'the new description');
    if (kind !== 'v2-2026')
      await waitFor(() => listChanged > beforeDescription, 'tools/list_changed on a new description');

    const beforeRemoval = listChanged;
    writeConfig(dir, { mcpServers: servers, proxy: { retry: { maxAttempts: 1 } } });
    await waitFor(async () => !groupEnum((await s.client.listTools()).tools)?.includes('echo2'), 'echo2 gone');
    if (kind !== 'v2-2026') await waitFor(() => listChanged > beforeRemoval, 'tools/list_changed on removal');
    const gone = await callDynamic(s.client, 'echo2', 'echo', { text: 'x' });
    expect(gone.isError).toBe(true);
    expect(text(gone)).toContain('Unknown group "echo2"');
  });
});

/** callTool with request options: v1 takes (params, resultSchema, options), v2 (params, options). */
function callWith(s: ProxySession, params: unknown, options: Record<string, unknown>): Promise<any> {
  return s.kind === 'v1' ? s.client.callTool(params, undefined, options) : s.client.callTool(params, options);
}

const sdkV1Types: any = await import('@modelcontextprotocol/sdk/types.js');

describe('tool-name collisions in dynamic mode', () => {
  // Two servers with the same tool name and no prefix: one is hidden in "all" mode, fine in dynamic mode,
  // where tools are addressed by group and upstream name.
  const dir = tmpDir('mcp-proxy-dynamic-collide-');
  const envEcho = (who: string) => ({ command: 'node', args: [ENV_ECHO], env: { WHO: who }, prefix: false });
  const configFile = writeConfig(dir, { mcpServers: { e1: envEcho('first'), e2: envEcho('second') } });

  it('serves both servers as groups, and each call reaches its own server', async () => {
    const s = await connectProxy('v2-2025', configFile, { args: ['--tools-mode', 'dynamic'] });
    try {
      expect(groupEnum((await s.client.listTools()).tools)).toEqual(['e1', 'e2']);
      expect(text(await callDynamic(s.client, 'e1', 'get_env', { name: 'WHO' }))).toBe('first');
      expect(text(await callDynamic(s.client, 'e2', 'get_env', { name: 'WHO' }))).toBe('second');
    } finally {
      await s.close();
    }
  });

  it('in "all" mode serves the server listed first under the shared name, and says so', async () => {
    const s = await connectProxy('v2-2025', configFile, { args: ['--tools-mode', 'all'] });
    try {
      const names = (await s.client.listTools()).tools.map((t: { name: string }) => t.name);
      expect(names.filter((n: string) => n === 'get_env')).toHaveLength(1);
      expect(text(await s.client.callTool({ name: 'get_env', arguments: { name: 'WHO' } }))).toBe('first');
      expect(s.stderr()).toContain('"e1" and "e2" both offer tool "get_env"');
    } finally {
      await s.close();
    }
  });
});

describe('an upstream that goes away', () => {
  const dir = tmpDir('mcp-proxy-dynamic-crash-');
  const configFile = writeConfig(dir, {
    mcpServers: {
      keep: { command: 'node', args: [ENV_ECHO], description: 'Stays up' },
      crashy: { command: 'node', args: [ECHO], env: { FIXTURE_NAME: 'crashy' }, description: 'Exits when asked' },
    },
    proxy: { retry: { maxRestarts: 0 } },
  });

  it('leaves the group enum, with tools/list_changed, and calls to it say why', async () => {
    let changed = 0;
    const s = await connectProxy('v2-2025', configFile, {
      args: ['--tools-mode', 'dynamic'],
      setup: (client) =>
        client.setNotificationHandler('notifications/tools/list_changed', () => {
          changed++;
        }),
    });
    try {
      expect(groupEnum((await s.client.listTools()).tools)).toEqual(['keep', 'crashy']);
      // The call fails (the server exits mid-call); no restarts are allowed, so the server is failed.
      await expect(callDynamic(s.client, 'crashy', 'crash', {})).rejects.toThrow(/crashy/);
      await waitFor(() => changed > 0, 'tools/list_changed');
      const { tools } = await s.client.listTools();
      expect(groupEnum(tools)).toEqual(['keep']);
      expect(tools.find((t: any) => t.name === 'get_dynamic_tools').description).not.toContain('crashy');
      const r = await s.client.callTool({ name: 'get_dynamic_tools', arguments: { group: 'crashy' } });
      expect(r.isError).toBe(true);
      expect(text(r)).toMatch(
        /Group "crashy" is not available right now \(server state: failed; .+\)\. Available groups: keep\./,
      );
    } finally {
      await s.close();
    }
  });
});
