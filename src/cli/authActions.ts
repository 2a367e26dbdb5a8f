/**
 * The work behind `mcp-proxy auth login|status|logout` (imported lazily by the command). Token values
 * are never printed; the ones a login obtains are registered with the redactor before anything is logged.
 */
import { spawn } from 'node:child_process';
import type { HttpUpstreamConfig, SseUpstreamConfig } from '../config/schema.js';
import { AppError, errorMessage } from '../errors.js';
import type { LoginTarget } from '../upstream/oauth/loginCommon.js';
import { refreshMargin } from '../upstream/oauth/runtime.js';
import type { StoredLogin, TokenStore } from '../upstream/oauth/tokenStore.js';
import type { AuthCommandArgs } from './commands/auth.js';
import type { CliContext } from './context.js';
import { configLoadOptions, credentialChainFor } from './credentialOptions.js';
import { loginCommand, tokenStoreFor } from './oauthRuntime.js';

type OAuthServer = (HttpUpstreamConfig | SseUpstreamConfig) & { oauth: NonNullable<HttpUpstreamConfig['oauth']> };

async function oauthServers(args: AuthCommandArgs, ctx: CliContext): Promise<Record<string, OAuthServer>> {
  const { loadConfig } = await import('../config/load.js');
  const chain = credentialChainFor(args, ctx);
  const loaded = await loadConfig(configLoadOptions(args.config, chain, ctx));
  const out: Record<string, OAuthServer> = {};
  for (const [name, s] of Object.entries(loaded.config.mcpServers)) {
    if ((s.type === 'http' || s.type === 'sse') && s.oauth) out[name] = s as OAuthServer;
  }
  return out;
}

function pick(servers: Record<string, OAuthServer>, name: string | undefined, action: string): OAuthServer {
  const names = Object.keys(servers);
  if (!name) {
    throw new AppError('USAGE', `name the server: auth ${action} SERVER`, {
      hint: names.length ? `servers with "oauth": ${names.join(', ')}` : 'no server in the config has "oauth" set',
    });
  }
  const server = servers[name];
  if (!server) {
    throw new AppError('USAGE', `mcpServers.${name} is not a remote server with "oauth" set`, {
      hint: names.length
        ? `servers with "oauth": ${names.join(', ')}`
        : `add "oauth": true to mcpServers.${name} (an http or sse server)`,
    });
  }
  return server;
}

export async function authLogin(args: AuthCommandArgs, ctx: CliContext): Promise<number> {
  const servers = await oauthServers(args, ctx);
  const server = pick(servers, args.server, 'login');
  const name = args.server as string;
  const store = tokenStoreFor(args, ctx);
  const target: LoginTarget = {
    server: name,
    url: server.url,
    oauth: server.oauth,
    headers: server.headers,
    transport: server.type,
  };
  const say = (line: string) => ctx.stderr.write(`${line}\n`);
  let login: StoredLogin;
  if (args.device) {
    const { deviceLogin } = await import('../upstream/oauth/deviceGrant.js');
    login = await deviceLogin({
      ...target,
      store,
      show: (p) => {
        say(`To log in to "${name}", open ${p.verificationUriComplete ?? p.verificationUri}`);
        say(`and enter the code ${p.userCode} (valid ${Math.round(p.expiresInSeconds / 60)} min). Waiting...`);
      },
    });
  } else {
    const { browserLogin } = await import('../upstream/oauth/login.js');
    login = await browserLogin({
      ...target,
      store,
      openUrl: (url) => {
        say(`To log in to "${name}", open this URL in a browser (on this machine: the redirect comes back here):`);
        say(`  ${url.href}`);
        if (args.browser !== false) openBrowser(url.href, ctx);
        say('Waiting for the login...');
      },
    });
  }
  for (const t of [login.tokens?.access_token, login.tokens?.refresh_token]) ctx.redactor.add(t);
  ctx.stdout.write(`logged in to ${name}${describeLogin(login, Date.now())}; saved to ${store.file(name)}\n`);
  return 0;
}

/** `$BROWSER`, else the platform's opener; failures are silent (the URL is printed already). */
function openBrowser(url: string, ctx: CliContext): void {
  const [cmd, ...pre] = ctx.env.BROWSER
    ? [ctx.env.BROWSER]
    : ctx.platform === 'darwin'
      ? ['open']
      : ctx.platform === 'win32'
        ? ['cmd', '/c', 'start', '""']
        : ['xdg-open'];
  try {
    const child = spawn(cmd, [...pre, url], { detached: true, stdio: 'ignore' });
    child.on('error', () => {});
    child.unref();
  } catch {}
}

