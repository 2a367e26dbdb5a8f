/**
 * What each upstream era needs translated, through the built proxy over Streamable HTTP: a 2026-07-28
 * (stateless) client's call whose upstream asks push-style on a 2025-11-25 hop gets input_required
 * rounds and the result; towards a 2026-07-28 upstream, a 2025 session's log level travels as
 * per-request `_meta` and resources/subscribe becomes a subscriptions/listen stream.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BUNDLE, ECHO, FIXTURES, tmpDir, waitFor, writeConfig } from '../helpers/proxy.js';

const dir = tmpDir('mcp-proxy-protocol-');
const config = writeConfig(dir, {
  mcpServers: {
    // auto: a 2025-11-25 hop (the fixture speaks both eras).
    echo: { command: process.execPath, args: [ECHO] },
    modern: { command: process.execPath, args: [ECHO], protocol: '2026-07-28', env: { FIXTURE_NAME: 'modern' } },
    // auto, with a server that refuses initialize: the proxy speaks 2026-07-28 to it.
    strict: { command: process.execPath, args: [`${FIXTURES}/modern-only-server.mjs`] },
    asking: { command: process.execPath, args: [`${FIXTURES}/asking-server.mjs`] },
  },
});

let proxy: ChildProcess;
let url = '';
let stderr = '';

beforeAll(async () => {
  proxy = spawn(
    process.execPath,
    [BUNDLE, 'run', '--transport', 'http', '--port', '0', '--config', config, '--no-watch'],
    {
      env: { PATH: process.env.PATH ?? '', HOME: dir },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  url = await new Promise<string>((resolve, reject) => {
    proxy.stderr!.setEncoding('utf8');
    proxy.stderr!.on('data', (c: string) => {
      stderr += c;
      const m = /listening on (http:\/\/\S+\/mcp)/.exec(stderr);
      if (m) resolve(m[1]);
    });
    proxy.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
}, 60_000);

afterAll(async () => {
  if (proxy && proxy.exitCode === null) {
    const exited = new Promise((r) => proxy.once('exit', r));
    proxy.kill('SIGTERM');
    await exited;
  }
});

async function connect(era: '2025' | '2026', setup?: (c: Client) => void): Promise<Client> {
  const client = new Client(
    { name: `client-${era}`, version: '1.0.0' },
    {
      capabilities: { sampling: {}, elicitation: { form: {} } },
      versionNegotiation: era === '2026' ? { mode: { pin: '2026-07-28' } } : { mode: 'legacy' },
    },
  );
  setup?.(client);
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

const text = (r: any) => r.content?.[0]?.text;

test('auto speaks 2026-07-28 to a server that refuses initialize (conformance.test.ts: 2025-11-25 to a dual-era one)', async () => {
  const client = await connect('2025');
  try {
    expect(text(await client.callTool({ name: 'strict__era', arguments: {} }))).toBe('modern');
    expect(stderr).toMatch(/refused 2025-11-25 initialize; negotiating 2026-07-28/);
  } finally {
    await client.close();
  }
}, 30_000);

describe('a 2026-07-28 client, an upstream on a 2025-11-25 hop asking push-style', () => {
  test('the requests come back as input_required rounds; the retry answers them and gets the result', async () => {
    const asked: string[] = [];
    const client = await connect('2026', (c) => {
      c.setRequestHandler('sampling/createMessage', async (req: any) => {
        asked.push(req.params.messages[0].content.text);
        return { role: 'assistant', model: 'm', content: { type: 'text', text: 'stateless answer' } };
      });
      c.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { name: 'Ada' } }));
    });
    try {
      expect(text(await client.callTool({ name: 'echo__ask_sampling', arguments: { prompt: 'p1' } }))).toBe(
        'sampled: stateless answer',
      );
      expect(asked).toEqual(['p1']);
      expect(text(await client.callTool({ name: 'echo__ask_elicit', arguments: {} }))).toBe(
        'elicited: accept {"name":"Ada"}',
      );
    } finally {
      await client.close();
    }
  }, 30_000);

  test('so do prompts/get and resources/read', async () => {
    const client = await connect('2026', (c) =>
      c.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { name: 'Grace' } })),
    );
    try {
      const prompt = await client.getPrompt({ name: 'asking__greeting' });
      expect(prompt.messages[0].content).toEqual({ type: 'text', text: 'Hello Grace' });
      const read = await client.readResource({ uri: 'asking+ask://name' });
      expect(read.contents).toEqual([{ uri: 'asking+ask://name', mimeType: 'text/plain', text: 'name: Grace' }]);
    } finally {
      await client.close();
    }
  }, 30_000);

  test('a retry with a paused state the proxy no longer holds gets a precise error', async () => {
    const client = await connect('2026');
    try {
      const r = (await client.callTool(
        { name: 'echo__echo', arguments: { text: 'x' }, requestState: 'mcp-proxy:paused:gone' } as any,
        { allowInputRequired: true } as any,
      )) as any;
      throw new Error(`expected an error, got ${JSON.stringify(r)}`);
    } catch (e) {
      expect(String(e)).toMatch(/no longer held by the proxy/);
    } finally {
      await client.close();
    }
  }, 30_000);
});

describe('towards a 2026-07-28 upstream', () => {
  test("a 2025 session's logs arrive (its level travels as per-request _meta) and its level filters them", async () => {
    const logs: string[] = [];
    const client = await connect('2025', (c) =>
      c.setNotificationHandler('notifications/message', (n: any) => {
        logs.push(`${n.params.level}:${n.params.data}`);
      }),
    );
    try {
      await client.callTool({ name: 'modern__log', arguments: { message: 'before setLevel' } });
      await waitFor(() => logs.length > 0, 'the log of a call made before logging/setLevel');
      expect(logs).toEqual(['info:before setLevel']);
      await client.setLoggingLevel('warning');
      await client.callTool({ name: 'modern__log', arguments: { message: 'below the level' } });
      await client.setLoggingLevel('info');
      await client.callTool({ name: 'modern__log', arguments: { message: 'at the level' } });
      await waitFor(() => logs.length > 1, 'the log at the level');
      expect(logs).toEqual(['info:before setLevel', 'info:at the level']);
    } finally {
      await client.close();
    }
  }, 30_000);

  test('resources/subscribe becomes a listen stream: updates reach the subscribed session only', async () => {
    const updates: string[][] = [[], []];
    const [a, b] = await Promise.all(
      [0, 1].map((i) =>
        connect('2025', (c) =>
          c.setNotificationHandler('notifications/resources/updated', (n: any) => {
            updates[i].push(n.params.uri);
          }),
        ),
      ),
    );
    try {
      const { resources } = await a.listResources();
      const uri = resources.find((r) => r.uri.startsWith('modern+'))!.uri;
      await a.subscribeResource({ uri });
      await b.callTool({ name: 'modern__touch_resource', arguments: { uri: uri.slice('modern+'.length) } });
      await waitFor(() => updates[0].length > 0, 'resources/updated through the listen stream');
      expect(updates[0]).toEqual([uri]);
      await a.unsubscribeResource({ uri });
      await b.callTool({ name: 'modern__touch_resource', arguments: { uri: uri.slice('modern+'.length) } });
      await new Promise((r) => setTimeout(r, 300));
      expect(updates).toEqual([[uri], []]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 30_000);
});
