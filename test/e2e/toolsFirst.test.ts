/**
 * Start-up lists tools first: every server is asked for its tools, and only once each has had its first
 * attempt (or the startup window passed) for its prompts and resources. A client's first listings of
 * any kind are still whole; a server whose prompts listing fails keeps its tools; a catalog reaches the
 * disk cache only whole. Real proxy, real servers.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { mask } from '../../src/observability/redact.js';
import { tmpDir } from '../helpers/files.js';
import { FAST_PROXY, fixture, startProxy, stopAll } from '../helpers/harness.js';
import { ECHO } from '../helpers/paths.js';
import { until } from '../helpers/wait.js';

afterEach(stopAll);

/** A counted echo server that writes each message it reads to `methods`, tagged with its name. */
function logged(name: string, methods: string, starts: string) {
  return fixture('counted-server.mjs', {
    START_LOG: starts,
    COUNTED_TARGET: ECHO,
    METHOD_LOG: methods,
    METHOD_TAG: name,
  });
}

/**
 * A raw server declaring tools and prompts that lists its tools and refuses prompts/list (naming its
 * $REFUSER_KEY in the error, as servers echo a key they were given), or with PROMPTS=hang never answers it.
 */
const REFUSES_PROMPTS = `
const rl = require('node:readline').createInterface({ input: process.stdin });
const send = (m) => process.stdout.write(JSON.stringify({ jsonrpc: '2.0', ...m }) + '\\n');
rl.on('line', (line) => {
  const m = JSON.parse(line);
  if (m.id === undefined) return;
  if (m.method === 'initialize')
    send({ id: m.id, result: { protocolVersion: m.params.protocolVersion, capabilities: { tools: {}, prompts: {} },
      serverInfo: { name: 'refuser', version: '1' } } });
  else if (m.method === 'tools/list') send({ id: m.id, result: { tools: [{ name: 'only', inputSchema: { type: 'object' } }] } });
  else if (process.env.PROMPTS !== 'hang')
    send({ id: m.id, error: { code: -32603, message: 'prompts are broken here: key ' + process.env.REFUSER_KEY } });
});`;

/** A key the refusing server is given and echoes in its error. */
const SECRET = 'sk-live-refuser-0123456789abcdef';

