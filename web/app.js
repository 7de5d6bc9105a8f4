// The hasvc web view: the svcmon picture, a service's print status and
// print history, and the event log, kept current from the daemon's
// server-sent events (/web/api/live). Plain DOM, no framework, no build:
// every value from the daemon goes in through textContent, never as HTML.

const $ = (sel) => document.querySelector(sel);
const SYMBOL = { up: 'O', down: 'X', warn: '!', 'n/a': '/', undef: '?', 'stdby up': 'o', 'stdby down': 'x' };
const PEER = { down: 'X', lost: '?', alive: '~' };
const MAX_EVENTS = 1000;

const state = {
  status: undefined,
  /** the status frame last drawn, as received: an identical one is not drawn again */
  statusText: undefined,
  /** the services table's rows by service, with what each was drawn from */
  rows: new Map(),
  session: { user: null, csrf: null, public: true, operator: false, loginAllowed: false },
  events: [],
  lastSeq: 0,
  source: undefined,
  route: { view: 'cluster' },
  serviceTimer: undefined,
};

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('data-')) e.setAttribute(k, String(v));
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) e.append(c);
  return e;
}

function say(text, kind = 'info') {
  const m = $('#message');
  m.textContent = text;
  m.dataset.kind = kind;
  m.hidden = !text;
}

async function api(path, o = {}) {
  const headers = { accept: 'application/json' };
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  if (o.method === 'POST' && state.session.csrf) headers['x-hasvc-csrf'] = state.session.csrf;
  const r = await fetch(`/web/api/${path}`, { method: o.method ?? 'GET', headers, credentials: 'same-origin', body: o.body === undefined ? undefined : JSON.stringify(o.body) });
  let body;
  try {
    body = await r.json();
  } catch {
    body = {};
  }
  if (!r.ok) {
    const err = new Error(body.error ?? `HTTP ${r.status}`);
    err.status = r.status;
    throw err;
  }
  return body;
}

// ---- cluster view (svcmon) ----

function instanceCell(i) {
  const warn = i.overall === 'warn' && i.avail !== 'warn' ? '!' : '';
  const frozen = i.frozen ? '*' : '';
  const busy = i.monitorState !== 'idle' ? ` ${i.monitorState}` : '';
  return `${SYMBOL[i.avail] ?? '?'}${warn}${frozen}${busy}`;
}

function serviceAvail(s) {
  return `${s.avail}${s.overall === 'warn' && s.avail !== 'warn' ? '!' : ''}${s.frozen === 'frozen' ? '*' : ''}`;
}

function renderCluster(s) {
  $('#cluster').textContent = `${s.cluster} — ${s.node}, seq ${s.lastSeq}`;
  document.title = `hasvc ${s.cluster} (${s.node})`;
  const nodes = s.nodes.map((n) => n.name);
  const head = (title) => el('tr', {}, el('th', { text: title }), el('th'), el('th'), ...nodes.map((n) => el('th', { text: n })));

  const threads = $('#threads');
  threads.replaceChildren(head('thread'));
  for (const t of s.threads) {
    const detail = t.state !== 'running' && t.detail ? ` (${t.detail})` : '';
    threads.append(
      el('tr', { 'data-thread': t.name, 'data-state': t.state },
        el('td', { text: t.name }),
        el('td', { class: `thread ${t.state}`, text: t.state }),
        el('td', { text: `${t.address ?? ''}${detail}` }),
        ...nodes.map((n) => el('td', { class: `cell hb-${t.peers?.[n] === 'O' ? 'ok' : t.peers?.[n] === 'X' ? 'ko' : 'self'}`, text: t.peers?.[n] ?? '' }))),
    );
  }

  const nodesTable = $('#nodes');
  nodesTable.replaceChildren(head('node'));
  nodesTable.append(el('tr', {}, el('td', { text: '15m load' }), el('td'), el('td'), ...s.nodes.map((n) => el('td', { text: n.load15m === undefined || n.load15m === null ? '' : n.load15m.toFixed(1) }))));
  nodesTable.append(
    el('tr', {}, el('td', { text: 'state' }), el('td'), el('td'),
      ...s.nodes.map((n) => el('td', { class: `peer ${n.state ?? 'up'}`, 'data-node': n.name, 'data-peer-state': n.local ? 'local' : (n.state ?? 'unknown'), 'data-frozen': String(n.frozen), title: n.why ?? (n.local ? 'this node' : ''), text: `${n.frozen ? '*' : ''}${PEER[n.state ?? 'up'] ?? ''}${n.local ? ' (this node)' : ''}` }))),
  );

  renderServices(s.services, nodes, head);

  const warnings = s.warnings ?? [];
  $('#warnings').hidden = warnings.length === 0;
  $('#warning-list').replaceChildren(...warnings.map((w) => el('li', { text: w })));
}

