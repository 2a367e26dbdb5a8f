// The tools, prompts and resources browser and its tester.
import { $, api, el, stream } from './core.js';

let items = [];
let servers = [];

async function loadItems() {
  const kind = $('kind').value;
  const body = await api(`/${kind}`);
  items = body[kind] ?? [];
  const names = [...new Set(items.map((i) => i.server).filter(Boolean))].sort();
  if (names.join() !== servers.join()) {
    servers = names;
    const keep = $('cat-server').value;
    $('cat-server').replaceChildren(
      el('option', { value: '', text: 'all' }),
      ...names.map((n) => el('option', { value: n, text: n })),
    );
    $('cat-server').value = names.includes(keep) ? keep : '';
  }
  renderItems();
}

function renderItems() {
  const words = $('q').value.toLowerCase().split(/\s+/).filter(Boolean);
  const server = $('cat-server').value;
  const shown = items.filter((i) => {
    const hay = `${i.name ?? ''} ${i.title ?? ''} ${i.uri ?? i.uriTemplate ?? ''} ${i.description ?? ''}`.toLowerCase();
    return (!server || i.server === server) && words.every((w) => hay.includes(w));
  });
  $('items').replaceChildren(
    ...shown.map((i) =>
      el(
        'li',
        {},
        el(
          'button',
          { type: 'button', class: 'item', 'aria-pressed': 'false', onclick: (e) => select(i, e.currentTarget) },
          i.name ?? i.uri ?? i.uriTemplate,
          el('small', { text: i.description ?? i.uri ?? '' }),
        ),
      ),
    ),
  );
  if (!shown.length) $('items').append(el('li', { class: 'muted', text: 'Nothing matches.' }));
}

export function showCatalog() {
  loadItems().catch((e) => $('tester').replaceChildren(el('p', { class: 'error', text: e.message })));
}
$('kind').addEventListener('change', () => {
  $('tester').replaceChildren();
  loadItems();
});
$('q').addEventListener('input', renderItems);
$('cat-server').addEventListener('change', renderItems);

/** One input per schema property; objects and arrays as JSON text. */
function fieldFor(name, schema, required) {
  const id = `arg-${name}`;
  const label = el('label', { class: 'block', for: id, text: `${name}${required ? ' *' : ''}` });
  const hint = schema.description ? el('small', { class: 'muted', text: ` ${schema.description}` }) : null;
  let input;
  if (Array.isArray(schema.enum))
    input = el(
      'select',
      { id },
      ...schema.enum.map((v) => el('option', { value: JSON.stringify(v), text: String(v) })),
    );
  else if (schema.type === 'boolean') input = el('input', { id, type: 'checkbox' });
  else if (schema.type === 'number' || schema.type === 'integer')
    input = el('input', { id, type: 'number', step: schema.type === 'integer' ? '1' : 'any', required });
  else if (schema.type === 'object' || schema.type === 'array')
    input = el('textarea', { id, rows: '3', placeholder: schema.type === 'array' ? '[]' : '{}' });
  else input = el('input', { id, type: 'text', required });
  input.dataset.arg = name;
  input.dataset.kind = Array.isArray(schema.enum) ? 'enum' : (schema.type ?? 'string');
  return el('div', { class: 'field' }, label, input, hint);
}

function readForm(form) {
  const args = {};
  for (const input of form.querySelectorAll('[data-arg]')) {
    const { arg, kind } = input.dataset;
    if (kind === 'boolean') args[arg] = input.checked;
    else if (input.value === '') continue;
    else if (kind === 'number' || kind === 'integer') args[arg] = Number(input.value);
    else if (kind === 'object' || kind === 'array' || kind === 'enum') args[arg] = JSON.parse(input.value);
    else args[arg] = input.value;
  }
  return args;
}

