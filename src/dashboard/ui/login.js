// "Sign in with <issuer>": the authorization code flow with PKCE (S256) as a public client. The
// verifier and state stay in this tab's sessionStorage; the code is exchanged here, at the issuer's
// token endpoint (the page's CSP allows that one origin), and the access token is kept like a pasted one.
import { $ } from './core.js';

const KEY = 'mcp-proxy-oidc';

function b64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '');
}

function random() {
  return b64url(crypto.getRandomValues(new Uint8Array(32)));
}

const redirectUri = () => `${location.origin}/ui/`;

/** Shows the button when the proxy has a dashboard client configured. */
export async function offerOidc() {
  let info;
  try {
    const res = await fetch('/api/v1/login');
    info = (await res.json()).oidc;
  } catch {
    return;
  }
  if (!info) return;
  const button = $('oidc-login');
  button.textContent = `Sign in with ${new URL(info.issuer).host}`;
  button.hidden = false;
  button.onclick = () => begin(info);
}

async function begin(info) {
  const verifier = random();
  const state = random();
  const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  sessionStorage.setItem(KEY, JSON.stringify({ verifier, state, info, hash: location.hash }));
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: info.clientId,
    redirect_uri: redirectUri(),
    scope: info.scope,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  if (info.resource) q.set('resource', info.resource);
  location.assign(`${info.authorizationEndpoint}?${q}`);
}

/**
 * On the way back from the issuer (?code=...&state=...): the access token, or undefined when this is
 * not a return from a sign-in. Throws (with a message for the user) when the sign-in failed.
 */
export async function completeOidc() {
  const params = new URLSearchParams(location.search);
  if (!params.has('code') && !params.has('error')) return undefined;
  const saved = JSON.parse(sessionStorage.getItem(KEY) ?? 'null');
  sessionStorage.removeItem(KEY);
  history.replaceState(null, '', `/ui/${saved?.hash ?? ''}`);
  if (!saved || params.get('state') !== saved.state)
    throw new Error('The sign-in answer does not match a sign-in started here.');
  if (params.has('iss') && params.get('iss') !== saved.info.issuer)
    throw new Error('The sign-in answer comes from another issuer.');
  if (params.has('error'))
    throw new Error(`The sign-in was refused: ${params.get('error_description') ?? params.get('error')}`);
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    code: params.get('code'),
    redirect_uri: redirectUri(),
    client_id: saved.info.clientId,
    code_verifier: saved.verifier,
  });
  if (saved.info.resource) body.set('resource', saved.info.resource);
  const res = await fetch(saved.info.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  const t = await res.json().catch(() => ({}));
  if (!res.ok || !t.access_token)
    throw new Error(`The issuer did not give a token: ${t.error_description ?? t.error ?? `HTTP ${res.status}`}`);
  return t.access_token;
}
