/**
 * `mcp-proxy auth login|status|logout` in-process, against a real authorization server (oidc-provider)
 * and a real token-checking MCP server; the browser step follows the URL the command prints, with an
 * HTTP client and once in headless Chromium (skipped, loudly, where Chromium cannot start).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeContext, runInProcess } from '../helpers/cli.js';
import { homeAndProject } from '../helpers/files.js';
import {
  type AuthServer,
  browse,
  type ProtectedServer,
  startAuthServer,
  startProtectedServer,
} from '../helpers/oauth.js';
import { waitFor } from '../helpers/wait.js';

const CHROMIUM = process.env.MCP_PROXY_CHROMIUM || '/usr/bin/chromium';

let as: AuthServer;
let mcp: ProtectedServer;
const tmp = homeAndProject('mcp-auth-cli-');
let config: string;

beforeAll(async () => {
  as = await startAuthServer();
  mcp = await startProtectedServer(as.issuer);
  config = path.join(tmp.cwd, 'mcp-proxy.json');
  fs.writeFileSync(
    config,
    JSON.stringify({ mcpServers: { remote: { url: mcp.url, oauth: true }, local: { command: 'node' } } }),
  );
});
afterAll(async () => {
  await mcp?.close();
  await as?.close();
  tmp.cleanup();
});

const ctx = () =>
  makeContext({ home: tmp.home, cwd: tmp.cwd, env: { MCP_PROXY_SECRETS_DIR: path.join(tmp.dir, 'none') } });
const tokenFile = () => path.join(tmp.home, '.config', 'mcp-proxy', 'oauth', 'remote.json');

describe('auth', () => {
  it('status before any login: not logged in, with the command to run, exit 3', async () => {
    const r = await runInProcess(ctx(), ['auth', 'status']);
    expect(r.status).toBe(3);
    expect(r.stdout).toBe('remote: not logged in; run `mcp-proxy auth login remote`\n');
  });

  it('login prints the URL, receives the redirect, stores the token; status and logout then work', async () => {
    const t = ctx();
    const running = runInProcess(t, ['auth', 'login', 'remote', '--no-browser']);
    const url = (await waitFor(() => /^\s+(http\S+)$/m.exec(t.stderr())?.[1], 'the login URL on stderr')) as string;
    await browse(url, new URL(url).searchParams.get('redirect_uri') as string);
    const r = await running;
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^logged in to remote \(at http:\/\/127\.0\.0\.1:\d+, scopes .*mcp:tools.*\); saved to /);
    const stored = JSON.parse(fs.readFileSync(tokenFile(), 'utf8'));
    expect(fs.statSync(tokenFile()).mode & 0o777).toBe(0o600);
    for (const secret of [stored.tokens.access_token, stored.tokens.refresh_token]) {
      expect(r.stdout + r.stderr).not.toContain(secret);
    }

    const s = await runInProcess(ctx(), ['auth', 'status', '--json']);
    expect(s.status).toBe(0);
    const row = JSON.parse(s.stdout).servers[0];
    expect(row).toMatchObject({ server: 'remote', state: 'logged in', refreshable: true, issuer: as.issuer });
    expect(s.stdout).not.toContain(stored.tokens.access_token);

    const out = await runInProcess(ctx(), ['auth', 'logout', 'remote']);
    expect(out.status).toBe(0);
    expect(out.stdout).toContain('logged out of remote (refresh token revoked)');
    expect(fs.existsSync(tokenFile())).toBe(false);
  });

  it('refuses a token file others can read, naming the fix', async () => {
    fs.mkdirSync(path.dirname(tokenFile()), { recursive: true });
    fs.writeFileSync(tokenFile(), '{}', { mode: 0o644 });
    fs.chmodSync(tokenFile(), 0o644);
    const r = await runInProcess(ctx(), ['auth', 'status', 'remote']);
    expect(r.status).toBe(3);
    expect(r.stdout).toContain('remote: unreadable');
    expect(r.stdout).toContain('chmod 600');
    fs.rmSync(tokenFile());
  });

  it('a server without "oauth" is refused with a precise message', async () => {
    const r = await runInProcess(ctx(), ['auth', 'login', 'local']);
    expect(r.status).toBe(2);
    expect(r.error).toContain('mcpServers.local is not a remote server with "oauth" set');
    expect(r.error).toContain('servers with "oauth": remote');
  });
});

describe('auth login in headless Chromium', () => {
  it('the printed URL, opened in a real browser: login and consent forms, the loopback redirect', async (t) => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] }).catch((e: Error) => e);
    if (browser instanceof Error) {
      const why = `Chromium (${CHROMIUM}) cannot start: ${browser.message.split('\n')[0]}`;
      console.warn(`!!! SKIPPED: the OAuth login in headless Chromium: ${why} (apt-get install chromium)`);
      t.skip(why);
      return;
    }
    try {
      const c = ctx();
      const running = runInProcess(c, ['auth', 'login', 'remote', '--no-browser']);
      const url = (await waitFor(() => /^\s+(http\S+)$/m.exec(c.stderr())?.[1], 'the login URL on stderr')) as string;
      const redirect = new URL(url).searchParams.get('redirect_uri') as string;
      const page = await browser.newPage();
      await page.goto(url);
      // oidc-provider's own pages: sign in, then consent; then the redirect to the loopback listener.
      for (let step = 0; step < 5 && !page.url().startsWith(redirect); step++) {
        const here = page.url();
        if (await page.$('input[name="login"]')) {
          await page.fill('input[name="login"]', 'carol');
          await page.fill('input[name="password"]', 'secret');
        }
        await page.click('button[type="submit"]');
        await page.waitForURL((u) => u.href !== here);
      }
      expect(page.url().startsWith(redirect)).toBe(true);
      const r = await running;
      expect(r.error).toBeUndefined();
      expect(r.stdout).toMatch(/^logged in to remote \(at http:\/\/127\.0\.0\.1:\d+/);
      expect(await page.textContent('body')).toMatch(/logged in|close this/i);
      const stored = JSON.parse(fs.readFileSync(tokenFile(), 'utf8'));
      const res = await fetch(mcp.url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${stored.tokens.access_token}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
      });
      expect(res.status).toBe(200);
      expect(mcp.presented.at(-1)).toBe(stored.tokens.access_token);
    } finally {
      await browser.close();
      fs.rmSync(tokenFile(), { force: true });
    }
  }, 60_000);
});
