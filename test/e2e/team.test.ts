/**
 * The team gateway through the BUILT proxy (`run --transport http`): named API keys made with
 * `mcp-proxy keys`, an OIDC provider's access tokens, and a `proxy.access` policy. Two keys with different
 * policies see different tools, prompts and resources and cannot use each other's, over both protocol eras
 * and in dynamic mode; a profile narrows a key; a revoked key stops working without a restart; a 401 names
 * the RFC 9728 metadata document, which is served.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureBuilt } from '../helpers/build.js';
import { tempDir, writeConfig } from '../helpers/files.js';
import { type HttpProxy, startHttpProxy } from '../helpers/httpProxy.js';
import { startOidcProvider, type TestOidcProvider } from '../helpers/oidcProvider.js';
import { BUNDLE, ECHO, NODE } from '../helpers/paths.js';
import { connectProxy } from '../helpers/proxy.js';
import { waitFor } from '../helpers/wait.js';

type Era = '2025-11-25' | '2026-07-28';
const ERAS: Era[] = ['2025-11-25', '2026-07-28'];

const tmp = tempDir('mcp-proxy-team-');
const keysFile = path.join(tmp.dir, 'keys.json');
const env = { PATH: process.env.PATH ?? '', HOME: tmp.dir, MCP_PROXY_LOG_LEVEL: 'warn' };
const keys: Record<string, string> = {};
let idp: TestOidcProvider;
let proxy: HttpProxy;
let dynamic: HttpProxy;
let config = '';

function cli(args: string[]): string {
  return execFileSync(NODE, [BUNDLE, ...args, '--keys-file', keysFile], { env, encoding: 'utf8' }).trim();
}

beforeAll(async () => {
  ensureBuilt();
  idp = await startOidcProvider({ 'alice-cli': ['dev'] });
  keys.alice = cli(['keys', 'create', 'alice', '--role', 'dev']);
  keys.bob = cli(['keys', 'create', 'bob', '--role', 'ops', '--expires', '30d']);
  keys.carol = cli(['keys', 'create', 'carol', '--role', 'dev', '--profile', 'small']);
  const fixture = (name: string) => ({ command: NODE, args: [ECHO], env: { FIXTURE_NAME: name } });
  config = writeConfig(tmp.dir, {
    mcpServers: { alpha: fixture('alpha'), beta: fixture('beta') },
    proxy: {
      auth: {
        keysFile: 'keys.json',
        oidc: { issuer: idp.issuer, audience: 'https://mcp.example.com/mcp' },
        resource: 'https://mcp.example.com/mcp',
      },
      access: {
        rules: [
          { who: { roles: ['dev'] }, allow: { servers: ['alpha'] } },
          { who: { roles: ['ops'] }, allow: { servers: ['beta'] }, deny: { tools: ['beta__add'] } },
        ],
        profiles: { small: { tools: ['alpha__echo'] } },
      },
    },
  });
  [proxy, dynamic] = await Promise.all([
    startHttpProxy(['--config', config, '--no-watch'], { env }),
    startHttpProxy(['--config', config, '--no-watch', '--tools-mode', 'dynamic'], { env }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([proxy?.stop(), dynamic?.stop(), idp?.close()]);
  tmp.cleanup();
});

interface Conn {
  tools(): Promise<string[]>;
  call(name: string, args?: Record<string, unknown>): Promise<{ text?: string; error?: string; isError?: boolean }>;
  prompts(): Promise<string[]>;
  resources(): Promise<string[]>;
  read(uri: string): Promise<{ text?: string; error?: string }>;
  /** tools/list_changed notifications received. */
  listChanged(): number;
  close(): Promise<void>;
}

async function connect(era: Era, token: string, url = proxy.url): Promise<Conn> {
  const requestInit = { headers: { authorization: `Bearer ${token}` } };
  const client =
    era === '2025-11-25'
      ? new V1Client({ name: 'team', version: '1' })
      : new Client({ name: 'team', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  const transport =
    era === '2025-11-25'
      ? new V1Transport(new URL(url), { requestInit })
      : new StreamableHTTPClientTransport(new URL(url), { requestInit });
  const c = client as any;
  let changed = 0;
  if (era === '2025-11-25') {
    const { ToolListChangedNotificationSchema } = await import('@modelcontextprotocol/sdk/types.js');
    c.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed++;
    });
  }
  await c.connect(transport);
  const attempt = async <T>(fn: () => Promise<T>) => {
    try {
      return await fn();
    } catch (e) {
      return { error: (e as Error).message } as T;
    }
  };
  return {
    tools: async () => (await c.listTools()).tools.map((t: { name: string }) => t.name).sort(),
    call: (name, args = {}) =>
      attempt(async () => {
        const r = await c.callTool({ name, arguments: args });
        return { text: r.content?.[0]?.text, isError: r.isError };
      }),
    prompts: async () => (await c.listPrompts()).prompts.map((p: { name: string }) => p.name).sort(),
    resources: async () => (await c.listResources()).resources.map((r: { uri: string }) => r.uri).sort(),
    read: (uri) => attempt(async () => ({ text: (await c.readResource({ uri })).contents[0].text })),
    listChanged: () => changed,
    close: () => c.close(),
  };
}

