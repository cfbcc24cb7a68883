// capstan's web console: every page is a view of the manager's API.
// Nothing here is trusted: the API checks the session, the CSRF token and
// the user's group on every change; the page only hides what would be
// refused. All text from the API goes in as text, never as HTML.

const session = { user: null, group: null, csrf: null };
let schema = null; // the API's OpenAPI description, for the forms

class APIError extends Error {
  constructor(message, field, status) { super(message); this.field = field; this.status = status; }
}

async function api(method, path, body) {
  const opts = { method, headers: {}, credentials: 'same-origin' };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  if (method !== 'GET' && session.csrf) opts.headers['X-CSRF-Token'] = session.csrf;
  const r = await fetch(path, opts);
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (r.status === 401 && path !== '/api/v1/login') {
    session.user = null;
    showLogin('Your session ended: log in again.');
    throw new APIError('not logged in', '', 401);
  }
  if (!r.ok) throw new APIError((data && data.error) || r.statusText, data && data.field, r.status);
  return { data, total: r.headers.get('X-Total-Count') };
}

// h makes an element: attributes (on* as listeners) and children (text or
// nodes).
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const main = () => document.getElementById('main');
const canChange = () => session.group === 'full';

function toast(msg) {
  const t = document.getElementById('toast');
  t.textContent = msg;
  setTimeout(() => { if (t.textContent === msg) t.textContent = ''; }, 4000);
}

