/**
 * Several proxies behind a real HAProxy: three BUILT proxies (each in front of a real stdio fixture whose
 * answers name the proxy) and haproxy started with the shipped deploy/haproxy/haproxy.cfg on loopback
 * ports. 2025 sessions stay on one proxy; 2026 requests spread; a proxy on SIGTERM finishes its calls in
 * flight while new sessions go elsewhere; a killed proxy's sessions get 404 and start again on another.
 * Skipped, loudly, when haproxy is not installed (`.ci/run` installs it).
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureBuilt } from '../../helpers/build.js';
import { tempDir, writeConfig } from '../../helpers/files.js';
import { type Haproxy, haproxyMissing, startHaproxy } from '../../helpers/haproxy.js';
import { type HttpProxy, startHttpProxy } from '../../helpers/httpProxy.js';
import { ECHO } from '../../helpers/paths.js';
import { waitFor } from '../../helpers/wait.js';

const TOKEN = 'scale-haproxy-token-0123456789abcdef';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const NAMES = ['p1', 'p2', 'p3'];
const missing = haproxyMissing();
if (missing) console.warn(`\n!!! HAProxy scale tests SKIPPED: ${missing}\n`);

const tmp = tempDir('mcp-proxy-scale-');
const proxies = new Map<string, HttpProxy>();
const clients: Client[] = [];
let lb: Haproxy;

beforeAll(async () => {
  if (missing) return;
  ensureBuilt();
  await Promise.all(
    NAMES.map(async (name) => {
      const cfg = writeConfig(tmp.dir, configFor(name), `${name}.json`);
      const p = await startHttpProxy(['--config', cfg, '--no-watch'], {
        env: { PATH: process.env.PATH ?? '', HOME: tmp.dir, MCP_PROXY_TOKEN: TOKEN, MCP_PROXY_DEPLOYMENT: 'node' },
      });
      proxies.set(name, p);
    }),
  );
  lb = await startHaproxy(NAMES.map((n) => new URL(proxies.get(n)!.base).host));
  await waitFor(async () => Object.values(await lb.states()).every((s) => s === 'UP'), 'haproxy to see 3 proxies UP');
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
  await lb?.stop();
  await Promise.all([...proxies.values()].map((p) => p.stop()));
  tmp.cleanup();
});

/** Each proxy fronts the echo fixture named after it: its prompt answers "Hello x from pN". */
function configFor(name: string) {
  return {
    mcpServers: { e: { command: process.execPath, args: [ECHO], env: { FIXTURE_NAME: name } } },
    proxy: { timeouts: { shutdownGrace: 15_000 } },
  };
}

async function connect(
  era: 'legacy' | '2026-07-28',
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client(
    { name: 'scale', version: '1' },
    { versionNegotiation: { mode: era === 'legacy' ? 'legacy' : { pin: era } } },
  );
  const transport = new StreamableHTTPClientTransport(new URL(lb.url), { requestInit: { headers: AUTH } });
  await client.connect(transport);
  clients.push(client);
  return { client, transport };
}

/** Which proxy answered: the fixture behind it puts its name into the prompt. */
async function servedBy(client: Client): Promise<string> {
  const r = await client.getPrompt({ name: 'e__greet', arguments: { who: 'x' } });
  const text = (r.messages[0]?.content as { text?: string } | undefined)?.text ?? '';
  return /from (p\d)$/.exec(text)?.[1] ?? text;
}

function rawCall(sessionId: string): Promise<Response> {
  return fetch(lb.url, {
    method: 'POST',
    headers: {
      ...AUTH,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-session-id': sessionId,
      'mcp-protocol-version': '2025-11-25',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'ping' }),
  });
}

const alive = () => NAMES.filter((n) => proxies.get(n)!.child.exitCode === null && !proxies.get(n)!.child.signalCode);

describe.skipIf(missing !== undefined)('three proxies behind HAProxy', () => {
  test('2025 sessions stay on the proxy that holds them; new sessions spread over all three', async () => {
    const homes: string[] = [];
    for (let i = 0; i < 6; i++) {
      const { client } = await connect('legacy');
      const seen = new Set<string>();
      for (let j = 0; j < 4; j++) seen.add(await servedBy(client));
      expect(seen.size, 'one session, one proxy').toBe(1);
      homes.push([...seen][0]!);
    }
    expect(new Set(homes)).toEqual(new Set(NAMES));
  });

  test('2026 requests spread over the proxies, request by request', async () => {
    const { client } = await connect('2026-07-28');
    const seen = new Set<string>();
    for (let j = 0; j < 9; j++) seen.add(await servedBy(client));
    expect(seen).toEqual(new Set(NAMES));
  });

  test('SIGTERM: the call in flight finishes, /ready is 503 at once, new sessions go elsewhere, exit 0', async () => {
    const { client } = await connect('legacy');
    const victim = await servedBy(client);
    const proxy = proxies.get(victim)!;
    const call = client.callTool({ name: 'e__slow', arguments: { ms: 3000, steps: 3 } });
    // Let the call reach the upstream before the signal.
    await new Promise((r) => setTimeout(r, 300));
    const exited = new Promise<number | null>((r) => proxy.child.once('exit', (code) => r(code)));
    proxy.child.kill('SIGTERM');

    await waitFor(async () => (await fetch(`${proxy.base}/ready`)).status === 503, 'the proxy to drain');
    expect(await (await fetch(`${proxy.base}/ready`)).json()).toEqual({ status: 'draining' });
    // Sessions opened now (HAProxy may not have seen the 503 yet: the draining proxy refuses with a
    // 503 it retries elsewhere) and 2026 requests never land on the draining proxy.
    for (let i = 0; i < 4; i++) {
      const fresh = await connect('legacy');
      expect(await servedBy(fresh.client)).not.toBe(victim);
    }
    const modern = await connect('2026-07-28');
    for (let i = 0; i < 4; i++) expect(await servedBy(modern.client)).not.toBe(victim);

    const result = (await call) as { content: { text: string }[] };
    expect(result.content[0]?.text).toBe('slept 3000');
    expect(await exited).toBe(0);
    await waitFor(async () => (await lb.states())[`proxy${victim.slice(1)}`] !== 'UP', 'haproxy to mark it down');
  });

  test('a killed proxy: its sessions get 404 and initialize again on another proxy', async () => {
    const [a, b] = alive();
    expect(b, 'two proxies left').toBeDefined();
    let victim: { client: Client; transport: StreamableHTTPClientTransport } | undefined;
    for (let i = 0; i < 4 && !victim; i++) {
      const c = await connect('legacy');
      if ((await servedBy(c.client)) === a) victim = c;
    }
    expect(victim, `a session on ${a}`).toBeDefined();
    const sid = victim!.transport.sessionId!;
    expect((await rawCall(sid)).status).toBe(200);

    const proxy = proxies.get(a!)!;
    const exited = new Promise((r) => proxy.child.once('exit', r));
    proxy.child.kill('SIGKILL');
    await exited;

    // Right away (before any health check notices) and later: the session is unknown where it lands.
    const r = await rawCall(sid);
    expect(r.status).toBe(404);
    expect(((await r.json()) as { error: { code: number } }).error.code).toBe(-32001);
    await expect(servedBy(victim!.client)).rejects.toThrow(/404|Session not found/);

    const again = await connect('legacy');
    expect(await servedBy(again.client)).toBe(b);
    const text = await again.client.callTool({ name: 'e__echo', arguments: { text: 'still here' } });
    expect((text as { content: { text: string }[] }).content[0]?.text).toBe('still here');
  });
});
