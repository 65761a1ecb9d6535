import { Component, h } from '/vendor/preact.mjs';
import htm from '/vendor/htm.mjs';
import { alarmsOf, expired } from './store.js';

export const html = htm.bind(h);

const FLOOR_DB = -60;
const METER_MIN = -100;
const fmtDb = (db) => (db <= METER_MIN ? '-∞' : db.toFixed(1));
const pct = (db) => `${Math.max(0, Math.min(100, ((db - FLOOR_DB) / -FLOOR_DB) * 100))}%`;
const clampDb = (db) => Math.max(METER_MIN, Math.min(0, db));

function duration(s) {
  if (s === undefined || s === null) return '-';
  const d = Math.floor(s / 86400), hh = Math.floor((s % 86400) / 3600), mm = Math.floor((s % 3600) / 60);
  return d ? `${d} d ${hh} h` : hh ? `${hh} h ${mm} min` : `${mm} min ${Math.floor(s % 60)} s`;
}

export function LoginView({ error, busy, onLogin }) {
  const submit = (e) => {
    e.preventDefault();
    onLogin(e.currentTarget.elements.password.value);
  };
  return html`<section class="card login">
    <h1>roombox</h1>
    <form onSubmit=${submit}>
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required autofocus />
      <button type="submit" disabled=${busy}>Log in</button>
      ${error && html`<p class="error" role="alert">${error}</p>`}
    </form>
  </section>`;
}

function Identity({ b, now }) {
  const info = b.info ?? {};
  const started = info.started_at ? Date.parse(info.started_at) : undefined;
  const uptime = started ? (now - started) / 1000 : b.telemetry?.uptime_s;
  return html`<section class="card" aria-labelledby="id-h">
    <h2 id="id-h">Box</h2>
    <dl class="facts">
      <dt>Id</dt><dd>${b.id}</dd>
      <dt>Version</dt><dd>${info.version ?? '-'}</dd>
      <dt>Board</dt><dd>${info.board ?? '-'}</dd>
      <dt>Uptime</dt><dd>${duration(uptime)}</dd>
      <dt>Broker</dt><dd class=${b.status === 'online' ? 'ok' : 'bad'}>${b.status === 'online' ? 'connected' : b.status === 'offline' ? 'disconnected' : '-'}</dd>
      <dt>Outbox</dt><dd>${b.telemetry ? `${b.telemetry.outbox_depth} waiting` : '-'}</dd>
    </dl>
  </section>`;
}

function Zone({ b, name, z, ui, act }) {
  const disabled = ui.readOnly;
  const id = `${b.id}-${name}`;
  const dragging = ui.dragging[id];
  const volume = dragging ?? z.volume;
  const set = (payload) => act.send(`${b.id}/zone/${name}/set`, payload);
  return html`<section class="card zone" aria-labelledby=${`${id}-h`}>
    <h3 id=${`${id}-h`}>${name} ${z.fault ? html`<span class="badge bad">fault</span>` : ''} ${z.playing ? html`<span class="badge">playing</span>` : ''}</h3>
    <div class="row">
      <label class="switch"><input type="checkbox" checked=${z.power === 'on'} disabled=${disabled} onChange=${(e) => set({ power: e.currentTarget.checked ? 'on' : 'off' })} /> Power <small>(${z.power})</small></label>
      <label class="switch"><input type="checkbox" checked=${z.mute} disabled=${disabled} onChange=${(e) => set({ mute: e.currentTarget.checked })} /> Mute</label>
      <label>Mode <select disabled=${disabled} value=${z.mode} onChange=${(e) => act.send(`${b.id}/zone/${name}/mode/set`, e.currentTarget.value)}>
        <option value="auto">auto</option><option value="manual">manual</option>
      </select></label>
    </div>
    <label class="volume" for=${`${id}-vol`}>${name} volume <output>${volume}${z.volume_db !== null && z.volume_db !== undefined ? ` (${z.volume_db} dB)` : ''}</output></label>
    <input id=${`${id}-vol`} type="range" min="0" max=${z.max_volume} step="1" value=${volume} disabled=${disabled}
      aria-label=${`${name} volume`} aria-valuetext=${`${volume} of ${z.max_volume}`}
      onInput=${(e) => act.drag(id, Number(e.currentTarget.value))}
      onChange=${(e) => { act.drag(id, undefined); set({ volume: Number(e.currentTarget.value) }); }} />
    <small>cap ${z.max_volume}</small>
  </section>`;
}

