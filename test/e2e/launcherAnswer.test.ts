// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references in configs are part of what is tested
/**
 * A stdio client's `initialize` answered by the launcher, before the core has loaded, with what the last
 * start of the same config remembered (src/cli/run/launcherAnswer.ts, rememberedOffer.ts): the same
 * answer the core gives, the session served as usual after it, instructions that changed answered from
 * the next start on, and the core answering whenever the answer might come out differently. Real
 * bundle, real servers, a raw line client (stdout is checked to be nothing but JSON-RPC).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { ensureBuilt } from '../helpers/build.js';
import { tmpDir } from '../helpers/files.js';
import { FAST_PROXY } from '../helpers/harness.js';
import { BUNDLE, ECHO, FIXTURES, NODE } from '../helpers/paths.js';
import { alive, descendantsOf } from '../helpers/processes.js';
import { until, waitFor } from '../helpers/wait.js';

interface Started {
  child: ChildProcess;
  /** Sends a request; resolves with its response. */
  request(method: string, params?: unknown): Promise<Record<string, any>>;
  /** The start-up marks (MCP_PROXY_TRACE_STARTUP), in order. */
  marks(): string[];
  stderr(): string;
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

const running = new Set<Started>();
afterEach(async () => {
  await Promise.all([...running].map((s) => s.stop()));
});

function start(configPath: string, env: Record<string, string>): Started {
  ensureBuilt();
  const child = spawn(NODE, [BUNDLE, 'run', '--config', configPath, '--no-watch'], {
    env: { PATH: process.env.PATH ?? '', HOME: path.dirname(configPath), MCP_PROXY_TRACE_STARTUP: '1', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let id = 0;
  const pending = new Map<number, (m: Record<string, any>) => void>();
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString('utf8');
    for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      const m = JSON.parse(line); // anything but JSON-RPC on stdout fails the test here
      if (m.id !== undefined && pending.has(m.id)) pending.get(m.id)!(m);
    }
  });
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const s: Started = {
    child,
    request(method, params) {
      const n = ++id;
      return new Promise((resolve) => {
        pending.set(n, resolve);
        child.stdin!.write(`${JSON.stringify({ jsonrpc: '2.0', id: n, method, params })}\n`);
      });
    },
    marks: () => [...err.matchAll(/^mcp-proxy start-up: [\d.]+ ms \(cpu [\d.]+ ms\) (.*)$/gm)].map((m) => m[1]),
    stderr: () => err,
    exited,
    async stop() {
      running.delete(s);
      if (child.exitCode === null && child.signalCode === null) child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  running.add(s);
  return s;
}

const INIT = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'launcher-test', version: '1' } };

/** Starts, initializes, lists the tools (which waits for the server) and calls one. */
async function session(configPath: string, env: Record<string, string>) {
  const s = start(configPath, env);
  const init = await s.request('initialize', INIT);
  s.child.stdin!.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
  const tools = (await s.request('tools/list')).result.tools.map((t: { name: string }) => t.name);
  const call = await s.request('tools/call', { name: 'e__echo', arguments: { text: 'hi' } });
  return { s, init: init.result, tools, call: call.result?.content?.[0]?.text };
}

const ANSWERED = 'stdio: first message read, initialize answered early';
const CORE = /^core (read|decompressed)/;

/** Whether the launcher answered: the answer's mark comes before the core's source was even read. */
async function answeredByLauncher(s: Started): Promise<boolean> {
  // The mark follows the answer on stdout, and the core loads after it.
  const both = () => s.marks().some((m) => CORE.test(m)) && s.marks().includes(ANSWERED);
  await waitFor(() => both() || undefined, 'the answer and the core to load');
  const marks = s.marks();
  const answered = marks.indexOf(ANSWERED);
  return answered < marks.findIndex((m) => CORE.test(m));
}

