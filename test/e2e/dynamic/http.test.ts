/**
 * Dynamic tools mode over Streamable HTTP: the built proxy (`run --transport http --port 0
 * --tools-mode dynamic`) in front of the three real npm servers and the echo fixture, with a v1 client
 * (2025 session) and a v2 client pinned to 2026-07-28 (stateless), each discovering and calling a tool
 * of every upstream through the two meta-tools.
 */
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../../helpers/build.js';
import { tmpDir, writeConfig } from '../../helpers/files.js';
import { type HttpProxy, startHttpProxy } from '../../helpers/httpProxy.js';
import { ECHO, ROOT } from '../../helpers/paths.js';
import { text } from '../../helpers/proxy.js';
import { waitFor } from '../../helpers/wait.js';
import { callDynamic, GROUPS, getTools, groupEnum, type MetaClient, threeRealUpstreams } from './helpers.js';

const dir = tmpDir('mcp-proxy-dynamic-http-');
const servers = threeRealUpstreams(dir);
const configFile = writeConfig(dir, { mcpServers: servers, proxy: { retry: { maxAttempts: 1 } } });
let proxy: HttpProxy;
let url: URL;

beforeAll(async () => {
  ensureBuilt();
  proxy = await startHttpProxy(['--config', configFile, '--tools-mode', 'dynamic'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', MCP_PROXY_DEPLOYMENT: 'node' },
  });
  url = new URL(proxy.url);
}, 120_000);

afterAll(() => proxy?.stop());

async function exercise(client: MetaClient, tag: string): Promise<void> {
  const { tools } = await client.listTools();
  expect(tools.map((t) => t.name).sort()).toEqual(['call_dynamic_tool', 'get_dynamic_tools']);
  expect(groupEnum(tools)).toEqual(GROUPS);

  for (const group of GROUPS) expect((await getTools(client, group)).length).toBeGreaterThan(0);

  expect(text(await callDynamic(client, 'everything', 'get-sum', { a: 20, b: 22 }))).toContain('42');
  await callDynamic(client, 'memory', 'create_entities', {
    entities: [{ name: `http-${tag}`, entityType: 'test', observations: ['over HTTP'] }],
  });
  expect(text(await callDynamic(client, 'memory', 'search_nodes', { query: `http-${tag}` }))).toContain(`http-${tag}`);
  const read = await callDynamic(client, 'filesystem', 'read_text_file', {
    path: path.join(dir, 'files', 'hello.txt'),
  });
  expect(text(read)).toBe('hello from the filesystem server');
  expect(text(await callDynamic(client, 'echo', 'echo', { text: tag }))).toBe(tag);

  const bad = await callDynamic(client, 'everything', 'get-sum', { a: 'one' });
  expect(bad.isError).toBe(true);
  expect(text(bad)).toContain('- arguments/a: must be number');
  expect(text(bad)).toContain('- arguments/b: is required but missing');
  expect(text(bad)).toContain('Input schema of "get-sum"');
}

describe('dynamic tools mode over Streamable HTTP', () => {
  it('serves a v1 client (2025 session) through the meta-tools, with progress', async () => {
    const client = new V1Client({ name: 'v1-http', version: '1.0.0' });
    const transport = new V1StreamableHTTPClientTransport(url);
    await client.connect(transport);
    await waitFor(
      async () => groupEnum((await client.listTools()).tools)?.length === GROUPS.length,
      'all groups',
      60_000,
    );
    await exercise(client as unknown as MetaClient, 'v1');
    const seen: unknown[] = [];
    const r = await client.callTool(
      { name: 'call_dynamic_tool', arguments: { group: 'echo', name: 'slow', arguments: { ms: 150, steps: 3 } } },
      undefined,
      { onprogress: (p) => seen.push(p) },
    );
    expect(text(r)).toBe('slept 150');
    expect(seen[0]).toMatchObject({ progress: 1, total: 3 });
    await transport.terminateSession();
    await client.close();
  });

  it('serves a v2 client pinned to 2026-07-28 (stateless) through the meta-tools', async () => {
    const client = new Client(
      { name: 'v2-http', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    await client.connect(new StreamableHTTPClientTransport(url));
    expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
    await exercise(client as unknown as MetaClient, 'v2');
    await client.close();
  });

  it('tells a v1 session and a 2026-07-28 listener about a server added by live reload', async () => {
    const client = new V1Client({ name: 'v1-http-reload', version: '1.0.0' });
    const transport = new V1StreamableHTTPClientTransport(url);
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed++;
    });
    await client.connect(transport);
    await client.listTools();
    let modernChanged = 0;
    const modern = new Client(
      { name: 'v2-http-reload', version: '1.0.0' },
      {
        versionNegotiation: { mode: { pin: '2026-07-28' } },
        listChanged: {
          tools: {
            onChanged: () => {
              modernChanged++;
            },
          },
        },
      },
    );
    await modern.connect(new StreamableHTTPClientTransport(url));

    const echo2 = { command: 'node', args: [ECHO], env: { FIXTURE_NAME: 'echo2' }, description: 'The second echo' };
    writeConfig(dir, { mcpServers: { ...servers, echo2 }, proxy: { retry: { maxAttempts: 1 } } });
    await waitFor(() => changed > 0, 'tools/list_changed over HTTP (2025 session)');
    await waitFor(() => modernChanged > 0, 'tools/list_changed over HTTP (2026 subscription)');
    expect(groupEnum((await client.listTools()).tools)).toEqual([...GROUPS, 'echo2']);
    expect(groupEnum((await modern.listTools()).tools)).toEqual([...GROUPS, 'echo2']);
    expect(text(await callDynamic(client as unknown as MetaClient, 'echo2', 'echo', { text: 'hi' }))).toBe('hi');
    await transport.terminateSession();
    await client.close();
    await modern.close();
  });
});