function serviceRow(x, nodes) {
  const byNode = new Map(x.instances.map((i) => [i.node, i]));
  return el('tr', { 'data-svc': x.name, 'data-avail': x.avail, 'data-overall': x.overall, 'data-frozen': x.frozen, title: x.decision ?? x.error ?? '' },
    el('td', {}, el('a', { href: `#/svc/${encodeURIComponent(x.name)}`, text: x.name })),
    el('td', { class: `avail ${x.overall === 'warn' ? 'warn' : x.avail}`, text: serviceAvail(x) }),
    el('td', { text: `${x.topology}${x.orchestrate !== 'no' ? ` ${x.orchestrate}` : ''}` }),
    ...nodes.map((n) => {
      const i = byNode.get(n);
      if (!i) return el('td', { class: 'cell' });
      return el('td', { class: `cell avail ${i.avail}`, 'data-svc': x.name, 'data-node': n, 'data-avail': i.avail, 'data-overall': i.overall, 'data-frozen': String(i.frozen), 'data-state': i.monitorState, title: `${i.avail}${i.overall !== i.avail ? ` (overall ${i.overall})` : ''}${i.frozen ? ', frozen' : ''}, ${i.monitorState}`, text: instanceCell(i) });
    }),
  );
}

/**
 * The services × nodes table: a row is built again only when its service
 * (or the nodes) changed; the first picture goes into the document in one
 * insertion, a change replaces just the rows that changed.
 */
function renderServices(list, nodes, head) {
  const services = $('#services');
  const cols = nodes.join('\u0000');
  const before = state.rows;
  const rows = new Map();
  const wanted = list.map((x) => {
    const key = `${cols}\u0001${JSON.stringify(x)}`;
    const had = before.get(x.name);
    const tr = had && had.key === key ? had.tr : serviceRow(x, nodes);
    rows.set(x.name, { key, tr });
    return tr;
  });
  state.rows = rows;
  const shown = services.rows;
  const same = services.dataset.cols === cols && shown.length === wanted.length + 1;
  if (!same) {
    services.dataset.cols = cols;
    services.replaceChildren(head('service'), ...wanted);
    return;
  }
  wanted.forEach((tr, k) => {
    const old = shown[k + 1];
    if (old !== tr) old.replaceWith(tr);
  });
}

// ---- service view ----

function paintStatus(pre, lines) {
  pre.replaceChildren();
  for (const line of lines) {
    const parts = line.split(/(\bup\b|\bdown\b|\bwarn\b|\bn\/a\b|\bundef\b)/);
    for (const p of parts) {
      if (/^(up|down|warn|n\/a|undef)$/.test(p)) pre.append(el('span', { class: `avail ${p}`, text: p }));
      else pre.append(document.createTextNode(p));
    }
    pre.append('\n');
  }
}

async function showService(svc) {
  try {
    const [st, hist] = await Promise.all([api(`services/${encodeURIComponent(svc)}`), api(`services/${encodeURIComponent(svc)}/history`)]);
    if (state.route.view !== 'service' || state.route.svc !== svc) return;
    $('#svc-name').textContent = svc;
    const avail = $('#svc-avail');
    avail.textContent = st.view.overall !== st.view.avail ? `${st.view.avail} ${st.view.overall}` : st.view.avail;
    avail.className = `avail ${st.view.overall === 'warn' ? 'warn' : st.view.avail}`;
    const pre = $('#svc-status');
    pre.dataset.svc = svc;
    pre.dataset.avail = st.view.avail;
    pre.dataset.frozen = String(st.view.instances.find((i) => i.node === state.status?.node)?.frozen ?? false);
    paintStatus(pre, st.lines);
    $('#svc-history').textContent = hist.lines.join('\n') + (hist.total > hist.entries.length ? `\n(${hist.total - hist.entries.length} older entries not shown: svcmgr -s ${svc} print history)` : '');
    const decision = state.status?.services.find((x) => x.name === svc)?.decision;
    $('#svc-decision').hidden = !decision;
    $('#svc-decision').textContent = decision ? `orchestrator: ${decision}` : '';
    $('#svc-events').href = `#/events?svc=${encodeURIComponent(svc)}`;
  } catch (e) {
    say(e.message, 'error');
  }
}

