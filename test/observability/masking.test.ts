// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references in configs are what this test is about
/**
 * One secret, every outward path. The BUILT proxy runs real upstreams (test/fixtures/secret-server.mjs)
 * that print their API key to stderr and put it in their JSON-RPC errors, once with the key from the
 * credentials file through `${LEAK_API_KEY}` and once with the key written literally in the config.
 * Two Streamable HTTP servers that are sent the key in a header refuse with HTTP 401 and echo it in the
 * body, as servers do ("invalid key ..."), which the proxy's status and log then say.
 * Neither key may appear in the proxy's log, /ready, /metrics, `status --url` (table and JSON),
 * `status --config` (table and JSON), or any error a client gets over HTTP or stdio; the masked form
 * shows where the secret was.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mask } from '../../src/observability/redact.js';
import { ensureBuilt } from '../helpers/build.js';
import { tmpDir, writeConfig } from '../helpers/files.js';
import { type HttpProxy, startHttpProxy } from '../helpers/httpProxy.js';
import { BUNDLE, FIXTURES } from '../helpers/paths.js';
import { connectProxy, type ProxySession } from '../helpers/proxy.js';
import { waitFor } from '../helpers/wait.js';

const SERVER = path.join(FIXTURES, 'secret-server.mjs');
/** Reaches the upstream through `${LEAK_API_KEY}`, resolved from the credentials file. */
const CRED = 'cred-s3cret-Value-1234567890';
/** Written literally in the config: only the config scan tells the redactor about it. */
const LITERAL = 'lit-s3cret-Value-0987654321';
const TOKEN = 'masking-test-token-0123456789';
const RESTART_DELAY = 6000;

let dir: string;
let credentials: string;
/** Answers every request with 401, echoing the bearer token it was sent in the body. */
let refuser: http.Server;
let refuserUrl = '';

/** Two failing servers and two that serve, for each way the key reaches them; marker files per run. */
function config(tag: string): string {
  const server = (key: string, extra: Record<string, string>) => ({
    command: process.execPath,
    args: [SERVER],
    env: { LEAK_API_KEY: key, ...extra },
  });
  const serving = (name: string) => ({
    LEAK_MARKER: path.join(dir, `${tag}-${name}.marker`),
    LEAK_RESTART_DELAY: String(RESTART_DELAY),
    LEAK_BAD_ENTRY: '1',
  });
  return writeConfig(
    dir,
    {
      mcpServers: {
        failcred: server('${LEAK_API_KEY}', { LEAK_MODE: 'fail' }),
        faillit: server(LITERAL, { LEAK_MODE: 'fail' }),
        leakcred: server('${LEAK_API_KEY}', serving('leakcred')),
        leaklit: server(LITERAL, serving('leaklit')),
        refusecred: { url: refuserUrl, headers: { Authorization: 'Bearer ${LEAK_API_KEY}' } },
        refuselit: { url: refuserUrl, headers: { Authorization: `Bearer ${LITERAL}` } },
      },
      proxy: { retry: { maxAttempts: 1 } },
    },
    `${tag}.json`,
  );
}

/** The text has neither secret in any spelling, and (when asked) the masked form of each. */
function expectMasked(text: string, where: string, { masks = true } = {}): void {
  for (const secret of [CRED, LITERAL]) {
    for (const spelling of [secret, secret.slice(4, -4), encodeURIComponent(secret)]) {
      expect(text, `${where} leaks ${secret}`).not.toContain(spelling);
    }
    if (masks) expect(text, `${where} shows the masked form`).toContain(mask(secret));
  }
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BUNDLE, ...args],
      { env: { PATH: process.env.PATH ?? '', HOME: dir, MCP_PROXY_DEPLOYMENT: 'node' }, timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: unknown }).code as number) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
  });
}

/** Calls a tool and returns the JSON-RPC error it failed with, as the client saw it (message and data). */
async function callError(client: any, name: string): Promise<string> {
  try {
    const r = await client.callTool({ name, arguments: {} });
    throw new Error(`${name} did not fail: ${JSON.stringify(r)}`);
  } catch (e) {
    const err = e as { message: string; code?: unknown; data?: unknown };
    return JSON.stringify({ message: err.message, code: err.code, data: err.data });
  }
}