function select(item, button) {
  for (const b of $('items').querySelectorAll('button')) b.setAttribute('aria-pressed', String(b === button));
  const kind = $('kind').value;
  const schema =
    kind === 'tools'
      ? (item.inputSchema ?? {})
      : {
          properties: Object.fromEntries(
            (item.arguments ?? []).map((a) => [a.name, { type: 'string', description: a.description }]),
          ),
          required: (item.arguments ?? []).filter((a) => a.required).map((a) => a.name),
        };
  const props = Object.entries(schema.properties ?? {});
  const form = el('form', { 'aria-label': `Try ${item.name ?? item.uri}` });
  const fields = el('div', {}, ...props.map(([n, s]) => fieldFor(n, s, (schema.required ?? []).includes(n))));
  const raw = el('textarea', { id: 'raw-json', rows: '6', hidden: true, 'aria-label': 'Arguments as JSON' });
  const rawToggle = el('input', { id: 'raw-mode', type: 'checkbox' });
  rawToggle.addEventListener('change', () => {
    if (rawToggle.checked)
      raw.value = JSON.stringify(
        safe(() => readForm(fields), {}),
        null,
        2,
      );
    raw.hidden = !rawToggle.checked;
    fields.hidden = rawToggle.checked;
  });
  const isTemplate = kind === 'resources' && item.uriTemplate;
  const uriInput =
    kind === 'resources'
      ? el('input', { id: 'res-uri', value: item.uri ?? item.uriTemplate, 'aria-label': 'Resource URI' })
      : null;
  const progress = el('progress', { hidden: true, 'aria-label': 'Progress' });
  const result = el('div', { class: 'result', 'aria-live': 'polite' });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    let args;
    try {
      args = rawToggle.checked ? JSON.parse(raw.value || '{}') : readForm(fields);
    } catch (err) {
      return result.replaceChildren(el('p', { class: 'error', text: `Arguments are not valid JSON: ${err.message}` }));
    }
    const path =
      kind === 'tools'
        ? `/tools/${encodeURIComponent(item.name)}/call`
        : kind === 'prompts'
          ? `/prompts/${encodeURIComponent(item.name)}/get`
          : '/resources/read';
    const body = kind === 'resources' ? { uri: uriInput.value } : { arguments: args };
    run(path, body, progress, result);
  });
  $('tester').replaceChildren(
    el('h3', { text: item.name ?? item.uri ?? item.uriTemplate }),
    el('p', { class: 'muted', text: `${item.server ? `on ${item.server}. ` : ''}${item.description ?? ''}` }),
    form,
  );
  if (uriInput)
    form.append(
      el(
        'div',
        { class: 'field' },
        el('label', { class: 'block', for: 'res-uri', text: isTemplate ? 'URI (fill in the template)' : 'URI' }),
        uriInput,
      ),
    );
  else form.append(fields, el('label', { class: 'inline muted' }, rawToggle, ' Raw JSON'), raw);
  form.append(
    el(
      'div',
      { class: 'buttons' },
      el('button', { type: 'submit', text: kind === 'tools' ? 'Call' : kind === 'prompts' ? 'Get' : 'Read' }),
    ),
    progress,
    result,
  );
}

/** Runs one call as an SSE request: progress while it runs, then the result or the error. */
function run(path, body, progress, result) {
  result.replaceChildren(el('p', { class: 'muted', text: 'Running...' }));
  progress.hidden = false;
  progress.removeAttribute('value');
  stream(
    'call',
    path,
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
    (event, data) => {
      if (event === 'progress') {
        if (data.total) {
          progress.max = data.total;
          progress.value = data.progress;
        }
        result.replaceChildren(
          el('p', {
            class: 'muted',
            text: data.message ?? `progress ${data.progress}${data.total ? ` of ${data.total}` : ''}`,
          }),
        );
      } else {
        progress.hidden = true;
        result.replaceChildren(
          event === 'result'
            ? renderResult(data)
            : el('p', { class: 'error', role: 'alert', text: data.error?.message ?? data.message }),
        );
      }
    },
  );
}

function safe(fn, fallback) {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

/** Text, images, audio, embedded resources, links, structured content, messages, contents. */
function renderResult(r) {
  const out = el('div', { class: r.isError ? 'is-error' : '' });
  if (r.isError) out.append(el('p', { class: 'error', role: 'alert', text: 'The tool reported an error:' }));
  const blocks = [
    ...(r.content ?? []),
    ...(r.messages ?? []).map((m) => ({ ...m.content, role: m.role })),
    ...(r.contents ?? []).map((c) => ({ type: 'resource', resource: c })),
  ];
  for (const c of blocks) out.append(renderContent(c));
  if (r.structuredContent !== undefined)
    out.append(
      el('h4', { text: 'Structured content' }),
      el('pre', { text: JSON.stringify(r.structuredContent, null, 2) }),
    );
  out.append(el('details', {}, el('summary', { text: 'Raw result' }), el('pre', { text: JSON.stringify(r, null, 2) })));
  return out;
}

function renderContent(c) {
  const role = c.role ? `${c.role}: ` : '';
  if (c.type === 'text') return el('pre', { text: role + c.text });
  if (c.type === 'image')
    return el('img', { src: `data:${c.mimeType};base64,${c.data}`, alt: `image (${c.mimeType})` });
  if (c.type === 'audio') return el('audio', { controls: true, src: `data:${c.mimeType};base64,${c.data}` });
  if (c.type === 'resource_link') return el('p', { text: `${role}link: ${c.uri}${c.name ? ` (${c.name})` : ''}` });
  if (c.type === 'resource') {
    const r = c.resource ?? {};
    if (r.blob && /^image\//.test(r.mimeType ?? ''))
      return el(
        'figure',
        {},
        el('img', { src: `data:${r.mimeType};base64,${r.blob}`, alt: r.uri }),
        el('figcaption', { text: r.uri }),
      );
    return el(
      'div',
      {},
      el('p', { class: 'muted', text: `${role}${r.uri ?? ''} ${r.mimeType ?? ''}` }),
      el('pre', { text: r.text ?? (r.blob ? `(${r.blob.length} base64 characters)` : '') }),
    );
  }
  return el('pre', { text: JSON.stringify(c, null, 2) });
}