/** A change of the service shown: read it again, once for a burst of events. */
function refreshServiceSoon() {
  if (state.serviceTimer) return;
  state.serviceTimer = setTimeout(() => {
    state.serviceTimer = undefined;
    if (state.route.view === 'service') void showService(state.route.svc);
  }, 150);
}

function renderActionsHint() {
  const s = state.session;
  const hint = !s.operator ? 'no operator is set on this node (nodemgr web password): read-only' : s.user ? `acting as ${s.user}: start and stop for the cluster, freeze and thaw on ${state.status?.node ?? 'this node'}` : 'log in as the operator to act';
  $('#svc-actions-hint').textContent = hint;
}

function confirmAction(action, svc) {
  const dialog = $('#confirm');
  const input = $('#confirm-input');
  const ok = $('#confirm-ok');
  // start and stop are the service's target for the whole cluster, as svcmgr -s svc1 start: said before it is confirmed
  const where = action === 'start' ? 'on the cluster (where its placement says)' : action === 'stop' ? 'on every node of the cluster' : `on ${state.status?.node ?? 'this node'}`;
  $('#confirm-text').textContent = `${action[0].toUpperCase()}${action.slice(1)} ${svc} ${where}?`;
  input.value = '';
  ok.disabled = true;
  input.oninput = () => (ok.disabled = input.value !== svc);
  return new Promise((resolve) => {
    dialog.onclose = () => resolve(dialog.returnValue === 'ok' && input.value === svc);
    dialog.showModal();
    input.focus();
  });
}

async function act(action) {
  const svc = state.route.svc;
  if (!(await confirmAction(action, svc))) return;
  say(`${action} ${svc}…`);
  try {
    const r = await api(`services/${encodeURIComponent(svc)}/actions`, { method: 'POST', body: { action, confirm: svc } });
    const outcome = r.target !== undefined ? `target ${r.target} recorded` : r.ok ? 'done' : 'failed';
    say(`${action} ${svc}: ${outcome}${r.lines?.length ? `\n${r.lines.join('\n')}` : ''}`, r.ok ? 'ok' : 'error');
  } catch (e) {
    say(`${action} ${svc} refused: ${e.message}`, 'error');
    if (e.status === 401) await loadSession();
  }
}

// ---- events view ----

function filters() {
  const q = new URLSearchParams(location.hash.split('?')[1] ?? '');
  return { svc: q.get('svc') ?? '', node: q.get('node') ?? '', type: q.get('type') ?? '' };
}

function matches(e, f) {
  const types = f.type.split(',').map((t) => t.trim()).filter(Boolean);
  return (!f.svc || e.event.svc === f.svc) && (!f.node || e.event.origin === f.node) && (types.length === 0 || types.includes(e.event.type));
}