beforeAll(async () => {
  refuser = http.createServer((req, res) => {
    const key = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
    res.writeHead(401, { 'content-type': 'text/plain' }).end(`invalid key ${key}`);
  });
  await new Promise<void>((r) => refuser.listen(0, '127.0.0.1', r));
  refuserUrl = `http://127.0.0.1:${(refuser.address() as AddressInfo).port}/mcp`;
  ensureBuilt();
  dir = tmpDir('mcp-proxy-masking-');
  credentials = path.join(dir, 'credentials.json');
  fs.writeFileSync(credentials, JSON.stringify({ LEAK_API_KEY: CRED }), { mode: 0o600 });
});
afterAll(() => {
  refuser?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('over HTTP: /ready, /metrics, status, errors to clients, the log', () => {
  let proxy: HttpProxy;
  let url = '';
  let base = '';
  const auth = { headers: { authorization: `Bearer ${TOKEN}` } };
  const ready = async () => {
    const r = await fetch(`${base}/ready`, auth);
    return { text: await r.text() };
  };
  const upstream = async (name: string) => {
    const { text } = await ready();
    return (JSON.parse(text).upstreams as { name: string; state: string; lastError?: string }[]).find(
      (u) => u.name === name,
    )!;
  };

  beforeAll(async () => {
    const cfg = config('http');
    proxy = await startHttpProxy(['--config', cfg, '--credentials', credentials], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: dir,
        MCP_PROXY_DEPLOYMENT: 'node',
        MCP_PROXY_TOKEN: TOKEN,
        MCP_PROXY_LOG_LEVEL: 'debug',
      },
    });
    ({ url, base } = proxy);
    // Both: servers start one per event-loop turn, so one may still be connecting when the other gave up.
    const failed = async (name: string) => (await upstream(name))?.state === 'failed';
    await waitFor(
      async () => (await failed('faillit')) && (await failed('failcred')),
      'the failing servers to give up',
    );
  }, 60_000);

  afterAll(() => proxy?.stop());

  test('/ready: the failing servers last error (their stderr tail) is masked', async () => {
    const { text } = await ready();
    expectMasked(text, '/ready');
    expect((await upstream('failcred')).lastError).toContain(`auth failed for key ${mask(CRED)}`);
    expect((await upstream('faillit')).lastError).toContain(`auth failed for key ${mask(LITERAL)}`);
  });

  test('/ready: an HTTP server refusing with the key in its body is named with it masked', async () => {
    const refused = async (name: string) => (await upstream(name))?.lastError?.startsWith('HTTP 401') === true;
    await waitFor(async () => (await refused('refusecred')) && (await refused('refuselit')), 'the refusals');
    expect((await upstream('refusecred')).lastError).toContain(`invalid key ${mask(CRED)}`);
    expect((await upstream('refuselit')).lastError).toContain(`invalid key ${mask(LITERAL)}`);
    expectMasked((await ready()).text, '/ready with the refusals');
  });

  test('/metrics carries no secret', async () => {
    const r = await fetch(`${base}/metrics`, auth);
    expect(r.status).toBe(200);
    expectMasked(await r.text(), '/metrics', { masks: false });
  });

  test('status --url: table and --json', async () => {
    for (const json of [false, true]) {
      const r = await cli(['status', '--url', base, '--token', TOKEN, ...(json ? ['--json'] : [])]);
      expect(r.code, r.stderr).toBe(4);
      expectMasked(r.stdout, `status --url${json ? ' --json' : ''}`);
      expectMasked(r.stderr, 'status --url stderr', { masks: false });
    }
  });

  test('status --config: table and --json (its own connections, its own redactor)', async () => {
    const cfg = config('status');
    for (const json of [false, true]) {
      const r = await cli(['status', '--config', cfg, '--credentials', credentials, ...(json ? ['--json'] : [])]);
      expect(r.code, r.stderr).toBe(4);
      expectMasked(r.stdout, `status --config${json ? ' --json' : ''}`);
      expectMasked(r.stderr, 'status --config stderr', { masks: false });
      if (json) {
        const report = JSON.parse(r.stdout);
        const failcred = report.upstreams.find((u: { name: string }) => u.name === 'failcred');
        expect(failcred.lastError).toContain(`auth failed for key ${mask(CRED)}`);
      }
    }
  });

  test.each(['legacy', '2026-07-28'] as const)(
    'JSON-RPC errors an upstream answers with are masked, message and data (%s client)',
    async (era) => {
      const client = new Client(
        { name: 'masking', version: '1' },
        { versionNegotiation: { mode: era === 'legacy' ? 'legacy' : { pin: era } } },
      );
      await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: auth }));
      try {
        const errors = [await callError(client, 'leakcred__leak'), await callError(client, 'leaklit__leak')];
        expectMasked(errors.join('\n'), 'upstream JSON-RPC errors');
        expect(errors[0]).toContain(`"data":{"key":"${mask(CRED)}"`);
      } finally {
        await client.close();
      }
    },
  );

  test('a call to a server that crashed: the unavailable error names its stderr tail, masked', async () => {
    const client = new Client({ name: 'masking', version: '1' }, { versionNegotiation: { mode: 'legacy' } });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: auth }));
    try {
      const crashes = await Promise.all([callError(client, 'leakcred__crash'), callError(client, 'leaklit__crash')]);
      expectMasked(crashes.join('\n'), 'errors of the crashing calls', { masks: false });
      // The restarted servers wait RESTART_DELAY before serving: meanwhile they are "restarting".
      for (const name of ['leakcred', 'leaklit']) {
        await waitFor(async () => /stderr/.test((await upstream(name)).lastError ?? ''), `${name} restarting`);
      }
      const errors = [await callError(client, 'leakcred__leak'), await callError(client, 'leaklit__leak')];
      expect(errors[0]).toContain('is restarting');
      expectMasked(errors.join('\n'), 'unavailable errors');
      expectMasked((await ready()).text, '/ready while restarting');
    } finally {
      await client.close();
    }
  });

  test("the proxy's log (stderr, debug level) masks both, upstream stderr lines included", () => {
    expect(proxy.stderr()).toContain(`[failcred] auth failed for key ${mask(CRED)}`);
    // The listing's warning names the unusable entries, whose names hold the key; a long one is masked
    // before it is cut short, so no part of the key shows.
    expect(proxy.stderr()).toContain(`tools/list: tool "key-${mask(CRED)}" left out`);
    const long = `key-${'x'.repeat(70)}`;
    expect(proxy.stderr()).toContain(`tools/list: tool "${long}${mask(CRED).slice(0, 6)}" left out`);
    expect(proxy.stderr()).not.toContain(`${long}${CRED.slice(0, 6)}`);
    expectMasked(proxy.stderr(), 'the proxy log');
  });
});

