/**
 * The dashboard in a real headless browser (Debian's chromium driven by playwright-core) against the
 * BUILT proxy: sign in with the token, watch a server go from connecting to ready, call a tool through
 * the form, see a crashed server turn red and come back, see each replica of a server with its own
 * state, read the legend of every state, filter the logs. Screenshots go to
 * test-results/ (MCP_PROXY_UPDATE_SCREENSHOT=1 also refreshes docs/img/dashboard.png). Skipped, loudly,
 * when the browser cannot start.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { UPSTREAM_STATES } from '../../src/upstream/status.js';
import { ensureBuilt } from '../helpers/build.js';
import { tempDir, writeConfig } from '../helpers/files.js';
import { type HttpProxy, startHttpProxy } from '../helpers/httpProxy.js';
import { ECHO, NODE, ROOT } from '../helpers/paths.js';
import { waitFor } from '../helpers/wait.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TOKEN = 'browser-test-token-0123456789';
const SHOTS = path.join(ROOT, 'test-results', 'dashboard');
const tmp = tempDir('mcp-proxy-browser-');

let browser: Browser | undefined;
let why = '';
try {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
} catch (e) {
  why = (e as Error).message.split('\n')[0] ?? 'unknown';
  console.warn(`SKIPPING the dashboard browser tests: chromium (${CHROMIUM}) cannot start: ${why}`);
  console.warn('install it with `apt-get install -y chromium` (or set CHROMIUM_PATH)');
}

let proxy: HttpProxy;
let page: Page;

async function shot(name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

describe.skipIf(!browser)(`dashboard in chromium${why ? ` (skipped: ${why})` : ''}`, () => {
  beforeAll(async () => {
    ensureBuilt();
    // Starts after a pause, so the page can see it connecting first.
    const late = `setTimeout(() => import(${JSON.stringify(pathToFileURL(ECHO).href)}), 2500)`;
    const config = writeConfig(tmp.dir, {
      mcpServers: {
        echo: { command: NODE, args: [ECHO], env: { FIXTURE_NAME: 'echo', FIXTURE_JUNK: '1' } },
        late: { command: NODE, args: ['-e', late], env: { FIXTURE_NAME: 'late' } },
        // Two replicas: the second never starts.
        pair: {
          command: NODE,
          args: [ECHO],
          env: { FIXTURE_NAME: 'pair' },
          replicas: [{}, { args: ['-e', 'process.exit(1)'] }],
        },
      },
      proxy: { retry: { initialDelay: 1500, maxDelay: 1500 }, timeouts: { startup: 100 } },
    });
    proxy = await startHttpProxy(['--config', config, '--no-watch'], {
      env: { PATH: process.env.PATH ?? '', HOME: tmp.dir, MCP_PROXY_TOKEN: TOKEN },
    });
    const context = await browser!.newContext({ viewport: { width: 1280, height: 760 } });
    page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      // The page's first request, before signing in, is refused with 401 (that is how it knows to ask).
      if (m.type() === 'error' && !/status of 401/.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    (page as any).problems = problems;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await proxy?.stop();
    tmp.cleanup();
  });

  test('sign in with the token; a server goes from connecting to ready', async () => {
    await page.goto(`${proxy.base}/ui/`);
    await page.getByLabel(/Bearer token/).fill(TOKEN);
    await page.keyboard.press('Enter');
    const late = page.locator('tr[data-server="late"]');
    await late.and(page.locator('[data-state="connecting"]')).waitFor({ timeout: 10_000 });
    await shot('connecting');
    await late.and(page.locator('[data-state="ready"]')).waitFor({ timeout: 15_000 });
    await expect(late.locator('.state').textContent()).resolves.toBe('ready');
    await page.locator('tr[data-server="echo"][data-state="ready"]').waitFor();
    await shot('servers');
    expect((page as any).problems).toEqual([]);
  }, 40_000);

  test('call a tool through the form and see its result', async () => {
    await page.getByRole('link', { name: 'Tools, prompts, resources' }).click();
    await page.getByLabel('Search').fill('adds two');
    await page.getByRole('button', { name: /^echo__add/ }).click();
    await page.getByLabel('a *').fill('20');
    await page.getByLabel('b *').fill('22');
    await page.getByRole('button', { name: 'Call' }).click();
    await expect(page.locator('.result pre').first().textContent()).resolves.toBe('42');
    await expect(page.locator('.result').textContent()).resolves.toContain('"sum": 42');
    await shot('tool-call');
    // Raw JSON mode carries the same arguments.
    await page.getByLabel('Raw JSON').check();
    await expect(page.locator('#raw-json').inputValue()).resolves.toContain('"a": 20');
  }, 30_000);

  test('a crashed server turns red and comes back', async () => {
    await page.getByRole('link', { name: 'Servers' }).click();
    await page.locator('tr[data-server="echo"][data-state="ready"]').waitFor();
    await fetch(`${proxy.base}/api/v1/tools/echo__crash/call`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const down = page.locator('tr[data-server="echo"]:not([data-state="ready"])');
    await down.waitFor({ timeout: 10_000 });
    const color = await down.locator('.state').evaluate((e) => getComputedStyle(e).color);
    expect(color).toBe('rgb(207, 34, 46)');
    await shot('crashed');
    await page.locator('tr[data-server="echo"][data-state="ready"]').waitFor({ timeout: 15_000 });
    await expect(page.locator('tr[data-server="echo"] td').nth(3).textContent()).resolves.not.toBe('0');
  }, 40_000);

  test('replicas: the API and the page show each one with its own state', async () => {
    const pair = await waitFor(async () => {
      const res = await fetch(`${proxy.base}/api/v1/servers`, { headers: { authorization: `Bearer ${TOKEN}` } });
      const s = ((await res.json()).servers as any[]).find((x) => x.name === 'pair');
      return s?.replicas?.[0]?.state === 'ready' && s;
    }, 'the first replica ready');
    expect(pair.state).toBe('ready');
    expect(pair.replicas.map((r: any) => r.name)).toEqual(['pair#1', 'pair#2']);
    expect(pair.replicas[1].state).not.toBe('ready');
    expect(pair.replicas[1].lastError).toBeTruthy();

    await page.getByRole('link', { name: 'Servers' }).click();
    await page.locator('tr[data-replica="pair#1"][data-replica-of="pair"][data-state="ready"]').waitFor();
    const second = page.locator('tr[data-replica="pair#2"]');
    await expect(second.getAttribute('data-state')).resolves.not.toBe('ready');
    expect(await second.locator('.state').evaluate((e) => getComputedStyle(e).color)).toBe('rgb(207, 34, 46)');
    await expect(page.locator('tr[data-server="pair"] th').textContent()).resolves.toContain('2 replicas, round-robin');
    // The replica rows follow their server's row.
    const order = await page
      .locator('#servers-table tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-server') ?? r.getAttribute('data-replica')));
    expect(order.slice(order.indexOf('pair'), order.indexOf('pair') + 3)).toEqual(['pair', 'pair#1', 'pair#2']);
    await shot('replicas');
  }, 30_000);

  test('the legend names every state a server can show, each with its colour', async () => {
    await page.getByText('What the states mean').click();
    const legend = page.locator('#states > div');
    const states = await legend.evaluateAll((els) => els.map((e) => e.getAttribute('data-state')));
    expect(new Set(states)).toEqual(new Set([...UPSTREAM_STATES, 'idle', 'open', 'half-open']));
    const colors = await page
      .locator('#states .state')
      .evaluateAll((els) => els.map((e) => [e.textContent, getComputedStyle(e).color]));
    // Every state has a label of its own and a colour other than the text's.
    expect(new Set(colors.map(([label]) => label)).size).toBe(states.length);
    const text = await page.locator('body').evaluate((e) => getComputedStyle(e).color);
    for (const [label, color] of colors) expect(color, label ?? '').not.toBe(text);
  });

  test('filter the logs by server and level', async () => {
    await page.getByRole('link', { name: 'Logs' }).click();
    await page.locator('#log-lines li').first().waitFor();
    await page.getByLabel('Source', { exact: true }).selectOption('echo');
    await page.locator('#log-lines li[data-source="echo"]').first().waitFor();
    const sources = await page
      .locator('#log-lines li')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-source')));
    expect(new Set(sources)).toEqual(new Set(['echo']));
    await page.getByLabel('Source', { exact: true }).selectOption('');
    await page.getByLabel('Level', { exact: true }).selectOption('warn');
    await page.waitForTimeout(300);
    const levels = await page
      .locator('#log-lines li')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-level')));
    expect(levels.every((l) => ['warn', 'error', 'fatal'].includes(l ?? ''))).toBe(true);
    await page.getByLabel('Level', { exact: true }).selectOption('');
    await shot('logs');
  }, 30_000);

  test('the screenshot for the README', async () => {
    await page.getByRole('link', { name: 'Servers' }).click();
    await page.locator('tr[data-server="echo"][data-state="ready"]').waitFor();
    await shot('readme');
    if (process.env.MCP_PROXY_UPDATE_SCREENSHOT === '1') {
      fs.mkdirSync(path.join(ROOT, 'docs/img'), { recursive: true });
      // Down to the servers table's last row, so no half-cut line shows (and the file stays small).
      const table = (await page.locator('table').first().boundingBox())!;
      await page.screenshot({
        path: path.join(ROOT, 'docs/img/dashboard.png'),
        clip: { x: 0, y: 0, width: 1280, height: Math.ceil(table.y + table.height + 2) },
      });
    }
  });
});