function showLogin(note) {
  document.getElementById('nav').hidden = true;
  document.getElementById('who').hidden = true;
  const err = h('p', { class: 'err', id: 'login-error', role: 'alert' }, note || '');
  const form = h('form', { class: 'login', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, 'Log in to capstan'),
    h('label', {}, 'Name', h('input', { name: 'name', autocomplete: 'username', required: true })),
    h('label', {}, 'Password', h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
    err,
    h('button', { type: 'submit' }, 'Log in'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    try {
      const { data } = await api('POST', '/api/v1/login', { name: f.get('name'), password: f.get('password') });
      Object.assign(session, { user: data.user, group: data.group, csrf: data.csrf_token });
      started();
    } catch (ex) { err.textContent = ex.message; }
  });
  main().replaceChildren(form);
  form.querySelector('input').focus();
}

// --- pages ---------------------------------------------------------------

const pages = {
  dashboard: { title: 'Dashboard', render: dashboard },
  caps: { title: 'Remote CAPs', render: remoteCaps },
  interfaces: { title: 'Interfaces', render: interfaces },
  clients: { title: 'Registration table', render: clients },
  config: { title: 'Configuration', render: configuration },
  pki: { title: 'PKI', render: pki },
  users: { title: 'Users', render: users },
  events: { title: 'Events', render: eventLog },
};

// --- the live event stream ---------------------------------------------------

const listeners = new Set();
let stream = null;
let lastEvent = 0;

function openStream() {
  if (stream) return;
  // From now on: a page that opens wants what happens next, not the last
  // thousand events again (each would re-render the page it is on). The
  // events page reads the backlog itself; a dropped stream resumes with
  // Last-Event-ID.
  stream = new EventSource('/api/v1/events/stream' + (lastEvent ? '?since=' + lastEvent : ''));
  stream.addEventListener('log', (m) => {
    const e = JSON.parse(m.data);
    if (e.id <= lastEvent) return;
    lastEvent = e.id;
    for (const f of listeners) f(e);
  });
}

function closeStream() {
  if (stream) stream.close();
  stream = null;
}

function eventRow(e) {
  const a = e.attrs || {};
  const who = a.cap || a.peer || a.interface || a.common_name || '';
  const detail = Object.entries(a).filter(([k]) => !['cap', 'peer'].includes(k)).map(([k, v]) => `${k}=${v}`).join(' ');
  return h('tr', { 'data-id': e.id, 'data-latency-ms': Math.max(0, Date.now() - Date.parse(e.time)) },
    h('td', {}, new Date(e.time).toLocaleTimeString()), h('td', {}, e.level), h('td', {}, e.message), h('td', {}, who), h('td', { class: 'muted' }, detail));
}

async function eventLog() {
  const { data } = await api('GET', '/api/v1/events');
  const list = data || [];
  if (list.length) lastEvent = Math.max(lastEvent, list[list.length - 1].id);
  const body = h('tbody', { id: 'events' }, list.slice().reverse().map(eventRow));
  const live = (e) => {
    if (!document.body.contains(body)) { listeners.delete(live); return; }
    body.prepend(eventRow(e));
    while (body.children.length > 1000) body.lastChild.remove();
  };
  listeners.add(live);
  openStream();
  return [h('h1', {}, 'Events'), h('p', { class: 'muted' }, 'Live: joins, losses, refusals and applied configurations as the manager logs them.'),
    h('div', { class: 'table-wrap' }, h('table', {}, h('thead', {}, h('tr', {}, ['Time', 'Level', 'Event', 'CAP', 'Detail'].map(x => h('th', { scope: 'col' }, x)))), body))];
}

function table(columns, rows, actions) {
  const head = h('tr', {}, columns.map(c => h('th', { scope: 'col' }, c.label)), actions ? h('th', { scope: 'col' }, 'Actions') : null);
  const body = rows.map(r => h('tr', {}, columns.map(c => {
    const v = c.fmt ? c.fmt(r[c.key], r) : r[c.key];
    return h('td', { class: c.cls ? c.cls(r) : null }, v === undefined || v === null ? '' : v);
  }), actions ? h('td', {}, actions(r)) : null));
  return h('div', { class: 'table-wrap' }, h('table', {}, h('thead', {}, head), h('tbody', {}, body)));
}

async function count(query) {
  const { data } = await api('GET', '/api/v1/remote-caps?count-only=true' + (query ? '&' + query : ''));
  return data.count;
}

// chart draws points ({t: ms, v}) as an SVG line with its peak, start and
// end marked; its label says the same in words.
function chart(id, title, unit, points) {
  const NS = 'http://www.w3.org/2000/svg';
  const el = (tag, attrs, text) => {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const W = 520, H = 170, L = 48, B = 24, T = 10, R = 10;
  const peak = Math.max(0, ...points.map(p => p.v));
  const top = peak > 0 ? peak * 1.1 : 1;
  const t0 = points.length ? points[0].t : 0, t1 = points.length ? points[points.length - 1].t : 1;
  const x = t => L + (t1 > t0 ? (t - t0) / (t1 - t0) : 1) * (W - L - R);
  const y = v => H - B - (v / top) * (H - B - T);
  const last = points.length ? points[points.length - 1].v : 0;
  const fmt = v => (Math.round(v * 100) / 100).toString();
  const svg = el('svg', { id, viewBox: `0 0 ${W} ${H}`, role: 'img', class: 'chart',
    'aria-label': `${title}: ${fmt(last)} ${unit} now, peak ${fmt(peak)} ${unit}, ${points.length} samples` });
  svg.append(el('line', { x1: L, y1: H - B, x2: W - R, y2: H - B, class: 'axis' }), el('line', { x1: L, y1: T, x2: L, y2: H - B, class: 'axis' }),
    el('text', { x: L - 4, y: y(peak) + 4, 'text-anchor': 'end' }, fmt(peak)), el('text', { x: L - 4, y: H - B + 4, 'text-anchor': 'end' }, '0'));
  if (points.length) {
    svg.append(el('text', { x: L, y: H - 6 }, new Date(t0).toLocaleTimeString()), el('text', { x: W - R, y: H - 6, 'text-anchor': 'end' }, 'now'),
      el('polyline', { points: points.map(p => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' '), class: 'line' }));
  }
  return h('figure', { class: 'card' }, h('figcaption', {}, `${title} (${unit}), last hours`), svg);
}

async function dashboard() {
  const states = ['join', 'configure', 'data-check', 'image-data'];
  const [all, run, errors, byState, enroll, regs, hist] = await Promise.all([count(''), count('state=run'), count('config_error=*'),
    Promise.all(states.map(st => count('state=' + st))),
    api('GET', '/api/v1/enrollment-requests').then(r => r.data || []),
    api('GET', '/api/v1/registration-table?count-only=true').then(r => r.data.count),
    api('GET', '/api/v1/history?hours=6').then(r => r.data).catch(() => ({ samples: [] }))]);
  const samples = (hist && hist.samples) || [];
  const clientPts = samples.map(s => ({ t: Date.parse(s.time), v: s.clients }));
  const trafficPts = samples.slice(1).map((s, i) => {
    const p = samples[i], dt = (Date.parse(s.time) - Date.parse(p.time)) / 1000;
    return { t: Date.parse(s.time), v: dt > 0 && s.bytes >= p.bytes ? (s.bytes - p.bytes) * 8 / dt / 1e6 : 0 };
  });
  const card = (n, l, id) => h('div', { class: 'card', id }, h('div', { class: 'n' }, n), h('div', { class: 'l' }, l));
  // Live: CAP and enrollment events re-render the dashboard.
  let pending = null;
  const live = (e) => {
    if (main().dataset.page !== 'dashboard') { listeners.delete(live); return; }
    if (/^(CAP|enrollment|certificate)/.test(e.message) && !pending) pending = setTimeout(() => { pending = null; listeners.delete(live); route(true); }, 300);
  };
  listeners.add(live);
  openStream();
  return [h('h1', {}, 'Dashboard'), h('div', { class: 'cards' },
    card(all, 'CAPs', 'dash-caps'), card(run, 'in run', 'dash-run'), card(all - run, 'not in run', 'dash-notrun'),
    states.map((st, i) => card(byState[i], st === 'image-data' ? 'upgrading' : 'in ' + st, 'dash-' + st)),
    card(errors, 'configuration errors', 'dash-errors'),
    card(enroll.filter(q => q.state === 'pending').length, 'pending adoptions', 'dash-pending'),
    card(regs, 'clients', 'dash-clients')),
    h('div', { class: 'charts' }, chart('chart-clients', 'Clients', 'clients', clientPts), chart('chart-traffic', 'Client traffic', 'Mbit/s', trafficPts))];
}

async function remoteCaps(params) {
  const offset = Number(params.get('offset') || 0);
  const [{ data, total }, s, reqs] = await Promise.all([api('GET', '/api/v1/remote-caps?' + listQuery(params, ['state', 'identity', 'board'])), loadSchema(),
    api('GET', '/api/v1/enrollment-requests').then(r => r.data || []).catch(() => [])]);
  const rows = data || [];
  const pending = reqs.filter(q => q.state === 'pending');
  const mine = s.info && s.info.version;
  // Upgrade: delivering an image now, or a version other than the
  // manager's (which the upgrade policy offers at the next join).
  const upgrade = r => r.state === 'image-data' ? 'upgrading' : (mine && r.version !== mine ? 'differs from ' + mine : 'current');
  const form = filterForm('caps', ['identity', 'state', 'board'], params);
  const act = (name, label) => (r) => h('button', { type: 'button', class: 'quiet', disabled: !canChange(), onclick: async () => {
    try { await api('POST', `/api/v1/remote-caps/${encodeURIComponent(r.identity)}/${name}`); toast(`${label}: ${r.identity}`); } catch (ex) { toast(ex.message); }
  } }, label);
  const pager = pagerBar('caps', params, offset, rows.length, total);
  const adopt = pending.length ? [h('h2', {}, 'Waiting to be adopted'),
    table([{ key: 'common_name', label: 'CAP' }, { key: 'address', label: 'Address' }, { key: 'requested_at', label: 'Asked' }], pending,
      r => [enrollmentAction('approve', 'Adopt')(r), ' ', enrollmentAction('reject', 'Reject')(r)]), h('h2', {}, 'Joined')] : [];
  return [h('h1', {}, 'Remote CAPs'), ...adopt, form, pager, table([
    { key: 'identity', label: 'Identity' }, { key: 'state', label: 'State', cls: r => r.state === 'run' ? 'state-run' : '' },
    { key: 'address', label: 'Address' }, { key: 'base_mac', label: 'Base MAC' }, { key: 'board', label: 'Board' },
    { key: 'version', label: 'Version' }, { key: 'upgrade', label: 'Upgrade', fmt: (_, r) => upgrade(r) },
    { key: 'radios', label: 'Radios' }, { key: 'clients', label: 'Clients' },
    { key: 'common_name', label: 'Certificate' }, { key: 'config_error', label: 'Configuration error' },
    ...fleetColumn(rows),
  ], rows, r => [act('provision', 'Provision')(r), ' ', act('reselect-channel', 'Reselect channel')(r)])];
}

// --- paged tables: the server filters and pages, the page shows 50 rows -----

const pageSize = 50;

// listQuery is a list's query string from the page's: its filters, offset
// and a page's worth of rows.
function listQuery(params, keys) {
  const q = new URLSearchParams();
  for (const k of keys) if (params.get(k)) q.set(k, params.get(k));
  q.set('offset', Number(params.get('offset') || 0));
  q.set('limit', pageSize);
  return q;
}

// filterForm filters the page by the fields keys (exact values, as the
// API compares them).
function filterForm(page, keys, params) {
  const form = h('form', { class: 'bar', role: 'search' },
    keys.map(k => h('label', {}, k, h('input', { name: k, value: params.get(k) || '' }))),
    h('button', { type: 'submit' }, 'Filter'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (v) q.set(k, v);
    location.hash = `#/${page}?` + q;
  });
  return form;
}

// pagerBar says which rows are shown of how many and moves a page back or on.
function pagerBar(page, params, offset, shown, total) {
  const go = (o) => { const q = new URLSearchParams(params); q.set('offset', o); location.hash = `#/${page}?` + q; };
  return h('div', { class: 'bar' },
    h('span', { class: 'muted', id: page + '-range' }, `${shown ? offset + 1 : 0}–${offset + shown} of ${total || shown}`),
    h('button', { type: 'button', class: 'quiet', disabled: offset === 0, onclick: () => go(Math.max(0, offset - pageSize)) }, 'Previous'),
    h('button', { type: 'button', class: 'quiet', disabled: offset + shown >= Number(total || 0), onclick: () => go(offset + pageSize) }, 'Next'));
}

function flags(r) {
  // RouterOS-style: M master, D dynamic, B bound, X disabled, I inactive, R running.
  let f = '';
  if (!r.master_interface) f += 'M';
  if (!r.static) f += 'D';
  if (r.cap) f += 'B';
  if (r.disabled) f += 'X';
  f += r.error ? 'I' : 'R';
  return f;
}

async function interfaces(params) {
  const keys = ['cap', 'name', 'configuration'];
  const offset = Number(params.get('offset') || 0);
  const { data, total } = await api('GET', '/api/v1/provisioned-interfaces?' + listQuery(params, keys));
  const rows = data || [];
  return [h('h1', {}, 'Interfaces'), filterForm('interfaces', keys, params), pagerBar('interfaces', params, offset, rows.length, total), table([
    { key: 'flags', label: 'Flags', fmt: (_, r) => flags(r) }, { key: 'name', label: 'Name' }, { key: 'cap', label: 'CAP' },
    { key: 'radio_id', label: 'Radio' }, { key: 'configuration', label: 'Configuration' },
    { key: 'selected_channel_mhz', label: 'Channel (MHz)' }, { key: 'clients', label: 'Clients' },
    { key: 'error', label: 'Error' },
  ], rows)];
}

let clientsTimer = null;

// fleetColumn is the Manager column, shown when several managers share the
// fleet (rows then name the manager that holds each CAP).
function fleetColumn(rows) {
  return rows.some(r => r.manager) ? [{ key: 'manager', label: 'Manager' }] : [];
}

async function clients(params) {
  const keys = ['cap', 'ssid', 'mac'];
  const offset = Number(params.get('offset') || 0);
  const { data, total } = await api('GET', '/api/v1/registration-table?' + listQuery(params, keys));
  // Signal and rates change without an event: refresh every 5 s while shown.
  clearTimeout(clientsTimer);
  clientsTimer = setTimeout(() => { if (main().dataset.page === 'clients') route(true); }, 5000);
  return [h('h1', {}, 'Registration table'), filterForm('clients', keys, params), pagerBar('clients', params, offset, (data || []).length, total), table([
    { key: 'mac', label: 'MAC' }, { key: 'interface', label: 'Interface' }, { key: 'ssid', label: 'SSID' },
    { key: 'signal', label: 'Signal (dBm)' }, { key: 'tx_rate_kbps', label: 'Tx rate', fmt: v => (v / 1000).toFixed(1) + ' Mbit/s' },
    { key: 'rx_rate_kbps', label: 'Rx rate', fmt: v => (v / 1000).toFixed(1) + ' Mbit/s' }, { key: 'uptime', label: 'Uptime' },
    ...fleetColumn(data || []),
  ], data || [], r => h('button', { type: 'button', class: 'danger', disabled: !canChange(), onclick: async () => {
    try { await api('POST', '/api/v1/registration-table/remove', { mac: r.mac }); toast('kicked ' + r.mac); route(); } catch (ex) { toast(ex.message); }
  } }, 'Kick'))];
}

// --- configuration, from the schema ----------------------------------------

async function loadSchema() {
  if (!schema) schema = (await api('GET', '/api/v1/openapi.json')).data;
  return schema;
}

function resources(s) {
  return Object.keys(s.paths).filter(p => /^\/api\/v1\/[a-z-]+$/.test(p) && s.paths[p].post && s.paths[p].get &&
    s.components.schemas[p.slice(8)]).map(p => p.slice(8)).sort();
}

function fieldInput(name, prop, value) {
  const id = 'f-' + name;
  const errId = id + '-err';
  let input;
  if (prop.enum) {
    input = h('select', { name, id, 'aria-describedby': errId }, h('option', { value: '' }, '—'),
      prop.enum.map(v => h('option', { value: v, selected: value === v }, v)));
  } else if (prop.type === 'boolean') {
    input = h('select', { name, id, 'aria-describedby': errId }, h('option', { value: '' }, '—'),
      h('option', { value: 'true', selected: value === true }, 'yes'), h('option', { value: 'false', selected: value === false }, 'no'));
  } else {
    input = h('input', { name, id, 'aria-describedby': errId, type: prop.type === 'integer' ? 'number' : (prop.format === 'password' ? 'password' : 'text'),
      autocomplete: prop.format === 'password' ? 'new-password' : 'off',
      value: value === undefined || value === null ? '' : (Array.isArray(value) ? value.join(',') : value) });
  }
  return h('label', { for: id }, name, input, h('span', { class: 'err', id: errId }));
}

function formValue(prop, raw) {
  if (raw === '') return undefined;
  if (prop.type === 'integer') return Number(raw);
  if (prop.type === 'boolean') return raw === 'true';
  if (prop.type === 'array') return raw.split(',').map(s => s.trim()).filter(Boolean);
  return raw;
}

async function configuration(params) {
  const s = await loadSchema();
  const names = resources(s);
  const res = params.get('r') || names[0];
  const props = s.components.schemas[res].properties || {};
  const fields = Object.keys(props).filter(k => !props[k].readOnly);
  const { data } = await api('GET', '/api/v1/' + res);
  const items = data || [];
  const picker = h('nav', { class: 'bar', 'aria-label': 'Resources' }, names.map(n =>
    h('a', { href: '#/config?r=' + n, 'aria-current': n === res ? 'page' : null }, n)));
  const form = h('form', { class: 'item', id: 'add-form', 'aria-label': 'Add ' + res, hidden: !canChange() },
    fields.map(k => fieldInput(k, props[k])), h('div', {}, h('button', { type: 'submit' }, 'Add')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    form.querySelectorAll('.err').forEach(x => { x.textContent = ''; });
    form.querySelectorAll('[aria-invalid]').forEach(x => x.removeAttribute('aria-invalid'));
    const body = {};
    for (const k of fields) {
      const v = formValue(props[k], form.elements[k].value);
      if (v !== undefined) body[k] = v;
    }
    try {
      await api('POST', '/api/v1/' + res, body);
      toast('added');
      route();
    } catch (ex) {
      const input = ex.field && form.elements[ex.field];
      if (input) {
        input.setAttribute('aria-invalid', 'true');
        document.getElementById('f-' + ex.field + '-err').textContent = ex.message;
        input.focus();
      } else toast(ex.message);
    }
  });
  // Columns: the name, then the fields some item sets, at most eight.
  const set = fields.filter(k => k !== 'name' && items.some(it => it[k] !== undefined && it[k] !== null && it[k] !== ''));
  const shown = [...(props.name ? ['name'] : []), ...set].slice(0, 8);
  const rows = table(shown.map(k => ({ key: k, label: k, fmt: v => typeof v === 'object' && v !== null ? JSON.stringify(v) : v })), items,
    (r) => canChange() ? [
      h('button', { type: 'button', class: 'quiet', onclick: async () => {
        const i = items.indexOf(r);
        if (i <= 0) return;
        try { await api('POST', `/api/v1/${res}/*${r.id}/move`, { destination: '*' + items[i - 1].id }); route(); } catch (ex) { toast(ex.message); }
      } }, 'Move up'), ' ',
      h('button', { type: 'button', class: 'danger', onclick: async () => {
        try { await api('DELETE', `/api/v1/${res}/*${r.id}`); route(); } catch (ex) { toast(ex.message); }
      } }, 'Remove')] : null);
  return [h('h1', {}, 'Configuration: ' + res), picker, rows, canChange() ? h('h2', {}, 'Add') : null, form];
}

// --- PKI and users -------------------------------------------------------------

// enrollmentAction is a button that approves, rejects or removes an
// enrollment request.
function enrollmentAction(action, label) {
  return (r) => h('button', { type: 'button', class: 'quiet', disabled: !canChange(), onclick: async () => {
    try { await api('POST', `/api/v1/enrollment-requests/${encodeURIComponent(r.id)}/${action}`, {}); route(); } catch (ex) { toast(ex.message); }
  } }, label);
}

async function pki() {
  const [certs, reqs] = await Promise.all([api('GET', '/api/v1/certificates').then(r => r.data || []).catch(() => []),
    api('GET', '/api/v1/enrollment-requests').then(r => r.data || []).catch(() => [])]);
  const otp = h('div', { id: 'otp' });
  const mk = h('button', { type: 'button', disabled: !canChange(), onclick: async () => {
    try {
      const { data } = await api('POST', '/api/v1/enrollment-passwords', {});
      otp.replaceChildren(h('p', {}, `One-time password ${data.id}, valid until ${data.expires}, shown once:`), h('p', { class: 'secret' }, data.password));
    } catch (ex) { toast(ex.message); }
  } }, 'New one-time password');
  const reqAct = (a) => enrollmentAction(a, a);
  return [h('h1', {}, 'PKI'), h('h2', {}, 'Enrollment requests'),
    table([{ key: 'id', label: 'ID' }, { key: 'common_name', label: 'Name' }, { key: 'state', label: 'State' }], reqs,
      r => [reqAct('approve')(r), ' ', reqAct('reject')(r)]),
    h('h2', {}, 'One-time passwords'), mk, otp,
    h('h2', {}, 'Certificates'),
    table([{ key: 'name', label: 'Name' }, { key: 'kind', label: 'Kind' }, { key: 'common_name', label: 'Common name' },
      { key: 'serial', label: 'Serial' }, { key: 'not_after', label: 'Expires' }, { key: 'status', label: 'Status' }], certs,
      r => r.kind === 'cap' && r.status === 'valid' ? revokeButton(r) : null)];
}

// revokeButton asks once more before it revokes (the CAP is disconnected
// and cannot join again with that certificate).
function revokeButton(r) {
  const b = h('button', { type: 'button', class: 'danger', disabled: !canChange() }, 'Revoke');
  b.addEventListener('click', async () => {
    if (b.dataset.armed !== 'yes') {
      b.dataset.armed = 'yes';
      b.textContent = 'Revoke ' + r.serial.slice(0, 8) + '…? Click again';
      return;
    }
    try {
      const { data } = await api('POST', '/api/v1/certificates/revoke', { ref: r.serial });
      toast(`revoked ${(data.revoked || []).length}, disconnected ${data.disconnected || 0}`);
      route();
    } catch (ex) { toast(ex.message); }
  });
  return b;
}

async function users() {
  const { data } = await api('GET', '/api/v1/users');
  const form = h('form', { class: 'item', id: 'user-form', hidden: !canChange() },
    h('label', {}, 'Name', h('input', { name: 'name', required: true })),
    h('label', {}, 'Group', h('select', { name: 'group' }, h('option', { value: 'read' }, 'read'), h('option', { value: 'full' }, 'full'))),
    h('label', {}, 'Password', h('input', { name: 'password', type: 'password', autocomplete: 'new-password', required: true })),
    h('div', {}, h('button', { type: 'submit' }, 'Add user')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    try { await api('POST', '/api/v1/users', { name: f.get('name'), group: f.get('group'), password: f.get('password') }); route(); } catch (ex) { toast(ex.message); }
  });
  return [h('h1', {}, 'Users'), table([{ key: 'name', label: 'Name' }, { key: 'group', label: 'Group' }, { key: 'created', label: 'Created' }], data || [],
    r => h('button', { type: 'button', class: 'danger', disabled: !canChange(), onclick: async () => {
      try { await api('DELETE', '/api/v1/users/' + encodeURIComponent(r.name)); route(); } catch (ex) { toast(ex.message); }
    } }, 'Remove')), canChange() ? h('h2', {}, 'Add') : null, form];
}

// --- routing ---------------------------------------------------------------

// routing counts its renders: a page that finishes after the user moved on
// is thrown away instead of painting over the newer one.
let routeGen = 0;

// route renders the page the address names. A live refresh (live true:
// events, timers) keeps the rows on screen until the new ones are ready;
// a navigation shows "Loading…" at once.
async function route(live) {
  if (!session.user) return;
  const gen = ++routeGen;
  const [path, query] = (location.hash.slice(2) || 'dashboard').split('?');
  const page = pages[path] ? path : 'dashboard';
  for (const a of document.querySelectorAll('#nav a')) a.setAttribute('aria-current', a.dataset.page === page ? 'page' : 'false');
  document.title = pages[page].title + ' · capstan';
  if (live !== true || main().dataset.page !== page) main().replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
  try {
    const nodes = await pages[page].render(new URLSearchParams(query || ''));
    if (gen !== routeGen) return;
    main().replaceChildren(...[nodes].flat());
    main().dataset.page = page;
  } catch (ex) {
    if (gen === routeGen && ex.status !== 401) main().replaceChildren(h('p', { class: 'err', role: 'alert' }, ex.message));
  }
}

// Pages without forms follow the event log: a CAP, a client, an
// enrollment or a change by anyone renders the page again (at most every
// 500 ms). The dashboard and the events page follow it themselves; pages
// with forms wait for the user.
const followers = new Set(['caps', 'interfaces', 'clients', 'pki']);
let refresh = null;
listeners.add(() => {
  const page = main().dataset.page;
  if (!followers.has(page) || refresh) return;
  refresh = setTimeout(() => { refresh = null; if (followers.has(main().dataset.page)) route(true); }, 500);
});

function started() {
  const nav = document.getElementById('nav');
  nav.replaceChildren(...Object.entries(pages).map(([k, p]) => h('a', { href: '#/' + k, 'data-page': k }, p.title)));
  nav.hidden = false;
  document.getElementById('who').hidden = false;
  document.getElementById('who-name').textContent = `${session.user} (${session.group})`;
  openStream();
  route();
}

document.getElementById('logout').addEventListener('click', async () => {
  try { await api('POST', '/api/v1/logout'); } catch { /* ended already */ }
  Object.assign(session, { user: null, group: null, csrf: null });
  closeStream();
  showLogin('Logged out.');
});
window.addEventListener('hashchange', route);
// A page being left closes its stream: otherwise the browser may keep it
// open (back/forward cache) and, over HTTP/1.1's six connections per
// host, a few page loads leave the next one waiting for a connection. A
// page shown again from that cache opens it again.
window.addEventListener('pagehide', closeStream);
window.addEventListener('pageshow', (e) => { if (e.persisted && session.user) openStream(); });

(async () => {
  try {
    const r = await fetch('/api/v1/session', { credentials: 'same-origin' });
    if (r.ok) {
      const d = await r.json();
      Object.assign(session, { user: d.user, group: d.group, csrf: d.csrf_token });
      started();
      return;
    }
  } catch { /* not logged in */ }
  showLogin();
})();
