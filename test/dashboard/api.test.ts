/**
 * The dashboard's REST API and static files through the BUILT proxy (`run --transport http`), with plain
 * HTTP: the same authentication as /mcp, only what the caller's policy allows (listings, calls, servers,
 * logs), server changes only for admins and through the CLI's add/remove path (the live reload then
 * starts the server), the strict CSP on /ui, the OpenAPI document, and a secret that is fed through
 * every route never coming back unmasked.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureBuilt } from '../helpers/build.js';
import { tempDir, writeConfig } from '../helpers/files.js';
import { type HttpProxy, startHttpProxy } from '../helpers/httpProxy.js';
import { BUNDLE, ECHO, NODE } from '../helpers/paths.js';
import { waitFor } from '../helpers/wait.js';

const tmp = tempDir('mcp-proxy-dashboard-');
const keysFile = path.join(tmp.dir, 'keys.json');
const TOKEN = 'shared-operator-token-0123456789';
const SECRET = 'sk-dashboard-secret-9f8e7d6c5b4a';
const env = {
  PATH: process.env.PATH ?? '',
  HOME: tmp.dir,
  MCP_PROXY_TOKEN: TOKEN,
  ECHO_SECRET: SECRET,
  MCP_PROXY_LOG_LEVEL: 'trace',
};
const keys: Record<string, string> = {};
let proxy: HttpProxy;
let config = '';

function cli(args: string[]): string {
  return execFileSync(NODE, [BUNDLE, ...args, '--keys-file', keysFile], { env, encoding: 'utf8' }).trim();
}

async function api(p: string, opts: { token?: string; method?: string; body?: unknown; accept?: string } = {}) {
  const token = opts.token === undefined ? TOKEN : opts.token;
  const res = await fetch(`${proxy.base}${p}`, {
    method: opts.method ?? (opts.body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(opts.accept ? { accept: opts.accept } : {}),
    },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, headers: res.headers, text, json };
}

/** Reads an SSE response until `enough` says so (or the time is up); returns the events. */
async function events(
  p: string,
  enough: (ev: { event: string; data: any; raw: string }[]) => boolean,
  init: RequestInit = {},
) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), 10_000);
  const res = await fetch(`${proxy.base}${p}`, {
    ...init,
    signal: ctl.signal,
    headers: { authorization: `Bearer ${TOKEN}`, accept: 'text/event-stream', ...(init.headers ?? {}) },
  });
  const out: { event: string; data: any; raw: string }[] = [];
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  try {
    while (!enough(out)) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      for (let at = buf.indexOf('\n\n'); at >= 0; at = buf.indexOf('\n\n')) {
        const block = buf.slice(0, at);
        buf = buf.slice(at + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) out.push({ event, data: JSON.parse(data), raw: block });
      }
    }
  } finally {
    clearTimeout(timer);
    ctl.abort();
  }
  return out;
}

beforeAll(async () => {
  ensureBuilt();
  keys.alice = cli(['keys', 'create', 'alice', '--role', 'dev']);
  keys.root = cli(['keys', 'create', 'root', '--role', 'admin']);
  const fixture = (name: string) => ({
    command: NODE,
    args: [ECHO],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a config reference, not a template
    env: { FIXTURE_NAME: name, FIXTURE_JUNK: '1', SOME_KEY: '${ECHO_SECRET}' },
  });
  config = writeConfig(tmp.dir, {
    mcpServers: { alpha: fixture('alpha'), beta: fixture('beta') },
    proxy: {
      auth: { keysFile: 'keys.json' },
      access: {
        rules: [
          { who: { roles: ['dev'] }, allow: { servers: ['alpha'] }, deny: { tools: ['alpha__add'] } },
          { who: { roles: ['admin'] }, allow: { servers: ['*'] } },
          { who: { kinds: ['token'] }, allow: { servers: ['*'] } },
        ],
      },
    },
  });
  proxy = await startHttpProxy(['--config', config], { env });
  await waitFor(
    async () => (await api('/api/v1/servers')).json?.servers?.every((s: any) => s.state === 'ready'),
    'both servers ready',
  );
}, 120_000);

