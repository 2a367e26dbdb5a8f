/**
 * The dashboard's static files at /ui (and the API document at /api/openapi.json): served without
 * authentication, since they hold nothing secret (the page asks for a token and sends it with every
 * API request), under a strict Content-Security-Policy: everything from this origin, no inline script,
 * no other origin. The files are embedded in the bundle at build time (scripts/build.mjs); run from
 * source, they are read from src/dashboard/ui.
 */
import fs from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DashboardLogin } from './login.js';
import { openApiDocument } from './openapi.js';

declare const __DASHBOARD_ASSETS__: Record<string, string> | undefined;

export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** The CSP with one more origin the page may fetch from (the OIDC token endpoint's). */
export function cspWith(connectOrigin: string | undefined): string {
  return connectOrigin ? CSP.replace("connect-src 'self'", `connect-src 'self' ${connectOrigin}`) : CSP;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

let cached: Record<string, string> | undefined;

function assets(): Record<string, string> {
  if (cached) return cached;
  if (typeof __DASHBOARD_ASSETS__ !== 'undefined') cached = __DASHBOARD_ASSETS__;
  else {
    const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'ui');
    cached = Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));
  }
  return cached;
}

export function securityHeaders(res: ServerResponse, csp = CSP): void {
  res.setHeader('content-security-policy', csp);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('x-frame-options', 'DENY');
}

/**
 * Answers /ui, /ui/<file>, /api/openapi.json and /api/v1/login (how to sign in: public, since the page
 * needs it before it holds a token); false for any other path.
 */
export async function servePublic(
  res: ServerResponse,
  reqPath: string,
  method: string,
  login?: DashboardLogin,
): Promise<boolean> {
  if (reqPath === '/api/v1/login') {
    if (method !== 'GET' && method !== 'HEAD') return false;
    await serveLogin(res, method, login);
    return true;
  }
  if (reqPath === '/api/openapi.json') {
    if (method !== 'GET' && method !== 'HEAD') return false;
    const text = JSON.stringify(openApiDocument());
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache' });
    res.end(method === 'HEAD' ? undefined : text);
    return true;
  }
  if (reqPath !== '/ui' && !reqPath.startsWith('/ui/')) return false;
  securityHeaders(res, cspWith(await login?.connectOrigin()));
  if (method !== 'GET' && method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
    res.end('Method Not Allowed\n');
    return true;
  }
  const file = reqPath === '/ui' ? 'index.html' : reqPath.slice('/ui/'.length);
  const body = Object.hasOwn(assets(), file) ? assets()[file] : undefined;
  if (body === undefined) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('Not Found\n');
    return true;
  }
  res.writeHead(200, {
    'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-cache',
  });
  res.end(method === 'HEAD' ? undefined : body);
  return true;
}

async function serveLogin(res: ServerResponse, method: string, login: DashboardLogin | undefined): Promise<void> {
  let status = 200;
  let body: unknown = { oidc: null };
  if (login) {
    try {
      body = { oidc: await login.get() };
    } catch (e) {
      status = 502;
      body = { error: { code: 'OIDC_DISCOVERY', message: (e as Error).message } };
    }
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(method === 'HEAD' ? undefined : text);
}
