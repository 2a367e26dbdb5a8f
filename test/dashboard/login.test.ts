/**
 * "Sign in with <issuer>" against a real OpenID provider (oidc-provider, its development login page) and
 * the BUILT proxy: the public login document and the page's CSP over plain HTTP, then the whole
 * authorization code + PKCE round trip in headless chromium (skipped, loudly, when it cannot start):
 * the page signs in as the account, with its roles, and a forged answer is refused.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureBuilt } from '../helpers/build.js';
import { tempDir, writeConfig } from '../helpers/files.js';
import { type HttpProxy, startHttpProxy } from '../helpers/httpProxy.js';
import { startOidcProvider, type TestOidcProvider } from '../helpers/oidcProvider.js';
import { ECHO, NODE, ROOT } from '../helpers/paths.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const AUDIENCE = 'http://mcp-proxy.test/mcp';
const CLIENT = 'dashboard';
const SHOTS = path.join(ROOT, 'test-results', 'dashboard');
const tmp = tempDir('mcp-proxy-login-');

let idp: TestOidcProvider;
let proxy: HttpProxy;

beforeAll(async () => {
  ensureBuilt();
  idp = await startOidcProvider({ alice: ['admin'] });
  const config = writeConfig(tmp.dir, {
    mcpServers: { echo: { command: NODE, args: [ECHO], env: { FIXTURE_NAME: 'echo' } } },
    proxy: {
      auth: { oidc: { issuer: idp.issuer, audience: AUDIENCE, scopes: ['mcp:tools'], dashboardClientId: CLIENT } },
    },
  });
  proxy = await startHttpProxy(['--config', config, '--no-watch'], {
    env: { PATH: process.env.PATH ?? '', HOME: tmp.dir },
  });
  // The redirect URI names the proxy's port, known only now.
  await idp.addPublicClient(CLIENT, `${proxy.base}/ui/`);
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await idp?.close();
  tmp.cleanup();
});

describe('the login document and the CSP', () => {
  test('GET /api/v1/login, without a token: where and how to sign in', async () => {
    const res = await fetch(`${proxy.base}/api/v1/login`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      oidc: {
        issuer: idp.issuer,
        clientId: CLIENT,
        authorizationEndpoint: `${idp.issuer}/auth`,
        tokenEndpoint: `${idp.issuer}/token`,
        scope: 'openid mcp:tools',
        resource: AUDIENCE,
      },
    });
    // Everything else under /api/v1 still needs a token.
    expect((await fetch(`${proxy.base}/api/v1/me`)).status).toBe(401);
  });

  test("the page may fetch from its own origin and the token endpoint's, nothing else", async () => {
    const csp = (await fetch(`${proxy.base}/ui/`)).headers.get('content-security-policy') ?? '';
    expect(/connect-src ([^;]*)/.exec(csp)?.[1]).toBe(`'self' ${idp.issuer}`);
    expect(csp).toContain("default-src 'self'");
  });
});

let browser: Browser | undefined;
let why = '';
try {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
} catch (e) {
  why = (e as Error).message.split('\n')[0] ?? 'unknown';
  console.warn(`SKIPPING the dashboard sign-in browser tests: chromium (${CHROMIUM}) cannot start: ${why}`);
  console.warn('install it with `apt-get install -y chromium` (or set CHROMIUM_PATH)');
}

describe.skipIf(!browser)(`sign in with the issuer in chromium${why ? ` (skipped: ${why})` : ''}`, () => {
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    page = await (await browser!.newContext()).newPage();
    page.on('pageerror', (e) => problems.push(e.message));
    // Only the dashboard's own: the provider's development pages ask for fonts and a favicon it lacks.
    page.on('console', (m) => {
      const ours = new URL(page.url()).origin === proxy.base;
      if (ours && m.type() === 'error' && !/status of 401/.test(m.text())) problems.push(m.text());
    });
  });
  afterAll(() => browser?.close());

  test('authorization code + PKCE: signed in as the account, with its roles', async () => {
    await page.goto(`${proxy.base}/ui/#logs`);
    const button = page.getByRole('button', { name: `Sign in with ${new URL(idp.issuer).host}` });
    await button.click();
    await page.waitForURL(`${idp.issuer}/**`);
    await page.locator('input[name="login"]').fill('alice');
    await page.locator('input[name="password"]').fill('any');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${proxy.base}/ui/**`);
    await page.locator('#who', { hasText: 'oidc:' }).waitFor({ timeout: 10_000 });
    expect(await page.locator('#who').textContent()).toBe('oidc:alice (admin)');
    // Back where the sign-in started, with the code gone from the address.
    expect(new URL(page.url()).search).toBe('');
    expect(new URL(page.url()).hash).toBe('#logs');
    await page.getByRole('link', { name: 'Servers' }).click();
    await page.locator('tr[data-server="echo"][data-state="ready"]').waitFor({ timeout: 15_000 });
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'oidc-signed-in.png') });
    // The PKCE verifier and state are gone once used.
    expect(await page.evaluate(() => sessionStorage.getItem('mcp-proxy-oidc'))).toBeNull();
    expect(problems).toEqual([]);
  }, 40_000);

  test('an answer this tab did not ask for is refused', async () => {
    const fresh = await (await browser!.newContext()).newPage();
    await fresh.goto(`${proxy.base}/ui/?code=stolen&state=guessed`);
    const error = fresh.locator('#login-error', { hasText: /./ });
    await error.waitFor({ timeout: 10_000 });
    expect(await error.textContent()).toMatch(/does not match a sign-in started here/);
    expect(new URL(fresh.url()).search).toBe('');
    await fresh.close();
  });
});