function ChannelMeter({ label, peak, rms, hold, clip }) {
  const p = clampDb(peak), r = clampDb(rms);
  return html`<div class="meter-row">
    <span class="ch">${label.split(' ').pop()}</span>
    <div class="meter" role="meter" aria-label=${label} aria-valuemin=${METER_MIN} aria-valuemax="0" aria-valuenow=${p.toFixed(1)} aria-valuetext=${`peak ${fmtDb(p)} dBFS, RMS ${fmtDb(r)} dBFS`}>
      <div class="rms" style=${{ width: pct(r) }}></div>
      <div class="peak" style=${{ width: pct(p) }}></div>
      ${hold !== undefined && html`<div class="hold" style=${{ left: pct(hold) }}></div>`}
    </div>
    <span class=${clip ? 'clip lit' : 'clip'}>${fmtDb(p)}</span>
  </div>`;
}

function Input({ b, name, st, ui, act }) {
  const lv = b.levels[name];
  const hold = b.hold[name] ?? [];
  const clip = b.clip[name] ?? [];
  const latched = clip.some(Boolean);
  const channels = st?.channels ?? lv?.peak_dbfs.length ?? 0;
  return html`<section class="card input" aria-labelledby=${`${b.id}-${name}-h`}>
    <h3 id=${`${b.id}-${name}-h`}>${name} <small>${st ? `${st.present ? 'present' : 'absent'}${st.capturing ? ', capturing' : ''}${st.alarm ? `, alarm: ${st.alarm}` : ''}` : ''}</small></h3>
    ${Array.from({ length: channels }, (_, c) =>
      html`<${ChannelMeter} key=${c} label=${`${name} channel ${c + 1}`} peak=${lv ? lv.peak_dbfs[c] : METER_MIN} rms=${lv ? lv.rms_dbfs[c] : METER_MIN} hold=${hold[c]?.db} clip=${clip[c]} />`)}
    <div class="row">
      <span class=${latched ? 'clip-light lit' : 'clip-light'} role="status" aria-label=${`${name} clip`}>${latched ? 'CLIPPED' : 'no clip'}</span>
      <button type="button" aria-label=${`Acknowledge clip on ${name}`} disabled=${ui.readOnly || !latched} onClick=${() => act.ackClip(b.id, name)}>Acknowledge clip</button>
    </div>
  </section>`;
}

function Events({ b }) {
  return html`<section class="card" aria-labelledby=${`${b.id}-ev-h`}>
    <h2 id=${`${b.id}-ev-h`}>Recent events</h2>
    ${b.errors.map((e) => html`<p class="error">${e.ts?.slice(11, 19)} ${e.error}</p>`)}
    <ul class="events">${b.events.slice(0, 15).map((e) => html`<li><time>${e.ts?.slice(11, 19)}</time> ${e.type}${e.zone ? ` ${e.zone}` : ''}${e.input ? ` ${e.input}` : ''}</li>`)}</ul>
  </section>`;
}

function Console({ b, ui, act }) {
  const run = (line) => act.run(b.id, line);
  const submit = (e) => {
    e.preventDefault();
    const field = e.currentTarget.elements.line;
    run(field.value);
    field.value = '';
  };
  const out = ui.consoleOut[b.id] ?? [];
  return html`<section class="card console" aria-labelledby=${`${b.id}-con-h`}>
    <h2 id=${`${b.id}-con-h`}>Console</h2>
    <form onSubmit=${submit} class="row">
      <label for=${`${b.id}-line`}>Command</label>
      <input id=${`${b.id}-line`} name="line" autocomplete="off" autocapitalize="off" spellcheck="false" disabled=${ui.readOnly} placeholder="help" />
      <button type="submit" disabled=${ui.readOnly}>Run</button>
      <button type="button" disabled=${ui.readOnly} onClick=${() => run('selftest')}>Selftest</button>
    </form>
    <pre class="out" aria-live="polite" aria-label="Console output">${out.join('\n')}</pre>
  </section>`;
}