function describeLogin(login: StoredLogin, now: number): string {
  const parts: string[] = [];
  if (login.issuer) parts.push(`at ${login.issuer}`);
  if (login.tokens?.scope) parts.push(`scopes ${login.tokens.scope}`);
  if (login.expiresAt !== undefined) parts.push(`token ${expiry(login, now)}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

function expiry(login: StoredLogin, now: number): string {
  const at = login.expiresAt as number;
  const left = at - now;
  const when = new Date(at).toISOString();
  const refresh = login.tokens?.refresh_token ? ', refreshed automatically' : ', no refresh token';
  if (left <= 0) return `expired ${when}${refresh}`;
  const mins = Math.round(left / 60_000);
  return `expires ${when} (in ${mins < 1 ? '<1' : mins} min${refresh})`;
}

export interface LoginStatus {
  server: string;
  state: 'logged in' | 'not logged in' | 'needs login' | 'unreadable';
  issuer?: string;
  scopes?: string;
  expiresAt?: string;
  refreshable?: boolean;
  client?: 'registered dynamically' | 'pre-registered';
  file?: string;
  reason?: string;
  command?: string;
}

export function loginStatus(name: string, url: string, store: TokenStore, command: string): LoginStatus {
  let stored: ReturnType<TokenStore['read']>;
  try {
    stored = store.read(name);
  } catch (e) {
    const fix = e instanceof AppError && e.hint ? `; fix: ${e.hint}` : '';
    return { server: name, state: 'unreadable', reason: `${errorMessage(e)}${fix}`, file: store.file(name) };
  }
  if (!stored) return { server: name, state: 'not logged in', command };
  const { login, origin } = stored;
  const base = { server: name, file: origin, issuer: login.issuer };
  if (login.needsLogin) return { ...base, state: 'needs login', reason: login.needsLogin.reason, command };
  if (login.server !== name || login.resource !== url) {
    return { ...base, state: 'needs login', reason: `the stored login is for ${login.resource}`, command };
  }
  if (!login.tokens?.access_token) return { ...base, state: 'not logged in', command };
  const expired = login.expiresAt !== undefined && Date.now() >= login.expiresAt - refreshMargin(login);
  return {
    ...base,
    state: expired && !login.tokens.refresh_token ? 'needs login' : 'logged in',
    scopes: login.tokens.scope,
    expiresAt: login.expiresAt !== undefined ? new Date(login.expiresAt).toISOString() : undefined,
    refreshable: Boolean(login.tokens.refresh_token),
    client: login.preRegistered ? 'pre-registered' : 'registered dynamically',
    ...(expired && !login.tokens.refresh_token ? { reason: 'the token expired and cannot be refreshed', command } : {}),
  };
}

export async function authStatus(args: AuthCommandArgs, ctx: CliContext): Promise<number> {
  const servers = await oauthServers(args, ctx);
  const store = tokenStoreFor(args, ctx);
  const names = args.server ? [args.server] : Object.keys(servers);
  if (args.server) pick(servers, args.server, 'status');
  const rows = names.map((n) => loginStatus(n, servers[n].url, store, loginCommand(n, args, ctx)));
  if (args.json) {
    ctx.stdout.write(`${JSON.stringify({ servers: rows }, null, 2)}\n`);
  } else if (!rows.length) {
    ctx.stdout.write('no server in the config has "oauth" set\n');
  } else {
    for (const r of rows) {
      const details = [
        r.issuer && `at ${r.issuer}`,
        r.scopes && `scopes ${r.scopes}`,
        r.expiresAt && `token expires ${r.expiresAt}${r.refreshable ? ' (refreshed automatically)' : ''}`,
        r.client,
        r.reason,
      ].filter(Boolean);
      const fix = r.command && r.state !== 'logged in' ? `; run \`${r.command}\`` : '';
      ctx.stdout.write(`${r.server}: ${r.state}${details.length ? ` (${details.join('; ')})` : ''}${fix}\n`);
    }
  }
  return rows.every((r) => r.state === 'logged in') ? 0 : 3;
}

export async function authLogout(args: AuthCommandArgs, ctx: CliContext): Promise<number> {
  const servers = await oauthServers(args, ctx);
  pick(servers, args.server, 'logout');
  const name = args.server as string;
  const store = tokenStoreFor(args, ctx);
  const login = store.read(name)?.login;
  const revoked = login ? await revoke(login).catch(() => false) : false;
  const removed = store.remove(name);
  if (!removed && !login) {
    ctx.stdout.write(`${name}: not logged in\n`);
    return 0;
  }
  const seed = store.seed(name);
  const left = seed && login && store.read(name) ? `; a Docker secret still holds a login: ${seed}` : '';
  ctx.stdout.write(
    `logged out of ${name}${revoked ? ' (refresh token revoked)' : ''}; removed ${store.file(name)}${left}\n`,
  );
  return 0;
}

/**
 * RFC 7009 revocation of the refresh token, where the server advertises an endpoint. Written here: the
 * SDK has no revocation helper. Best effort: logout removes the file either way.
 */
async function revoke(login: StoredLogin): Promise<boolean> {
  const endpoint = (login.discovery?.authorizationServerMetadata as { revocation_endpoint?: string } | undefined)
    ?.revocation_endpoint;
  const token = login.tokens?.refresh_token ?? login.tokens?.access_token;
  if (!endpoint || !token || !login.client) return false;
  const body = new URLSearchParams({ token, token_type_hint: login.tokens?.refresh_token ? 'refresh_token' : '' });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (login.client.client_secret) {
    const basic = `${encodeURIComponent(login.client.client_id)}:${encodeURIComponent(login.client.client_secret)}`;
    headers.authorization = `Basic ${Buffer.from(basic).toString('base64')}`;
  } else body.set('client_id', login.client.client_id);
  const res = await fetch(endpoint, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
  await res.body?.cancel().catch(() => {});
  return res.ok;
}