const ALPHA_TOOLS = ['alpha__add', 'alpha__echo'];

describe('team gateway (built bundle)', () => {
  test('no credential: 401 naming the RFC 9728 metadata, which is served without one', async () => {
    const r = await fetch(proxy.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(r.status).toBe(401);
    const metadata = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp';
    expect(r.headers.get('www-authenticate')).toBe(`Bearer realm="mcp-proxy", resource_metadata="${metadata}"`);
    const wrong = await fetch(proxy.url, { method: 'POST', headers: { authorization: 'Bearer mcpk_nope' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const doc = await fetch(`${proxy.base}/.well-known/oauth-protected-resource/mcp`);
    expect(doc.status).toBe(200);
    expect(await doc.json()).toMatchObject({
      resource: 'https://mcp.example.com/mcp',
      authorization_servers: [idp.issuer],
      bearer_methods_supported: ['header'],
    });
  });

  for (const era of ERAS) {
    test(`${era}: two keys see different lists and cannot use each other's things`, async () => {
      const alice = await connect(era, keys.alice);
      const bob = await connect(era, keys.bob);
      try {
        const aliceTools = await alice.tools();
        expect(aliceTools.filter((t) => t.startsWith('alpha__')).length).toBeGreaterThan(2);
        expect(aliceTools.every((t) => t.startsWith('alpha__'))).toBe(true);
        const bobTools = await bob.tools();
        expect(bobTools.every((t) => t.startsWith('beta__'))).toBe(true);
        expect(bobTools).toContain('beta__echo');
        expect(bobTools).not.toContain('beta__add');
        expect(await alice.prompts()).toEqual(['alpha__greet']);
        expect(await bob.resources()).toEqual(['beta+beta://readme']);

        expect((await alice.call('alpha__echo', { text: 'hi' })).text).toBe('hi');
        expect((await bob.call('beta__echo', { text: 'yo' })).text).toBe('yo');
        // Refused as unknown; the error lists only what the caller may see.
        for (const [who, name, visible] of [
          [alice, 'beta__echo', aliceTools],
          [bob, 'alpha__echo', bobTools],
          [bob, 'beta__add', bobTools],
        ] as const) {
          const r = await who.call(name, { text: 'x', a: 1, b: 2 });
          expect(r.error, name).toMatch(/Unknown tool: "[^"]+"\. Available: /);
          const available = r.error!.split('Available: ')[1].split(', ');
          expect(available.sort()).toEqual([...visible].sort());
        }
        expect((await alice.read('beta+beta://readme')).error).toMatch(/Unknown resource URI/);
        expect((await bob.read('beta+beta://readme')).text).toBe('readme of beta');
      } finally {
        await Promise.all([alice.close(), bob.close()]);
      }
    });

    test(`${era}: a profile narrows (bound to a key, or chosen with ?profile=); an unknown one is refused`, async () => {
      const carol = await connect(era, keys.carol);
      const chosen = await connect(era, keys.alice, `${proxy.url}?profile=small`);
      try {
        expect(await carol.tools()).toEqual(['alpha__echo']);
        expect(await chosen.tools()).toEqual(['alpha__echo']);
        expect((await carol.call('alpha__add', { a: 1, b: 2 })).error).toMatch(/Unknown tool/);
      } finally {
        await Promise.all([carol.close(), chosen.close()]);
      }
      const r = await fetch(`${proxy.url}?profile=nope`, {
        method: 'POST',
        headers: { authorization: `Bearer ${keys.alice}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(r.status).toBe(400);
      expect((await r.json()).error.message).toBe('Bad Request: unknown profile "nope"; profiles: small');
    });

    test(`${era}: dynamic mode shows each key only its groups and tools`, async () => {
      const alice = await connect(era, keys.alice, dynamic.url);
      const bob = await connect(era, keys.bob, dynamic.url);
      try {
        const groups = async (c: Conn) => {
          const r = await c.call('get_dynamic_tools', { group: 'beta' });
          return r;
        };
        expect((await groups(alice)).isError).toBe(true);
        expect((await groups(alice)).text).not.toMatch(/beta \(|state/);
        const bobTools = JSON.parse((await groups(bob)).text!).map((t: { name: string }) => t.name);
        expect(bobTools).toContain('echo');
        expect(bobTools).not.toContain('add');
        const viaAlice = await alice.call('call_dynamic_tool', {
          group: 'beta',
          name: 'echo',
          arguments: { text: 'x' },
        });
        expect(viaAlice.isError).toBe(true);
        expect(viaAlice.text).toContain('Unknown group "beta"');
        const add = await bob.call('call_dynamic_tool', { group: 'beta', name: 'add', arguments: { a: 1, b: 2 } });
        expect(add.isError).toBe(true);
        const ok = await alice.call('call_dynamic_tool', { group: 'alpha', name: 'add', arguments: { a: 1, b: 2 } });
        expect(ok.text).toBe('3');
      } finally {
        await Promise.all([alice.close(), bob.close()]);
      }
    });
  }

  test('an OIDC access token from the provider: its roles claim selects the rules', async () => {
    const token = await idp.token({ resource: 'https://mcp.example.com/mcp' });
    const c = await connect('2026-07-28', token);
    try {
      expect((await c.tools()).filter((t) => ALPHA_TOOLS.includes(t))).toEqual(ALPHA_TOOLS);
      expect((await c.tools()).some((t) => t.startsWith('beta__'))).toBe(false);
    } finally {
      await c.close();
    }
    const elsewhere = await idp.token({ resource: 'https://other.example.com/mcp' });
    const r = await fetch(`${proxy.base}/ready`, { headers: { authorization: `Bearer ${elsewhere}` } });
    expect(r.status).toBe(401);
  });

  test('keys list shows names and roles, never a key; a revoked key stops working without a restart', async () => {
    const listed = cli(['keys', 'list']);
    expect(listed).toContain('bob  roles: ops');
    expect(listed).not.toContain(keys.bob);
    const ready = () => fetch(`${proxy.base}/ready`, { headers: { authorization: `Bearer ${keys.bob}` } });
    expect((await ready()).status).toBe(200);
    cli(['keys', 'revoke', 'bob']);
    await waitFor(async () => (await ready()).status === 401, 'the revoked key to be refused');
    expect(proxy.child.exitCode).toBeNull();
  });

  test('stdio: rules do not apply to the local user, `run --profile` does; an unknown profile exits 2', async () => {
    const names = async (args: string[]) => {
      const s = await connectProxy('v2-2025', config, { args, env });
      try {
        return (await s.client.listTools()).tools.map((t: { name: string }) => t.name).sort();
      } finally {
        await s.close();
      }
    };
    const all = await names([]);
    expect(all.some((n: string) => n.startsWith('alpha__'))).toBe(true);
    expect(all.some((n: string) => n.startsWith('beta__'))).toBe(true);
    expect(await names(['--profile', 'small'])).toEqual(['alpha__echo']);
    const bad = spawnSync(NODE, [BUNDLE, 'run', '--config', config, '--profile', 'nope'], {
      env,
      encoding: 'utf8',
      input: '',
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--profile: unknown profile "nope"; profiles: small');
    expect(bad.stderr).not.toMatch(/^\s+at /m);
  });

  test('a reloaded policy applies to open sessions at once, and they are told their lists changed', async () => {
    const alice = await connect('2025-11-25', keys.alice);
    try {
      expect((await alice.tools()).every((t) => t.startsWith('alpha__'))).toBe(true);
      const current = JSON.parse(fs.readFileSync(config, 'utf8'));
      current.proxy.access.rules[0].allow = { servers: ['beta'] };
      fs.writeFileSync(config, JSON.stringify(current));
      proxy.child.kill('SIGHUP');
      await waitFor(async () => (await alice.tools()).every((t) => t.startsWith('beta__')), 'the new policy');
      expect((await alice.call('alpha__echo', { text: 'x' })).error).toMatch(/Unknown tool/);
      expect((await alice.call('beta__echo', { text: 'now' })).text).toBe('now');
      await waitFor(() => alice.listChanged() > 0, 'tools/list_changed');
    } finally {
      await alice.close();
    }
  });
});
