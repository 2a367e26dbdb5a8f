// Shared by the dashboard's pages: DOM building, the API with the session's token, SSE over fetch.
export const API = '/api/v1';
export const $ = (id) => document.getElementById(id);
export const session = { token: sessionStorage.getItem('mcp-proxy-token') ?? '', me: undefined };
const streams = new Map();

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c != null) e.append(c instanceof Node ? c : String(c));
  return e;
}

export function headers(extra = {}) {
  return session.token ? { authorization: `Bearer ${session.token}`, ...extra } : extra;
}

export async function api(path, init = {}) {
  const res = await fetch(API + path, { ...init, headers: headers(init.headers) });
  if (res.status === 401) {
    showLogin('The token was not accepted.');
    throw new Error('unauthorized');
  }
  const body = res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text();
  if (!res.ok && res.status !== 422) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
  return body;
}

/** An SSE stream read with fetch (EventSource cannot send the Authorization header). */
export function stream(key, path, init, onEvent) {
  streams.get(key)?.abort();
  const ctl = new AbortController();
  streams.set(key, ctl);
  const run = async () => {
    const res = await fetch(API + path, {
      ...init,
      signal: ctl.signal,
      headers: headers({ accept: 'text/event-stream', ...(init.headers ?? {}) }),
    });
    if (res.status === 401) return showLogin('The token was not accepted.');
    if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let at = buf.indexOf('\n\n');
      while (at >= 0) {
        const block = buf.slice(0, at);
        buf = buf.slice(at + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6))
          .join('\n');
        if (event && data) onEvent(event, JSON.parse(data));
        at = buf.indexOf('\n\n');
      }
    }
  };
  return run().catch((e) => {
    if (e.name !== 'AbortError') onEvent('failure', { message: e.message });
  });
}

export function showLogin(message = '') {
  for (const c of streams.values()) c.abort();
  $('nav').hidden = true;
  for (const p of document.querySelectorAll('.page')) p.hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message;
  $('token').focus();
}