describe('over stdio: errors to the client and the log', () => {
  let session: ProxySession | undefined;
  afterAll(async () => {
    await session?.close();
  });

  test.each(['v2-2026', 'v2-2025'] as const)(
    'upstream JSON-RPC errors are masked (%s client)',
    async (kind) => {
      await session?.close();
      session = await connectProxy(kind, config('stdio'), { args: ['--credentials', credentials], env: { HOME: dir } });
      const client = session.client;
      const errors = [await callError(client, 'leakcred__leak'), await callError(client, 'leaklit__leak')];
      expectMasked(errors.join('\n'), 'upstream JSON-RPC errors over stdio');
    },
    60_000,
  );

  test('a call to a server that crashed: the unavailable error is masked; so is the log', async () => {
    const client = session!.client;
    await Promise.all([callError(client, 'leakcred__crash'), callError(client, 'leaklit__crash')]);
    // The crash shows in the next call's error once the proxy has seen the exit. The servers are restarting for
    // RESTART_DELAY after they were started again; polling may begin well before that on a busy machine.
    const restarting = await waitFor(
      async () => {
        const e = [await callError(client, 'leakcred__leak'), await callError(client, 'leaklit__leak')];
        if (e.every((x) => x.includes('stderr'))) return e;
        throw new Error(`last errors: ${e.join(' | ')}`);
      },
      'both servers restarting',
      2 * RESTART_DELAY,
    );
    expectMasked((restarting ?? []).join('\n'), 'unavailable errors over stdio');
    expect(session!.stderr()).toContain(`tools/list: tool "key-${mask(LITERAL)}" left out`);
    expectMasked(session!.stderr(), 'the stdio proxy log');
  }, 60_000);
});

describe('dynamic tools mode over stdio: the error naming a failed server', () => {
  test('call_dynamic_tool to a server that failed at start says why, its stderr tail masked', async () => {
    const session = await connectProxy('v2-2025', config('dynamic'), {
      args: ['--credentials', credentials, '--tools-mode', 'dynamic'],
      env: { HOME: dir },
    });
    try {
      // Asked as the proxy starts: the answer waits for each server's first attempt, then says why it is down.
      const texts = await Promise.all(
        ['failcred', 'faillit'].map(async (group) => {
          const r = (await session.client.callTool({
            name: 'call_dynamic_tool',
            arguments: { group, name: 'leak', arguments: {} },
          })) as { isError?: boolean; content: { text: string }[] };
          expect(r.isError, group).toBe(true);
          return r.content[0]?.text ?? '';
        }),
      );
      for (const [i, group] of ['failcred', 'faillit'].entries()) {
        expect(texts[i]).toContain(`Group "${group}" is not available right now (server state: failed;`);
      }
      expect(texts[0]).toContain(mask(CRED));
      expect(texts[1]).toContain(mask(LITERAL));
      expectMasked(texts.join('\n'), 'dynamic mode errors', { masks: false });
      expectMasked(session.stderr(), 'the dynamic stdio proxy log', { masks: false });
    } finally {
      await session.close();
    }
  }, 60_000);
});
