// The dashboard page: plain DOM, no framework. Every value from the API goes in as text, never markup.
import { showCatalog } from './catalog.js';
import { $, api, session, showLogin } from './core.js';
import { completeOidc, offerOidc } from './login.js';
import { showConfig, showLogs, showServers } from './pages.js';

// ---------------------------------------------------------------------------------------------- login

async function start() {
  try {
    session.me = await api('/me');
  } catch {
    return;
  }
  $('login').hidden = true;
  $('nav').hidden = false;
  $('who').textContent = `${session.me.id}${session.me.admin ? ' (admin)' : ''}`;
  for (const b of document.querySelectorAll('.admin')) b.hidden = !session.me.admin;
  route();
}

$('login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  session.token = $('token').value.trim();
  sessionStorage.setItem('mcp-proxy-token', session.token);
  start();
});

// ---------------------------------------------------------------------------------------------- pages

const pages = { servers: showServers, catalog: showCatalog, logs: showLogs, config: showConfig };

function route() {
  if (!session.me) return;
  const name = location.hash.slice(1) in pages ? location.hash.slice(1) : 'servers';
  for (const a of document.querySelectorAll('nav a')) {
    if (a.dataset.page === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  for (const p of document.querySelectorAll('.page')) p.hidden = p.id !== `page-${name}`;
  pages[name]();
}
window.addEventListener('hashchange', route);

async function boot() {
  offerOidc();
  try {
    const token = await completeOidc();
    if (token) {
      session.token = token;
      sessionStorage.setItem('mcp-proxy-token', token);
    }
  } catch (e) {
    return showLogin(e.message);
  }
  start();
}

boot();
