import { render } from '/vendor/preact.mjs';
import { acknowledgeClip, apply, createStore, expiredCount } from './store.js';
import { BoxView, DashboardView, drawMiniMeters, html, LoginView } from './views.js';

const root = document.getElementById('app');
// Preact renders next to what is there: the static 'Loading…' goes first.
root.replaceChildren();
const store = createStore();
const ui = { readOnly: true, dragging: {}, consoleOut: {}, login: null, hint: null, route: location.hash };
let socket;
let frame = 0;
/** What the last full draw showed: the dashboard skips the tree when only meters moved. */
let drawn = { sv: -1, grey: -1, hash: '', connected: false };
let requestSeq = 0;

/** Many messages, one render: drawing happens at most once per animation frame. */
function schedule() {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    draw();
  });
}

const topicOf = (rest) => `${store.hello.prefix}/${rest}`;

const act = {
  send(rest, payload) {
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ topic: topicOf(rest), payload }));
  },
  drag(id, value) {
    if (value === undefined) delete ui.dragging[id];
    else ui.dragging[id] = value;
    schedule();
  },
  ackClip(id, input) {
    acknowledgeClip(store, store.boxes.get(id), input);
    schedule();
  },
  run(id, line) {
    const out = (ui.consoleOut[id] ??= []);
    out.push(`> ${line}`);
    const rid = `web-${Date.now().toString(36)}-${++requestSeq}`;
    store.responses.set(rid, (r) => {
      store.responses.delete(rid);
      out.push(r.output);
      while (out.length > 200) out.shift();
    });
    act.send(`${id}/request`, { id: rid, line });
    schedule();
  },
  open(id) {
    location.hash = `#/box/${encodeURIComponent(id)}`;
  },
};

function draw() {
  const now = Date.now();
  if (ui.login) {
    render(html`<${LoginView} ...${ui.login} onLogin=${login} />`, root);
    return;
  }
  if (!store.hello) {
    render(html`<p>${store.connected ? 'Loading…' : 'Connecting…'}</p>`, root);
    return;
  }
  ui.readOnly = store.readOnly;
  const m = /^#\/box\/(.+)$/.exec(location.hash);
  const boxId = store.hello.kind === 'box' ? store.hello.id : m && decodeURIComponent(m[1]);
  const grey = boxId ? -1 : expiredCount(store, now);
  if (!boxId && drawn.sv === store.sv && drawn.grey === grey && drawn.hash === location.hash && drawn.connected === store.connected) {
    drawMiniMeters();
    return;
  }
  drawn = { sv: store.sv, grey, hash: location.hash, connected: store.connected };
  const box = boxId ? store.boxes.get(boxId) : undefined;
  const title = store.hello.kind === 'box' ? `roombox ${store.hello.id}` : box ? `${box.id} · roombox dashboard` : 'roombox dashboard';
  document.title = title;
  render(
    html`<header class="top">
        ${store.hello.kind === 'dashboard' && box ? html`<a href="#/" class="back">All boxes</a>` : ''}
        <h1>${title}</h1>
        ${!store.connected && html`<span class="badge bad">reconnecting</span>`}
      </header>
      ${store.readOnly && html`<p class="notice" role="note">Read-only: ${ui.hint ?? 'no password is set.'}</p>`}
      ${store.notice && html`<p class="error" role="alert">${store.notice}</p>`}
      ${box ? html`<${BoxView} b=${box} ui=${ui} act=${act} now=${now} />` : boxId ? html`<p>No box '${boxId}' yet.</p>` : html`<${DashboardView} store=${store} act=${act} now=${now} />`}`,
    root,
  );
  drawMiniMeters();
}

async function login(password) {
  ui.login = { ...ui.login, busy: true, error: null };
  schedule();
  const res = await fetch('/api/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ password }) });
  if (res.ok) {
    ui.login = null;
    connect();
  } else {
    const body = await res.json().catch(() => ({}));
    ui.login = { busy: false, error: body.error ?? `login failed (${res.status})` };
  }
  schedule();
}

let retryMs = 500;
function connect() {
  socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
  socket.onopen = () => {
    store.connected = true;
    retryMs = 500;
    schedule();
  };
  socket.onmessage = (e) => {
    const now = Date.now();
    for (const m of JSON.parse(e.data)) apply(store, m, now);
    schedule();
  };
  socket.onclose = () => {
    store.connected = false;
    schedule();
    setTimeout(start, retryMs);
    retryMs = Math.min(retryMs * 2, 10_000);
  };
}

async function start() {
  let session;
  try {
    session = await (await fetch('/api/session')).json();
  } catch {
    setTimeout(start, retryMs);
    retryMs = Math.min(retryMs * 2, 10_000);
    return;
  }
  ui.hint = session.hint ?? null;
  if (session.auth === 'required') {
    ui.login = { busy: false, error: null };
    schedule();
    return;
  }
  connect();
}

addEventListener('hashchange', schedule);
// Uptime and the grey-out of long-offline boxes move with the clock, not only with messages.
setInterval(schedule, 1000);
start();
