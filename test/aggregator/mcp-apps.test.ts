/**
 * MCP Apps through the built proxy, over stdio and Streamable HTTP, with clients of both eras: the
 * tool's UI resource URI (in its `_meta`, both keys) names the renamed resource, which reads back
 * byte-identical; every URI in results and prompt messages is the public one; the app's own call by
 * the server's tool name (`callServerTool`, through the ext-apps AppBridge a host uses) reaches the
 * right server; the MCP Apps extension is declared both ways.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { Client, InMemoryTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { App } from '@modelcontextprotocol/ext-apps';
import { AppBridge } from '@modelcontextprotocol/ext-apps/app-bridge';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
// @ts-expect-error a plain .mjs fixture without types
import { UI_HTML, UI_URI } from '../fixtures/mcp-app-server.mjs';
import { BUNDLE, connectProxy, ECHO, FIXTURES, type ProxySession, tmpDir, writeConfig } from '../helpers/proxy.js';

const APP = `${FIXTURES}/mcp-app-server.mjs`;
const PUBLIC_UI = `app+${UI_URI}`;
const dir = tmpDir('mcp-proxy-apps-');
const config = writeConfig(dir, {
  mcpServers: {
    app: { command: process.execPath, args: [APP] },
    echo: { command: process.execPath, args: [ECHO] },
    // Same tool names as "app": its own names are ambiguous between the two.
    twin: { command: process.execPath, args: [APP] },
  },
  proxy: { retry: { maxAttempts: 1 } },
});
const single = writeConfig(
  dir,
  {
    mcpServers: { app: { command: process.execPath, args: [APP] }, echo: { command: process.execPath, args: [ECHO] } },
  },
  'single.json',
);

/** The built proxy serving `configFile` over Streamable HTTP on a free port: its process and URL. */
async function httpProxy(configFile: string): Promise<{ proxy: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [BUNDLE, 'run', '--transport', 'http', '--port', '0', '--config', configFile, '--no-watch'],
    {
      env: { PATH: process.env.PATH ?? '', HOME: dir },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const at = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (c: string) => {
      buf += c;
      const m = /listening on (http:\/\/\S+\/mcp)/.exec(buf);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${buf}`)));
  });
  return { proxy: child, url: at };
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

let proxy: ChildProcess;
let url = '';

beforeAll(async () => {
  ({ proxy, url } = await httpProxy(single));
}, 60_000);

afterAll(() => stop(proxy));

const ERAS = [
  ['2025-11-25', { mode: 'legacy' }],
  ['2026-07-28', { mode: { pin: '2026-07-28' } }],
] as const;

async function httpClient(
  negotiation: (typeof ERAS)[number][1],
  at = url,
  capabilities: Record<string, unknown> = {},
): Promise<Client> {
  const client = new Client(
    { name: 'host', version: '1.0.0' },
    { versionNegotiation: negotiation as any, capabilities: capabilities as any },
  );
  await client.connect(new StreamableHTTPClientTransport(new URL(at)));
  return client;
}

/** What a host does with an MCP App: reads the UI its tool names, then lets the app call tools. */
async function expectAppWorks(client: Client) {
  expect((client.getServerCapabilities() as any)?.extensions?.['io.modelcontextprotocol/ui']).toBeDefined();

  const { tools } = await client.listTools();
  const tool = tools.find((t) => t.name === 'app__get-time')!;
  expect(tool._meta).toMatchObject({ ui: { resourceUri: PUBLIC_UI }, 'ui/resourceUri': PUBLIC_UI });

  const { resources } = await client.listResources();
  expect(resources.map((r) => r.uri)).toContain(PUBLIC_UI);
  const read = await client.readResource({ uri: (tool._meta as any).ui.resourceUri });
  expect(read.contents).toHaveLength(1);
  const [content] = read.contents as any[];
  expect(content.uri).toBe(PUBLIC_UI);
  expect(content.mimeType).toBe('text/html;profile=mcp-app');
  expect(Buffer.from(content.text, 'utf8').equals(Buffer.from(UI_HTML, 'utf8'))).toBe(true);
  expect(content._meta).toEqual({ ui: { prefersBorder: true } });

  const result = (await client.callTool({ name: 'app__get-time', arguments: {} })) as any;
  expect(result.content[0].text).toContain('ui extension: yes');
  expect(result.content[1]).toMatchObject({ type: 'resource_link', uri: PUBLIC_UI });
  expect(result.content[2].resource.uri).toBe(PUBLIC_UI);
  expect(result.content[2].resource.text).toBe(UI_HTML);
  expect(result._meta).toMatchObject({ ui: { resourceUri: PUBLIC_UI } });

  const prompt = await client.getPrompt({ name: 'app__show-time' });
  expect(prompt.messages[0].content).toMatchObject({ type: 'resource_link', uri: PUBLIC_UI });

  // The app inside the UI, talking to its host's bridge, which forwards to the server it came from.
  const bridge = new AppBridge(client as any, { name: 'host', version: '1.0.0' }, { serverTools: {} });
  // No auto-resize: it observes a DOM, and this app has none.
  const app = new App({ name: 'get-time app', version: '1.0.0' }, {}, { autoResize: false });
  const [hostSide, appSide] = InMemoryTransport.createLinkedPair();
  await bridge.connect(hostSide as any);
  await app.connect(appSide as any);
  const fromApp = await app.callServerTool({ name: 'get-time', arguments: {} });
  expect((fromApp.content[0] as any).text).toMatch(/^time: 2026-01-01T00:00:00Z/);
  await app.close();
  await bridge.close();
}

describe.each(ERAS)('MCP Apps over Streamable HTTP, %s client', (_era, negotiation) => {
  test('the UI resolves byte-identical and the app calls its server by its own tool name', async () => {
    const client = await httpClient(negotiation);
    try {
      await expectAppWorks(client);
    } finally {
      await client.close();
    }
  }, 30_000);
});

/** A stdio session through the proxy for one describe block's tests: connected before them, closed after. */
function stdioSession(...args: Parameters<typeof connectProxy>): () => ProxySession {
  let s: ProxySession | undefined;
  beforeAll(async () => {
    s = await connectProxy(...args);
  }, 60_000);
  afterAll(async () => {
    await s?.close();
  });
  return () => s!;
}

/** What a host that renders MCP Apps declares. */
const UI_HOST = { extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: ['text/html;profile=mcp-app'] } } };

describe.each(['v2-2025', 'v2-2026'] as const)('MCP Apps over stdio, %s client', (kind) => {
  const s = stdioSession(kind, single, { capabilities: UI_HOST });

  test('the UI resolves byte-identical and the app calls its server by its own tool name', async () => {
    await expectAppWorks(s().client);
  }, 30_000);
});

describe('MCP Apps over stdio, a client that renders no UI', () => {
  const s = stdioSession('v2-2025', single);

  // The one client's capabilities are what the server is told (upstream/handshake.ts, declaredFor).
  test('its server is not told of the UI extension, as it would not be directly', async () => {
    const result = (await s().client.callTool({ name: 'app__get-time', arguments: {} })) as any;
    expect(result.content[0].text).toContain('ui extension: no');
  }, 30_000);
});

describe('MCP Apps over Streamable HTTP, a server per session ("isolation": "session")', () => {
  const isolated = writeConfig(
    dir,
    { mcpServers: { app: { command: process.execPath, args: [APP], isolation: 'session' } } },
    'isolated.json',
  );
  let own: { proxy: ChildProcess; url: string } | undefined;
  beforeAll(async () => {
    own = await httpProxy(isolated);
  }, 60_000);
  afterAll(() => stop(own?.proxy));

  // A shared connection is told everything the proxy relays; a session's own one, what its client declared:
  // two sessions at once, each calling while the other does, each get their own answer.
  test('two sessions at once, one host that renders MCP Apps and one client that renders none: each server is told what its own client declared', async () => {
    const sessions: [Record<string, unknown>, string][] = [
      [UI_HOST, 'yes'],
      [{}, 'no'],
    ];
    const clients = await Promise.all(sessions.map(([caps]) => httpClient(ERAS[0][1], own!.url, caps)));
    try {
      for (let round = 0; round < 3; round++) {
        const results = await Promise.all(
          clients.map((c) => c.callTool({ name: 'app__get-time', arguments: {} }) as Promise<any>),
        );
        results.forEach((result, i) => {
          expect(result.content[0].text).toContain(`ui extension: ${sessions[i]![1]}`);
        });
      }
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  }, 30_000);
});

describe('tool calls by an upstream name', () => {
  const s = stdioSession('v2-2025', config);

  test('an upstream name two servers share is refused with the public names; public names still work', async () => {
    await expect(s().client.callTool({ name: 'get-time', arguments: {} })).rejects.toThrow(/Unknown tool: "get-time"/);
    const r = (await s().client.callTool({ name: 'twin__get-time', arguments: {} })) as any;
    expect(r.content[1].uri).toBe(`twin+${UI_URI}`);
    // echo's own name is unambiguous.
    const echo = (await s().client.callTool({ name: 'echo', arguments: { text: 'hi' } })) as any;
    expect(echo.isError).toBeFalsy();
  }, 30_000);
});
