/**
 * The Aggregator in-process: an SDK client over an in-memory transport, in front of the pool with
 * two real SDK servers served over HTTP on port 0 in this process. No child process, no bundle.
 */
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { McpServer } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { Aggregator } from '../../src/aggregator/server.js';
import { type HttpFrontend, type StartHttpFrontendOptions, startHttpFrontend } from '../../src/frontends/http/start.js';
import { silentLogger } from '../../src/observability/logger.js';
import { UpstreamPool } from '../../src/upstream/pool.js';
import { sampleServerFactory } from '../fixtures/sample-server-factory.js';
import { waitFor } from '../helpers/wait.js';

/** A server whose tools can be added while it runs: live instances get the tool (and say so), new ones have it. */
function growingServer() {
  const servers: McpServer[] = [];
  const added: string[] = [];
  const register = (server: McpServer, name: string) =>
    server.registerTool(name, { description: `${name}, added later` }, async () => ({
      content: [{ type: 'text', text: name }],
    }));
  const factory = () => {
    const server = new McpServer({ name: 'growing', version: '1.0.0' });
    server.registerTool(
      'shout',
      { description: 'Upper-cases its text', inputSchema: z.object({ text: z.string() }) },
      async ({ text }) => ({ content: [{ type: 'text', text: text.toUpperCase() }] }),
    );
    for (const name of added) register(server, name);
    servers.push(server);
    return server;
  };
  const addTool = (name: string) => {
    added.push(name);
    for (const s of servers) register(s, name);
  };
  return { factory, addTool };
}

async function serve(serverFactory: StartHttpFrontendOptions['serverFactory']): Promise<HttpFrontend> {
  return startHttpFrontend({
    host: '127.0.0.1',
    port: 0,
    serverFactory,
    status: () => ({ ready: true, upstreams: [] }),
    rateLimit: false,
  });
}

const closers: (() => Promise<unknown>)[] = [];
let agg: Aggregator;
let client: Client;
const growing = growingServer();
const listChanged: string[] = [];

beforeAll(async () => {
  const alpha = await serve(sampleServerFactory({ name: 'alpha' }));
  const beta = await serve(growing.factory);
  closers.push(
    () => alpha.close(),
    () => beta.close(),
  );
  const logger = silentLogger();
  const pool = new UpstreamPool({
    configs: {
      // One upstream of each protocol era.
      alpha: { type: 'http', url: alpha.url, protocol: '2026-07-28' },
      beta: { type: 'http', url: beta.url, protocol: '2025-11-25' },
    } as any,
    logger,
    env: process.env,
    cwd: process.cwd(),
  });
  closers.unshift(() => pool.close());
  await pool.start();
  expect(pool.snapshot().map((s) => [s.state, s.protocolVersion])).toEqual([
    ['ready', '2026-07-28'],
    ['ready', '2025-11-25'],
  ]);
  agg = new Aggregator({ pool, logger, separator: '__' });

  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await agg.createServer({ era: 'legacy' }).connect(serverSide);
  client = new Client({ name: 'test', version: '1.0.0' });
  client.setNotificationHandler('notifications/tools/list_changed', () => {
    listChanged.push('tools');
  });
  await client.connect(clientSide);
  closers.unshift(() => client.close());
});

afterAll(async () => {
  for (const close of closers) await close();
});

describe('Aggregator in front of two upstreams', () => {
  test('tools, prompts and resources of both are listed under their server prefixes', async () => {
    const tools = (await client.listTools()).tools.map((t) => t.name).sort();
    expect(tools).toEqual(['alpha__add', 'alpha__echo', 'alpha__progress', 'alpha__session_info', 'beta__shout']);
    const prompts = (await client.listPrompts()).prompts.map((p) => p.name);
    expect(prompts).toEqual(['alpha__greet']);
    const resources = (await client.listResources()).resources.map((r) => r.uri);
    expect(resources).toEqual(['alpha+sample://hello']);
    expect(agg.collisions()).toEqual([]);
  });

  test('a call goes to the server that owns the name, under its own name', async () => {
    const sum = await client.callTool({ name: 'alpha__add', arguments: { a: 2, b: 3 } });
    expect(sum.content).toEqual([{ type: 'text', text: '5' }]);
    const loud = await client.callTool({ name: 'beta__shout', arguments: { text: 'hi' } });
    expect(loud.content).toEqual([{ type: 'text', text: 'HI' }]);
    const prompt = await client.getPrompt({ name: 'alpha__greet', arguments: { name: 'Ada' } });
    expect(prompt.messages[0].content).toEqual({ type: 'text', text: 'Hello, Ada!' });
    const read = await client.readResource({ uri: 'alpha+sample://hello' });
    expect(read.contents).toEqual([{ uri: 'alpha+sample://hello', mimeType: 'text/plain', text: 'hello world' }]);
    expect(agg.inflight).toBe(0);
  });

  test('an unknown name is an InvalidParams error that lists what there is', async () => {
    const err = await client.callTool({ name: 'nope', arguments: {} }).then(
      () => undefined,
      (e) => e,
    );
    expect(err?.code).toBe(-32602);
    expect(err?.message).toContain('Unknown tool: "nope". Available: ');
    expect(err?.message).toContain('beta__shout');
    const prompt = await client.getPrompt({ name: 'beta__greet' }).catch((e) => e);
    expect(prompt.code).toBe(-32602);
    expect(prompt.message).toContain('Unknown prompt: "beta__greet". Available: alpha__greet');
    const resource = await client.readResource({ uri: 'gamma+x://y' }).catch((e) => e);
    expect(resource.code).toBe(-32602);
    expect(resource.message).toContain('Unknown resource URI: gamma+x://y');
  });

  test("an upstream's list_changed reaches the session and the new tool is served", async () => {
    const before = listChanged.length;
    growing.addTool('late');
    await waitFor(() => listChanged.length > before, 'tools/list_changed downstream', 5_000);
    const tools = (await client.listTools()).tools.map((t) => t.name);
    expect(tools).toContain('beta__late');
    const result = await client.callTool({ name: 'beta__late', arguments: {} });
    expect(result.content).toEqual([{ type: 'text', text: 'late' }]);
  });

  test('a session is told of a change only to a list it holds (not once per server while it has none)', async () => {
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await agg.createServer({ era: 'legacy' }).connect(serverSide);
    const fresh = new Client({ name: 'not-listed-yet', version: '1.0.0' });
    const told: string[] = [];
    fresh.setNotificationHandler('notifications/tools/list_changed', () => {
      told.push('tools');
    });
    await fresh.connect(clientSide);
    try {
      // Nothing listed: the change is in the list it gets when it asks, no notification.
      const before = listChanged.length;
      growing.addTool('later');
      await waitFor(() => listChanged.length > before, 'tools/list_changed to the session that listed', 5_000);
      // Anything sent to it before this answer has arrived by the time the answer does.
      const names = (await fresh.listTools()).tools.map((t) => t.name);
      expect(told).toEqual([]);
      expect(names).toContain('beta__later');
      // Listed: told from now on.
      growing.addTool('latest');
      await waitFor(() => told.length > 0, 'tools/list_changed once it holds a list', 5_000);
      expect((await fresh.listTools()).tools.map((t) => t.name)).toContain('beta__latest');
    } finally {
      await fresh.close();
    }
  });
});