export function BoxView({ b, ui, act, now }) {
  const names = b.info?.zones ?? Object.keys(b.zones);
  const inputs = b.info?.inputs ?? Object.keys(b.inputs);
  const alarms = alarmsOf(b);
  return html`<div class=${expired(b, now) ? 'box expired' : 'box'}>
    ${alarms.length > 0 && html`<section class="card alarms" aria-label="Alarms"><h2>Alarms</h2><ul>${alarms.map((a) => html`<li>${a}</li>`)}</ul></section>`}
    <${Identity} b=${b} now=${now} />
    <h2 class="group">Zones</h2>
    ${names.filter((n) => b.zones[n]).map((n) => html`<${Zone} key=${n} b=${b} name=${n} z=${b.zones[n]} ui=${ui} act=${act} />`)}
    <h2 class="group">Inputs</h2>
    ${inputs.map((n) => html`<${Input} key=${n} b=${b} name=${n} st=${b.inputs[n]} ui=${ui} act=${act} />`)}
    <${Events} b=${b} />
    <${Console} b=${b} ui=${ui} act=${act} />
  </div>`;
}

/** A tile redraws only when its box changed or greyed out: a fleet of 500 stays within a frame. */
class Tile extends Component {
  shouldComponentUpdate(next) {
    return next.v !== this.props.v || next.grey !== this.props.grey;
  }
  render(props) {
    return TileBody(props);
  }
}

function TileBody({ b, act, now }) {
  const alarms = alarmsOf(b).filter((a) => a !== 'offline');
  return html`<li class=${`tile ${b.status === 'online' ? 'online' : 'offline'}${expired(b, now) ? ' expired' : ''}${alarms.length ? ' alarmed' : ''}`}>
    <a href=${`#/box/${encodeURIComponent(b.id)}`} onClick=${(e) => { e.preventDefault(); act.open(b.id); }}>
      <strong class="tile-id">${b.id}</strong> <span class="state">${b.status === 'online' ? 'online' : 'offline'}</span>
    </a>
    ${alarms.length > 0 && html`<ul class="tile-alarms">${alarms.map((a) => html`<li>${a}</li>`)}</ul>`}
    <div class="tile-zones">${Object.entries(b.zones).map(([n, z]) => html`<span class=${z.power === 'on' ? 'pw on' : 'pw'}>${n} ${z.power}</span>`)}</div>
    ${Object.entries(b.levels).map(([n, lv]) => html`<${MiniMeter} key=${n} b=${b} input=${n} channels=${lv.peak_dbfs.length} />`)}
  </li>`;
}

/**
 * A tile's bars, one per channel. Drawn once; their widths are then set in place, and only for
 * tiles on screen (drawMiniMeters), so 500 boxes of level reports cost the page a few dozen
 * style writes per frame rather than a redraw of every tile.
 */
const onScreen = new Set();
const watcher = typeof IntersectionObserver === 'function' ? new IntersectionObserver((entries) => {
  for (const e of entries) {
    const mini = e.target.__mini;
    if (!mini) continue;
    if (e.isIntersecting) {
      onScreen.add(mini);
      mini.draw();
    } else onScreen.delete(mini);
  }
}) : undefined;

class MiniMeter extends Component {
  shouldComponentUpdate(next) {
    return next.channels !== this.props.channels;
  }
  componentDidMount() {
    this.el.__mini = this;
    watcher?.observe(this.el);
  }
  componentWillUnmount() {
    if (this.el) watcher?.unobserve(this.el);
    onScreen.delete(this);
  }
  draw() {
    const lv = this.props.b.levels[this.props.input];
    if (!lv || !this.el) return;
    const bars = this.el.children;
    for (let c = 0; c < bars.length; c++) bars[c].firstChild.style.width = pct(lv.peak_dbfs[c] ?? METER_MIN);
  }
  render({ input, channels }) {
    return html`<div class="mini" aria-hidden="true" title=${input} ref=${(el) => (this.el = el ?? this.el)}>${Array.from({ length: channels }, () => html`<div class="bar"><div class="peak"></div></div>`)}</div>`;
  }
}

export function drawMiniMeters() {
  for (const m of onScreen) m.draw();
}

export function DashboardView({ store, act, now }) {
  const boxes = [...store.boxes.values()].filter((b) => b.status !== undefined || b.info);
  const rank = (b) => (b.status !== 'online' ? 2 : alarmsOf(b).length ? 0 : 1);
  boxes.sort((a, b) => rank(a) - rank(b) || a.id.localeCompare(b.id));
  const online = boxes.filter((b) => b.status === 'online').length;
  return html`<section aria-label="Boxes">
    <p>${boxes.length} boxes, ${online} online</p>
    <ul class="tiles">${boxes.map((b) => html`<${Tile} key=${b.id} b=${b} v=${b.v} grey=${expired(b, now)} act=${act} now=${now} />`)}</ul>
  </section>`;
}