afterAll(async () => {
  await proxy?.stop();
  tmp.cleanup();
});

describe('authentication and the public files', () => {
  test('every API route refuses a request without a valid token, as /mcp does', async () => {
    for (const p of [
      '/api/v1/me',
      '/api/v1/servers',
      '/api/v1/tools',
      '/api/v1/search?q=x',
      '/api/v1/logs',
      '/api/v1/config',
    ]) {
      for (const token of ['', 'wrong-token-wrong-token']) {
        const r = await api(p, { token });
        expect(r.status, `${p} with ${token || 'no token'}`).toBe(401);
        expect(r.headers.get('www-authenticate')).toMatch(/^Bearer /);
      }
    }
    const call = await api('/api/v1/tools/alpha__echo/call', { token: '', body: { arguments: { text: 'x' } } });
    expect(call.status).toBe(401);
  });

  test('/ui is served without a token, under a strict CSP; / leads to it', async () => {
    const page = await api('/ui', { token: '' });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    // No inline script and nothing from another origin.
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page.text).not.toMatch(/(src|href)="(https?:)?\/\//);
    for (const file of ['app.js', 'core.js', 'catalog.js', 'pages.js', 'app.css']) {
      const r = await api(`/ui/${file}`, { token: '' });
      expect(r.status, file).toBe(200);
      expect(r.text).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    }
    expect((await api('/ui/nope.js', { token: '' })).status).toBe(404);
    const root = await fetch(`${proxy.base}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/ui/');
  });

  test('the OpenAPI 3.1 document names every route', async () => {
    const doc = (await api('/api/openapi.json', { token: '' })).json;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers[0].url).toBe('/api/v1');
    for (const p of [
      '/servers',
      '/servers/{name}',
      '/tools',
      '/search',
      '/tools/{name}/call',
      '/prompts/{name}/get',
      '/resources/read',
      '/logs',
      '/config',
      '/config/validate',
    ]) {
      expect(doc.paths[p], p).toBeDefined();
    }
  });
});

describe('what the operator sees and does', () => {
  test('servers with state, era, restarts and the stderr tail', async () => {
    const { json } = await api('/api/v1/servers');
    expect(json.ready).toBe(true);
    expect(json.servers.map((s: any) => s.name)).toEqual(['alpha', 'beta']);
    const alpha = json.servers[0];
    expect(alpha).toMatchObject({ state: 'ready', breaker: 'closed', restarts: 0, protocolVersion: '2025-11-25' });
    expect(alpha.stderrTail.join('\n')).toContain('alpha: this goes to stderr');
    expect(Array.isArray(alpha.sparkline)).toBe(true);
  });

  test('discovery searches tools, prompts and resources by name and description', async () => {
    const { json } = await api('/api/v1/search?q=adds%20numbers');
    expect(json.tools.map((t: any) => t.name).sort()).toEqual(['alpha__add', 'beta__add']);
    expect(json.tools[0].server).toBeDefined();
    const onlyBeta = await api('/api/v1/tools?server=beta&q=echo');
    expect(onlyBeta.json.tools.map((t: any) => t.name)).toEqual(['beta__echo']);
  });

  test('a tool call, a prompt get and a resource read go through the aggregator', async () => {
    const call = await api('/api/v1/tools/alpha__add/call', { body: { arguments: { a: 2, b: 3 } } });
    expect(call.status).toBe(200);
    expect(call.json.structuredContent).toEqual({ sum: 5 });
    const prompts = (await api('/api/v1/prompts?server=alpha')).json.prompts;
    expect(prompts.length).toBeGreaterThan(0);
    const got = await api(`/api/v1/prompts/${encodeURIComponent(prompts[0].name)}/get`, {
      body: { arguments: Object.fromEntries((prompts[0].arguments ?? []).map((a: any) => [a.name, 'x'])) },
    });
    expect(got.status).toBe(200);
    expect(got.json.messages.length).toBeGreaterThan(0);
    const resources = (await api('/api/v1/resources?server=alpha')).json.resources.filter((r: any) => r.uri);
    const read = await api('/api/v1/resources/read', { body: { uri: resources[0].uri } });
    expect(read.status).toBe(200);
    expect(read.json.contents.length).toBeGreaterThan(0);
  });

  test('bad input is answered with a precise error and status', async () => {
    expect((await api('/api/v1/tools/nope__nope/call', { body: {} })).json.error.code).toBe('NOT_FOUND');
    const badArgs = await api('/api/v1/tools/alpha__add/call', { body: { arguments: [1] } });
    expect(badArgs.status).toBe(400);
    expect(badArgs.json.error.message).toMatch(/"arguments" must be a JSON object/);
    expect((await api('/api/v1/logs?level=loud')).status).toBe(400);
    expect((await api('/api/v1/servers', { method: 'POST', body: {} })).status).toBe(405);
    expect((await api('/api/v1/nothing')).status).toBe(404);
    const notJson = await fetch(`${proxy.base}/api/v1/resources/read`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: '{',
    });
    expect(notJson.status).toBe(400);
  });

  test('a streamed call reports progress, then its result', async () => {
    const evs = await events('/api/v1/tools/alpha__slow/call', (e) => e.some((x) => x.event === 'result'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ arguments: { ms: 300, steps: 3 } }),
    });
    expect(evs.filter((e) => e.event === 'progress').length).toBeGreaterThan(0);
    expect(evs.at(-1)?.event).toBe('result');
  });

  test('logs: recent lines and a live tail, filtered by server and level', async () => {
    const all = (await api('/api/v1/logs?server=beta')).json;
    expect(all.logs.length).toBeGreaterThan(0);
    expect(all.logs.every((l: any) => l.source === 'beta')).toBe(true);
    expect(all.sources).toEqual(expect.arrayContaining(['proxy', 'alpha', 'beta']));
    const warn = (await api('/api/v1/logs?level=warn')).json.logs;
    expect(warn.every((l: any) => ['warn', 'error', 'fatal'].includes(l.level))).toBe(true);
    const tail = events('/api/v1/logs?server=proxy&level=trace', (e) =>
      e.some((x) => x.raw.includes('/api/v1/tools/alpha__echo/call')),
    );
    await new Promise((r) => setTimeout(r, 200));
    await api('/api/v1/tools/alpha__echo/call', { body: { arguments: { text: 'tail me' } } });
    const seen = await tail;
    expect(seen.every((e) => e.data.source === 'proxy')).toBe(true);
  });

  test('config: validate an edit, add a server (live reload starts it), remove it', async () => {
    const bad = await api('/api/v1/config/validate', { body: { name: 'gamma', entry: { command: 42 } } });
    expect(bad.status).toBe(422);
    expect(bad.json.ok).toBe(false);
    expect(bad.json.message).toMatch(/nothing was written/);
    const entry = {
      command: NODE,
      args: [ECHO],
      env: { FIXTURE_NAME: 'gamma', API_KEY: 'literal-gamma-secret-123456' },
    };
    const ok = await api('/api/v1/config/validate', { body: { name: 'gamma', entry } });
    expect(ok.json).toMatchObject({ ok: true });
    const before = fs.readFileSync(config, 'utf8');
    const added = await api('/api/v1/servers/gamma', { method: 'PUT', body: { entry } });
    expect(added.json).toMatchObject({ ok: true });
    expect(added.json.message).toMatch(/added server "gamma"/);
    const written = fs.readFileSync(config, 'utf8');
    expect(written).not.toBe(before);
    // As `add` does: the literal secret went to the credentials store, the config names a variable.
    expect(written).not.toContain('literal-gamma-secret-123456');
    await waitFor(
      async () =>
        (await api('/api/v1/servers')).json.servers.some((s: any) => s.name === 'gamma' && s.state === 'ready'),
      'gamma started by the live reload',
      20_000,
    );
    const removed = await api('/api/v1/servers/gamma', { method: 'DELETE' });
    expect(removed.json).toMatchObject({ ok: true });
    await waitFor(
      async () => !(await api('/api/v1/servers')).json.servers.some((s: any) => s.name === 'gamma'),
      'gamma gone',
      20_000,
    );
  }, 60_000);
});

describe('policy', () => {
  test('a key sees and uses only what its rules allow', async () => {
    const token = keys.alice;
    expect((await api('/api/v1/me', { token })).json).toMatchObject({ id: 'key:alice', admin: false });
    const tools = (await api('/api/v1/tools', { token })).json.tools.map((t: any) => t.name);
    expect(tools.length).toBeGreaterThan(0);
    expect(tools.every((n: string) => n.startsWith('alpha__'))).toBe(true);
    expect(tools).not.toContain('alpha__add');
    const search = (await api('/api/v1/search?q=echo', { token })).json;
    expect(search.tools.map((t: any) => t.name)).toEqual(['alpha__echo']);
    expect((await api('/api/v1/servers', { token })).json.servers.map((s: any) => s.name)).toEqual(['alpha']);
    // Hidden is answered as unknown.
    const denied = await api('/api/v1/tools/alpha__add/call', { token, body: { arguments: { a: 1, b: 1 } } });
    expect(denied.status).toBe(404);
    expect((await api('/api/v1/tools/beta__echo/call', { token, body: { arguments: { text: 'x' } } })).status).toBe(
      404,
    );
    expect((await api('/api/v1/tools/alpha__echo/call', { token, body: { arguments: { text: 'hi' } } })).status).toBe(
      200,
    );
    // Logs only of servers it may see; never the proxy's own.
    const sources = new Set((await api('/api/v1/logs', { token })).json.logs.map((l: any) => l.source));
    expect([...sources]).toEqual(['alpha']);
  });

  test('config and server changes need an admin', async () => {
    const token = keys.alice;
    expect((await api('/api/v1/config', { token })).status).toBe(403);
    expect((await api('/api/v1/config/validate', { token, body: { name: 'x', entry: {} } })).status).toBe(403);
    const put = await api('/api/v1/servers/x', { token, method: 'PUT', body: { entry: { command: 'node' } } });
    expect(put.status).toBe(403);
    expect(put.json.error.message).toMatch(/role "admin"/);
    expect((await api('/api/v1/servers/alpha', { token, method: 'DELETE' })).status).toBe(403);
    expect((await api('/api/v1/config', { token: keys.root })).status).toBe(200);
    expect((await api('/api/v1/me', { token: keys.root })).json.admin).toBe(true);
  });
});

describe('secrets', () => {
  test('a registered secret fed through every route never comes back unmasked', async () => {
    const bodies: string[] = [];
    const call = await api('/api/v1/tools/alpha__echo/call', { body: { arguments: { text: `token is ${SECRET}` } } });
    expect(call.status).toBe(200);
    bodies.push(call.text);
    const streamed = await events('/api/v1/tools/beta__echo/call', (e) => e.some((x) => x.event === 'result'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ arguments: { text: SECRET } }),
    });
    bodies.push(streamed.map((e) => e.raw).join('\n'));
    for (const p of [
      '/api/v1/servers',
      '/api/v1/tools',
      `/api/v1/search?q=${SECRET}`,
      '/api/v1/logs?level=trace',
      '/api/v1/config',
    ]) {
      bodies.push((await api(p)).text);
    }
    bodies.push((await api(`/api/v1/tools/${SECRET}/call`, { body: {} })).text);
    bodies.push((await api('/api/v1/resources/read', { body: { uri: `alpha+test://${SECRET}` } })).text);
    bodies.push((await api('/api/v1/config/validate', { body: { name: 'z', entry: { command: SECRET } } })).text);
    bodies.push((await events('/api/v1/logs?level=trace', (e) => e.length > 5)).map((e) => e.raw).join('\n'));
    // The secret did go through: masked, its shape shows.
    expect(bodies[0]).toContain('sk****4a');
    for (const b of bodies) expect(b).not.toContain(SECRET);
    expect(bodies.join('\n')).toContain('ECHO_SECRET');
  }, 30_000);
});