/** The servers a listing has entries of (tools and prompts by name, resources by URI). */
const names = (list: { name?: string; uri?: string; uriTemplate?: string }[]) =>
  new Set(list.map((e) => String(e.uri ?? e.uriTemplate ?? e.name).split(/__|\+|:\/\//)[0]));

describe('start-up lists tools first', () => {
  test('every server is asked for its tools before any for its prompts or resources; the first listings are whole', async () => {
    const dir = tmpDir();
    const methods = path.join(dir, 'methods');
    const starts = path.join(dir, 'starts');
    fs.writeFileSync(methods, '');
    fs.writeFileSync(starts, '');
    const servers = ['s0', 's1', 's2', 's3', 's4'];
    const p = await startProxy({
      config: {
        mcpServers: Object.fromEntries(servers.map((s) => [s, logged(s, methods, starts)])),
        proxy: { ...FAST_PROXY, timeouts: { ...FAST_PROXY.timeouts, connect: 20_000, startup: 20_000 } },
      },
      env: { MCP_PROXY_CACHE_DIR: 'off' },
      noWaitForUpstreams: true,
    });
    // Asked for at once, all kinds together, as desktop clients do.
    const [tools, prompts, resources, templates] = await Promise.all([
      p.client.listTools(),
      p.client.listPrompts(),
      p.client.listResources(),
      p.client.listResourceTemplates(),
    ]);
    expect(names(tools.tools)).toEqual(new Set(servers));
    expect(names(prompts.prompts)).toEqual(new Set(servers));
    expect(names(resources.resources)).toEqual(new Set(servers));
    expect(names(templates.resourceTemplates)).toEqual(new Set(servers));
    const got = await p.client.getPrompt({ name: 's3__greet', arguments: { who: 'you' } });
    expect(JSON.stringify(got.messages)).toContain('Hello you from');

    const lines = fs.readFileSync(methods, 'utf8').trim().split('\n');
    const lastTools = Math.max(...lines.flatMap((l, i) => (l.endsWith(' tools/list') ? [i] : [])));
    const firstRest = lines.findIndex((l) => /(prompts|resources)\//.test(l));
    expect(firstRest).toBeGreaterThan(lastTools);
    // Each list asked for once per server: the rest is listed, not everything again.
    for (const s of servers) {
      for (const m of ['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list']) {
        expect(
          lines.filter((l) => l === `${s} ${m}`),
          `${s} ${m}`,
        ).toHaveLength(1);
      }
    }
    expect(fs.readFileSync(starts, 'utf8').trim().split('\n')).toHaveLength(servers.length);
  });

  test('a prompt or resource asked for by name before any listing waits for the second round, then works', async () => {
    const dir = tmpDir();
    const starts = path.join(dir, 'starts');
    fs.writeFileSync(starts, '');
    const servers = ['s0', 's1', 's2'];
    const p = await startProxy({
      config: {
        mcpServers: Object.fromEntries(servers.map((s) => [s, logged(s, path.join(dir, 'methods'), starts)])),
        proxy: { ...FAST_PROXY, timeouts: { ...FAST_PROXY.timeouts, connect: 20_000, startup: 20_000 } },
      },
      env: { MCP_PROXY_CACHE_DIR: 'off' },
      noWaitForUpstreams: true,
    });
    const [prompt, read] = await Promise.all([
      p.client.getPrompt({ name: 's2__greet', arguments: { who: 'early' } }),
      p.client.readResource({ uri: 's1+echo://readme' }),
    ]);
    expect(JSON.stringify(prompt.messages)).toContain('Hello early from');
    expect(JSON.stringify(read.contents)).toContain('readme of');
  });

  test('a hanging server holds the prompts of the others back no longer than the startup window', async () => {
    const p = await startProxy({
      config: {
        mcpServers: {
          quick: fixture('echo-server.mjs', { FIXTURE_NAME: 'quick' }),
          stuck: fixture('hanging-server.mjs'),
        },
        proxy: { ...FAST_PROXY, timeouts: { ...FAST_PROXY.timeouts, connect: 60_000, startup: 4000 } },
      },
      env: { MCP_PROXY_CACHE_DIR: 'off' },
      noWaitForUpstreams: true,
    });
    const prompts = await p.client.listPrompts();
    expect(prompts.prompts.map((x) => x.name)).toEqual(['quick__greet']);
    const got = await p.client.getPrompt({ name: 'quick__greet', arguments: { who: 'me' } });
    expect(JSON.stringify(got.messages)).toContain('Hello me from quick');
    // Still starting: the rest was listed after the window, not after its connect timeout.
    expect(p.stderr()).not.toMatch(/upstreams ready/);
  });

  test('a shutdown while a prompts listing hangs ends within the grace, and no server process is left', async () => {
    const p = await startProxy({
      config: {
        mcpServers: {
          quick: fixture('echo-server.mjs', { FIXTURE_NAME: 'quick' }),
          stuck: { command: process.execPath, args: ['-e', REFUSES_PROMPTS], env: { PROMPTS: 'hang' } },
        },
        proxy: FAST_PROXY,
      },
      env: { MCP_PROXY_CACHE_DIR: 'off' },
      noWaitForUpstreams: true,
    });
    expect((await p.client.listTools()).tools.map((t) => t.name)).toContain('stuck__only');
    await p.waitForStderr(/"component":"upstream:quick".*"msg":"prompts and resources listed"/);
    const started = Date.now();
    const { leftovers } = await p.stop('stdin');
    // The shutdown grace (1 s here) and the 300 ms the rest listings get; far from the request timeout.
    expect(Date.now() - started).toBeLessThan(FAST_PROXY.timeouts.shutdownGrace + 2000);
    expect(leftovers).toEqual([]);
  });

  test('at the info level a start logs one line per server, not two', async () => {
    const names = ['a', 'b', 'c'];
    const p = await startProxy({
      config: {
        mcpServers: Object.fromEntries(names.map((n) => [n, fixture('echo-server.mjs', { FIXTURE_NAME: n })])),
        proxy: FAST_PROXY,
      },
      env: { MCP_PROXY_CACHE_DIR: 'off', MCP_PROXY_LOG_LEVEL: 'info' },
    });
    // Every server's prompts are listed by now: the first prompts/list waits for them.
    expect((await p.client.listPrompts()).prompts.map((x) => x.name)).toEqual(
      expect.arrayContaining(names.map((n) => `${n}__greet`)),
    );
    await p.stop();
    const lines = p.stderr().split('\n');
    for (const n of names) {
      const own = lines.filter((l) => l.includes(`"component":"upstream:${n}"`));
      expect(
        own.filter((l) => l.includes('"msg":"connected"')),
        n,
      ).toHaveLength(1);
      expect(
        own.filter((l) => l.includes('prompts and resources listed')),
        n,
      ).toEqual([]);
    }
  });

  test('a server whose prompts listing fails keeps its tools, is named in a warning (its key masked), and is not cached', async () => {
    const cache = tmpDir();
    const p = await startProxy({
      config: {
        mcpServers: {
          quick: fixture('echo-server.mjs', { FIXTURE_NAME: 'quick' }),
          refuser: { command: process.execPath, args: ['-e', REFUSES_PROMPTS], env: { REFUSER_KEY: SECRET } },
        },
        proxy: FAST_PROXY,
      },
      env: { MCP_PROXY_CACHE_DIR: cache },
      noWaitForUpstreams: true,
    });
    const tools = await p.client.listTools();
    expect(tools.tools.map((t) => t.name)).toContain('refuser__only');
    const prompts = await p.client.listPrompts();
    expect(prompts.prompts.map((x) => x.name)).toEqual(['quick__greet']);
    // The key the server echoed is masked in the warning, as everywhere else.
    await p.waitForStderr(/"component":"upstream:refuser".*could not list its prompts and resources/);
    expect(p.stderr()).toContain(
      `"component":"upstream:refuser","err":"prompts are broken here: key ${mask(SECRET)}","msg":"could not list its prompts and resources`,
    );
    expect(p.stderr()).not.toContain(SECRET);
    const call = await p.callTool('quick__echo', { text: 'still fine' });
    expect(call.text).toBe('still fine');
    await p.stop();
    // The catalogs (not the initialize answer kept in offers/, nor the servers' compile cache).
    const cached = () =>
      fs
        .readdirSync(cache, { withFileTypes: true })
        .filter((f) => f.isFile() && f.name.endsWith('.json') && !f.name.startsWith('.'))
        .map((f) => JSON.parse(fs.readFileSync(path.join(cache, f.name), 'utf8')));
    expect(await until(() => cached().length > 0, 5000)).toBe(true);
    const entries = cached();
    expect(entries.map((e) => e.server)).toEqual(['quick']);
    // Whole: its prompts and resources too, though they were listed after its tools.
    expect(entries[0].catalog.prompts.map((x: { name: string }) => x.name)).toEqual(['greet']);
    expect(entries[0].catalog.resourceTemplates).toHaveLength(1);
  });
});