/** A config (given the server's instructions file, holding `text`) and a cache folder of its own. */
function setup(config: (instructionsFile: string) => unknown, text = 'X.') {
  const dir = tmpDir('mcp-proxy-launcher-answer-');
  const instructions = path.join(dir, 'instructions.txt');
  fs.writeFileSync(instructions, text);
  const configPath = path.join(dir, 'mcp-proxy.json');
  fs.writeFileSync(configPath, JSON.stringify(config(instructions)));
  const cacheDir = path.join(dir, 'cache');
  const env = { MCP_PROXY_CACHE_DIR: cacheDir };
  return { dir, instructions, configPath, cacheDir, env, offers: path.join(cacheDir, 'offers') };
}

/** One start that only initializes (and so keeps its answer), then stops. */
async function initializeOnce(configPath: string, env: Record<string, string>): Promise<void> {
  const s = start(configPath, env);
  await s.request('initialize', INIT);
  await s.stop();
}

const echo = (instructions: string, extra: Record<string, unknown> = {}) => ({
  command: NODE,
  args: [ECHO],
  env: { FIXTURE_INSTRUCTIONS_FILE: instructions },
  ...extra,
});

const offerText = (dir: string) =>
  fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), 'utf8')) : [];

describe('initialize answered by the launcher', () => {
  test('the next start answers at once with the core’s answer, serves the session, and follows new instructions', {
    timeout: 120_000,
  }, async () => {
    const t = setup((file) => ({ proxy: { name: 'team-proxy' }, mcpServers: { e: echo(file) } }), 'Instructions A.');
    const { env } = t;

    // First start: nothing remembered, the core answers; the catalog written once the server is up
    // brings its instructions into the remembered answer.
    const first = await session(t.configPath, env);
    expect(await answeredByLauncher(first.s)).toBe(false);
    expect(first.init.serverInfo.name).toBe('team-proxy');
    await until(() => offerText(t.offers).some((x) => x.includes('Instructions A.')), 15_000);
    await first.s.stop();

    // What the core answers from this cache (the remembered answer moved away for a moment).
    fs.renameSync(t.offers, `${t.offers}.away`);
    const core = start(t.configPath, env);
    const coreInit = (await core.request('initialize', INIT)).result;
    expect(await answeredByLauncher(core)).toBe(false);
    await core.stop();
    fs.rmSync(t.offers, { recursive: true, force: true });
    fs.renameSync(`${t.offers}.away`, t.offers);
    expect(coreInit.instructions).toBe('## e\nInstructions A.');

    // Second start: the launcher answers, exactly as the core did, and the session goes on as usual.
    fs.writeFileSync(t.instructions, 'Instructions B.');
    const second = await session(t.configPath, env);
    expect(await answeredByLauncher(second.s)).toBe(true);
    expect(second.init).toEqual(coreInit);
    expect(second.tools).toContain('e__echo');
    expect(second.call).toBe('hi');
    // The server now says B: the remembered answer follows once its catalog is written.
    await until(() => offerText(t.offers).some((x) => x.includes('Instructions B.')), 15_000);
    expect(await second.s.stop()).toBe(0);

    const third = start(t.configPath, env);
    const thirdInit = (await third.request('initialize', INIT)).result;
    expect(await answeredByLauncher(third)).toBe(true);
    expect(thirdInit.instructions).toBe('## e\nInstructions B.');
    expect(await third.stop()).toBe(0);
  });

  test('a changed config, or one whose answer takes a variable, is answered by the core', {
    timeout: 120_000,
  }, async () => {
    const t = setup((file) => ({ proxy: { name: 'one' }, mcpServers: { e: echo(file) } }));
    const { env } = t;
    await initializeOnce(t.configPath, env);
    expect(offerText(t.offers)).toHaveLength(1);

    // A new name: the remembered answer is not this config's.
    fs.writeFileSync(t.configPath, JSON.stringify({ proxy: { name: 'two' }, mcpServers: { e: echo(t.instructions) } }));
    const b = start(t.configPath, env);
    expect((await b.request('initialize', INIT)).result.serverInfo.name).toBe('two');
    expect(await answeredByLauncher(b)).toBe(false);
    await b.stop();

    // A description from a variable could differ next time: nothing is remembered for it.
    const described = { proxy: { name: 'two' }, mcpServers: { e: echo(t.instructions, { description: '${DESC}' }) } };
    fs.writeFileSync(t.configPath, JSON.stringify(described));
    for (const desc of ['first', 'second']) {
      const c = start(t.configPath, { ...env, DESC: desc });
      await c.request('initialize', INIT);
      expect(await answeredByLauncher(c)).toBe(false);
      await c.stop();
    }
    expect(offerText(t.offers)).toEqual([]);
  });

  test('a first message the early reader leaves alone reaches the core as it came', { timeout: 60_000 }, async () => {
    const t = setup((file) => ({ mcpServers: { e: echo(file) } }));
    const { env } = t;
    await initializeOnce(t.configPath, env);
    // clientInfo with icons: a shape only the SDK's schema decides on.
    const b = start(t.configPath, env);
    const withIcons = { ...INIT, clientInfo: { ...INIT.clientInfo, icons: [] } };
    const init = await b.request('initialize', withIcons);
    expect(init.result.protocolVersion).toBe('2025-11-25');
    expect(b.marks()).not.toContain(ANSWERED);
    b.child.stdin!.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
    expect((await b.request('tools/list')).result.tools.map((x: { name: string }) => x.name)).toContain('e__echo');
    expect(await b.stop()).toBe(0);
  });

  test('a variable gone by the next start: answered early all the same, then the usual error and exit code', {
    timeout: 60_000,
  }, async () => {
    const t = setup((file) => ({ mcpServers: { e: { ...echo(file), env: { TOKEN: '${TOKEN}' } } } }));
    await initializeOnce(t.configPath, { ...t.env, TOKEN: 'present' });
    const b = start(t.configPath, t.env);
    await b.request('initialize', INIT);
    expect(await answeredByLauncher(b)).toBe(true);
    expect(await b.exited).toBe(3); // a credential is missing: as without the early answer
    expect(b.stderr()).toMatch(/variable that is not set: TOKEN/);
    expect(b.stderr()).not.toMatch(/\n\s+at /); // no stack trace for a user's mistake
  });

  test('answered early beside a server that hangs at start; stdin closed at once still stops everything within the grace', {
    timeout: 60_000,
  }, async () => {
    const hung = path.join(tmpDir(), 'hanging-pids');
    const hanging = { command: NODE, args: [path.join(FIXTURES, 'hanging-server.mjs')] };
    const t = setup((file) => ({
      mcpServers: { quick: echo(file), hanging: { ...hanging, env: { HANG_IGNORE_EOF: '1', HANG_START_LOG: hung } } },
      proxy: FAST_PROXY,
    }));
    await initializeOnce(t.configPath, t.env);
    const s = start(t.configPath, t.env);
    expect((await s.request('initialize', INIT)).result.serverInfo.name).toBe('mcp-proxy-server');
    expect(await answeredByLauncher(s)).toBe(true);
    // The client goes away at once, while the hanging server is still being connected to.
    const tree = descendantsOf(s.child.pid!);
    const t0 = Date.now();
    s.child.stdin!.end();
    expect(await s.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(FAST_PROXY.timeouts.shutdownGrace + 3000);
    // Every process it had, the hanging server (which ignores end-of-input) included, is gone.
    const pids = [
      ...tree,
      ...(fs.existsSync(hung) ? fs.readFileSync(hung, 'utf8').split('\n').filter(Boolean).map(Number) : []),
    ];
    expect(await until(() => pids.every((pid) => !alive(pid)), 5000)).toBe(true);
  });

  test('with the cache off nothing is remembered', { timeout: 60_000 }, async () => {
    const t = setup((file) => ({ mcpServers: { e: echo(file) } }));
    for (let i = 0; i < 2; i++) {
      const s = start(t.configPath, { MCP_PROXY_CACHE_DIR: 'off' });
      await s.request('initialize', INIT);
      expect(await answeredByLauncher(s)).toBe(false);
      await s.stop();
    }
    // (The core's own V8 code cache is another setting, MCP_PROXY_CODE_CACHE.)
    expect(fs.existsSync(path.join(t.dir, '.cache', 'mcp-proxy', 'offers'))).toBe(false);
  });
});
