// The servers, logs and config pages.
import { $, api, el, stream } from './core.js';

function spark(points, key, color) {
  const w = 90;
  const h = 20;
  const values = points.map((p) => (key === 'errors' ? (p.calls ? p.errors / p.calls : 0) : p[key]));
  const max = Math.max(...values, key === 'errors' ? 1 : 1e-9);
  const step = values.length > 1 ? w / (values.length - 1) : w;
  const d = values.map((v, i) => `${(i * step).toFixed(1)},${(h - (v / max) * (h - 2) - 1).toFixed(1)}`).join(' ');
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('width', w);
  svg.setAttribute('height', h);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `${key === 'errors' ? 'error rate' : 'latency'}: last ${values.at(-1) ?? 0}`);
  const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
  line.setAttribute('points', d || `0,${h - 1} ${w},${h - 1}`);
  line.setAttribute('fill', 'none');
  line.setAttribute('stroke', color);
  svg.append(line);
  return svg;
}

// Every state a server (or one of its replicas) can show, in the order of the legend: the pool's
// states, "idle" for a lazy server asleep, and the breaker's, which win over "ready" while they last.
export const STATES = {
  connecting: ['connecting', 'starting or handshaking'],
  ready: ['ready', 'serving calls'],
  degraded: ['degraded', 'connected, but its calls keep failing'],
  idle: ['idle (lazy)', 'not started until a call needs it; its catalog is listed from the cache'],
  retrying: ['retrying', 'the connect failed; tried again after a backoff'],
  restarting: ['restarting', 'the process died; being started again'],
  failed: ['failed', 'out of retries: fix and reload, or restart'],
  'needs-login': ['needs login', 'an OAuth server without a usable login: run mcp-proxy auth login'],
  disabled: ['disabled', 'turned off in the config'],
  closed: ['closed', 'shut down'],
  open: ['breaker open', 'too many failures: calls fail fast until a trial call succeeds'],
  'half-open': ['breaker half-open', 'a trial call decides whether the breaker closes'],
};

function stateOf(s) {
  if (s.breaker === 'open') return 'open';
  if (s.breaker === 'half-open') return 'half-open';
  return s.state;
}

function badge(state) {
  return el('span', { class: `state state-${state}`, text: STATES[state]?.[0] ?? state });
}

function errorCell(lastError, tail = [], note) {
  const lines = [...(note ? [note] : []), ...(lastError ? [lastError] : []), ...tail];
  if (!lines.length) return '';
  const summary = (note ?? lastError)?.split('\n')[0].slice(0, 80) ?? 'stderr';
  return el('details', {}, el('summary', { text: summary }), el('pre', { text: lines.join('\n') }));
}

function serverRow(s) {
  const state = stateOf(s);
  const group = s.replicas?.length ? `${s.replicas.length} replicas, ${s.balance ?? 'round-robin'}` : undefined;
  return el(
    'tr',
    { 'data-server': s.name, 'data-state': state },
    el('th', { scope: 'row' }, s.name, group ? el('div', { class: 'muted small', text: group }) : ''),
    el('td', {}, badge(state)),
    el('td', { text: s.protocolVersion ?? '' }),
    el('td', { text: `${s.tools} tools, ${s.prompts} prompts, ${s.resources} resources` }),
    el('td', { text: String(s.restarts ?? 0) }),
    el('td', {}, spark(s.sparkline ?? [], 'meanMs', '#0b5cad'), ' ', spark(s.sparkline ?? [], 'errors', '#cf222e')),
    el('td', {}, errorCell(s.lastError, s.stderrTail, s.catalogMismatch)),
  );
}

function replicaRow(s, r) {
  const state = stateOf(r);
  const role = [
    r.backup ? 'backup' : '',
    s.balance === 'weighted' ? `weight ${r.weight}` : '',
    `${r.outstanding} in flight`,
  ];
  return el(
    'tr',
    { class: 'replica', 'data-replica-of': s.name, 'data-replica': r.name, 'data-state': state },
    el('th', { scope: 'row' }, el('span', { 'aria-hidden': 'true', text: '\u21b3 ' }), r.name),
    el('td', {}, badge(state)),
    el('td', { text: r.protocolVersion ?? '' }),
    el('td', { text: role.filter(Boolean).join(', ') }),
    el('td', { text: String(r.restarts ?? 0) }),
    el('td', {}),
    el('td', {}, errorCell(r.lastError)),
  );
}