function eventRow(e) {
  const ev = e.event;
  return el('tr', { 'data-seq': e.streamSeq, 'data-type': ev.type, 'data-svc': ev.svc ?? '' },
    el('td', { text: String(e.streamSeq) }),
    el('td', { text: ev.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z') }),
    el('td', { text: ev.origin }),
    el('td', { text: ev.svc ?? '' }),
    el('td', { text: ev.rid ?? '' }),
    el('td', { class: 'type', text: ev.type }),
    el('td', { class: 'data', text: JSON.stringify(ev.data) }));
}

function renderEvents() {
  const f = filters();
  const form = $('#event-filters');
  for (const k of ['svc', 'node', 'type']) if (document.activeElement !== form.elements[k]) form.elements[k].value = f[k];
  const rows = state.events.filter((e) => matches(e, f)).slice(-500).reverse().map(eventRow);
  $('#events tbody').replaceChildren(...rows);
}

async function loadEvents() {
  const f = filters();
  const q = new URLSearchParams({ limit: '1000', ...Object.fromEntries(Object.entries(f).filter(([, v]) => v)) });
  try {
    const page = await api(`events?${q}`);
    state.events = page.events;
    renderEvents();
  } catch (e) {
    say(e.message, 'error');
  }
}

// ---- live ----

function showStatus(text) {
  if (text === state.statusText) return;
  state.statusText = text;
  state.status = JSON.parse(text);
  renderCluster(state.status);
  renderActionsHint();
}

function follow() {
  state.source?.close();
  const src = new EventSource('/web/api/live');
  state.source = src;
  const live = $('#live');
  src.onopen = () => {
    live.dataset.state = 'live';
    live.textContent = 'live';
  };
  src.onerror = () => {
    live.dataset.state = 'disconnected';
    live.textContent = 'disconnected, retrying';
  };
  src.addEventListener('status', (m) => showStatus(m.data));
  src.addEventListener('events', (m) => {
    const page = JSON.parse(m.data);
    state.lastSeq = page.lastSeq;
    const fresh = page.events.filter((e) => !state.events.length || e.streamSeq > state.events[state.events.length - 1].streamSeq);
    state.events.push(...fresh);
    if (state.events.length > MAX_EVENTS) state.events.splice(0, state.events.length - MAX_EVENTS);
    if (state.route.view === 'events') renderEvents();
    if (state.route.view === 'service' && fresh.some((e) => e.event.svc === state.route.svc)) refreshServiceSoon();
  });
  src.addEventListener('reload', () => void loadEvents());
  src.addEventListener('logout', () => {
    src.close();
    void loadSession().then(start);
  });
}

// ---- session ----

function renderSession() {
  const s = state.session;
  $('#user').textContent = s.user ? `operator: ${s.user}` : s.operator ? '' : 'read-only';
  $('#logout').hidden = !s.user;
  $('#login').hidden = Boolean(s.user) || !s.operator;
  renderActionsHint();
}

async function loadSession() {
  try {
    state.session = await api('session');
  } catch (e) {
    say(e.message, 'error');
  }
  renderSession();
}

async function login(ev) {
  ev.preventDefault();
  const form = ev.target;
  if (!state.session.loginAllowed) {
    say('log in over HTTPS ([listener] tls_cert), or through an ssh tunnel to the node: a password is never sent in clear', 'error');
    return;
  }
  try {
    const r = await api('login', { method: 'POST', body: { user: form.elements.user.value, password: form.elements.password.value } });
    form.elements.password.value = '';
    state.session = { ...state.session, user: r.user, csrf: r.csrf };
    say(`logged in as ${r.user}`, 'ok');
    renderSession();
    start();
  } catch (e) {
    say(`login refused: ${e.message}`, 'error');
  }
}

async function logout() {
  try {
    await api('logout', { method: 'POST', body: {} });
  } catch (e) {
    say(e.message, 'error');
  }
  await loadSession();
  if (!state.session.public) state.source?.close();
}

// ---- routes ----

function route() {
  const [path] = location.hash.slice(1).split('?');
  const m = /^\/svc\/(.+)$/.exec(path ?? '');
  state.route = m ? { view: 'service', svc: decodeURIComponent(m[1]) } : path === '/events' ? { view: 'events' } : { view: 'cluster' };
  $('#view-cluster').hidden = state.route.view !== 'cluster';
  $('#view-service').hidden = state.route.view !== 'service';
  $('#view-events').hidden = state.route.view !== 'events';
  if (state.route.view === 'service') {
    $('#svc-name').textContent = state.route.svc;
    $('#svc-status').replaceChildren();
    $('#svc-history').textContent = '';
    void showService(state.route.svc);
  }
  if (state.route.view === 'events') void loadEvents();
}

function start() {
  if (!state.session.public && !state.session.user) {
    state.source?.close();
    const live = $('#live');
    live.dataset.state = 'login';
    live.textContent = 'log in to see this node';
    return;
  }
  if (!state.source || state.source.readyState === EventSource.CLOSED) follow();
  route();
}

window.addEventListener('hashchange', route);
$('#login').addEventListener('submit', login);
$('#logout').addEventListener('click', () => void logout());
$('#event-filters').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const form = ev.target;
  const q = new URLSearchParams(Object.fromEntries(['svc', 'node', 'type'].map((k) => [k, form.elements[k].value.trim()]).filter(([, v]) => v)));
  location.hash = `#/events${q.size ? `?${q}` : ''}`;
});
for (const b of document.querySelectorAll('#svc-actions button')) b.addEventListener('click', () => void act(b.dataset.action));
$('#message').addEventListener('click', () => say(''));

// the status of the moment the page was served, inside it: drawn before anything else is asked for
const inlined = document.getElementById('status-now');
if (inlined) {
  showStatus(inlined.textContent);
  inlined.remove();
}
// a public view answers the live feed at once: it is asked for while the session is read
follow();
await loadSession();
start();