function renderServers(view) {
  $('servers-status').textContent = view.ready ? '' : 'Starting: first connect round in progress.';
  const rows = view.servers.flatMap((s) => [serverRow(s), ...(s.replicas ?? []).map((r) => replicaRow(s, r))]);
  $('servers-table').tBodies[0].replaceChildren(...rows);
}

function renderLegend() {
  const list = $('states');
  if (list.children.length) return;
  list.append(
    ...Object.entries(STATES).map(([state, [, meaning]]) =>
      el('div', { 'data-state': state }, el('dt', {}, badge(state)), el('dd', { text: meaning })),
    ),
  );
}

export function showServers() {
  renderLegend();
  stream('servers', '/servers', {}, (event, data) => {
    if (event === 'servers') renderServers(data);
    if (event === 'failure') $('servers-status').textContent = `Live updates stopped: ${data.message}`;
  });
}

// ----------------------------------------------------------------------------------------------- logs

export function showLogs() {
  const server = $('log-server').value;
  const level = $('log-level').value;
  const q = new URLSearchParams();
  if (server) q.set('server', server);
  if (level) q.set('level', level);
  $('log-lines').replaceChildren();
  api('/logs?level=trace').then(
    (b) => {
      const keep = $('log-server').value;
      $('log-server').replaceChildren(
        el('option', { value: '', text: 'all' }),
        ...b.sources.map((s) => el('option', { value: s, text: s })),
      );
      if (b.sources.includes(keep)) $('log-server').value = keep;
    },
    () => {},
  );
  stream('logs', `/logs?${q}`, {}, (event, l) => {
    if (event !== 'log') return;
    const list = $('log-lines');
    const atEnd = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
    list.append(
      el('li', {
        class: `lvl-${l.level}`,
        'data-source': l.source,
        'data-level': l.level,
        text: `${l.time.slice(11, 19)} ${l.level.toUpperCase().padEnd(5)} [${l.source}${l.component ? `/${l.component}` : ''}] ${l.msg}`,
      }),
    );
    while (list.children.length > 1000) list.firstChild.remove();
    if (atEnd) list.scrollTop = list.scrollHeight;
  });
}
$('log-server').addEventListener('change', showLogs);
$('log-level').addEventListener('change', showLogs);
$('log-clear').addEventListener('click', () => $('log-lines').replaceChildren());

// --------------------------------------------------------------------------------------------- config

export async function showConfig() {
  try {
    const c = await api('/config');
    $('config-file').textContent =
      `${c.file} (credentials: ${c.credentialsFile}; search order: ${c.searchOrder.join(' > ')})`;
    $('config-text').textContent = JSON.stringify(c.config, null, 2);
    $('vars').tBodies[0].replaceChildren(
      ...c.variables.map((v) =>
        el(
          'tr',
          {},
          el('td', { text: v.name }),
          el('td', { text: v.status }),
          el('td', { text: v.value ?? '' }),
          el('td', { text: v.source ? `${v.source} ${v.origin ?? ''}` : (v.usedAt ?? []).join(', ') }),
        ),
      ),
    );
  } catch (e) {
    $('config-file').textContent = e.message;
  }
}

async function edit(method) {
  const name = $('edit-name').value.trim();
  let entry;
  try {
    entry = method === 'DELETE' ? undefined : JSON.parse($('edit-entry').value);
  } catch (e) {
    $('edit-result').textContent = `The entry is not valid JSON: ${e.message}`;
    return;
  }
  const path = method === 'POST' ? '/config/validate' : `/servers/${encodeURIComponent(name)}`;
  const body =
    method === 'DELETE' ? undefined : JSON.stringify(method === 'POST' ? { name, entry } : { entry, force: true });
  try {
    const r = await api(path, { method, headers: body ? { 'content-type': 'application/json' } : {}, body });
    $('edit-result').textContent = [r.ok ? 'OK' : 'Refused', r.message, ...(r.warnings ?? []), ...(r.details ?? [])]
      .filter(Boolean)
      .join('\n');
    if (r.ok && method !== 'POST') showConfig();
  } catch (e) {
    $('edit-result').textContent = e.message;
  }
}
$('edit-form').addEventListener('submit', (e) => {
  e.preventDefault();
  edit('POST');
});
$('edit-save').addEventListener('click', () => edit('PUT'));
$('edit-remove').addEventListener('click', () => {
  if (confirm(`Remove server "${$('edit-name').value}" from the config?`)) edit('DELETE');
});
