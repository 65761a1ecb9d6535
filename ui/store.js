// The page's model: every box seen, built only from MQTT-shaped messages ({topic, payload}).
// The box page holds one box; the dashboard holds every box on the broker.

export const HOLD_MS = 2000;
const MAX_EVENTS = 30;
const TILE_TOPICS = new Set(['status', 'info', 'zone', 'input', '$dashboard']);

export function createStore() {
  // sv moves with every change but level reports: the dashboard redraws its tiles only then.
  return { hello: null, readOnly: true, boxes: new Map(), responses: new Map(), notice: null, connected: false, sv: 0 };
}

export function boxOf(store, id) {
  let b = store.boxes.get(id);
  if (!b) {
    b = { id, v: 0, status: undefined, statusAt: 0, info: null, telemetry: null, zones: {}, inputs: {}, levels: {}, hold: {}, clip: {}, events: [], errors: [], expireAfterS: undefined };
    store.boxes.set(id, b);
  }
  return b;
}

/** Applies one message; returns false for topics the page does not show. */
export function apply(store, m, now) {
  const { topic, payload } = m;
  if (topic === '$web/hello') {
    store.hello = payload;
    store.readOnly = payload.read_only === true;
    store.sv++;
    return true;
  }
  if (topic === '$web/error') {
    store.notice = payload.error;
    store.sv++;
    return true;
  }
  const prefix = store.hello ? `${store.hello.prefix}/` : '';
  if (!topic.startsWith(prefix)) return false;
  const levels = topic.slice(prefix.length).split('/');
  const id = levels[0];
  const rest = levels.slice(1);
  if (rest.length === 0) return false;
  if (rest[0] === 'status' && payload === null) {
    store.boxes.delete(id);
    store.sv++;
    return true;
  }
  const b = boxOf(store, id);
  if (rest[0] === 'input' && rest[2] === 'levels') {
    // Meter values are drawn in place; only a newly latched clip changes what a tile says.
    if (applyLevels(b, rest[1], payload, now)) {
      b.v++;
      store.sv++;
    }
    return true;
  }
  // What a tile shows (status, zones, inputs, alarms) bumps the box's version: a tile redraws
  // only when it moved. Telemetry and events show only in the box view, which always redraws.
  if (TILE_TOPICS.has(rest[0])) {
    b.v++;
    store.sv++;
  }
  switch (rest[0]) {
    case 'status':
      if (b.status !== payload) b.statusAt = now;
      b.status = payload;
      return true;
    case 'info':
      b.info = payload;
      return true;
    case 'telemetry':
      b.telemetry = payload;
      return true;
    case '$dashboard':
      b.expireAfterS = payload.expire_after_s;
      return true;
    case 'event':
      b.events.unshift(payload);
      if (b.events.length > MAX_EVENTS) b.events.pop();
      return true;
    case 'error':
      b.errors.unshift(payload);
      if (b.errors.length > 5) b.errors.pop();
      return true;
    case 'response': {
      const waiting = store.responses.get(payload.id);
      if (waiting) waiting(payload);
      return waiting !== undefined;
    }
    case 'zone':
      if (rest[2] === 'state' && payload && typeof payload === 'object') {
        b.zones[rest[1]] = payload;
        return true;
      }
      return false;
    case 'input':
      if (rest[2] === 'state' && payload && typeof payload === 'object') {
        b.inputs[rest[1]] = payload;
        return true;
      }
      return false;
    default:
      return false;
  }
}

function applyLevels(b, input, report, now) {
  b.levels[input] = report;
  const hold = (b.hold[input] ??= []);
  report.peak_dbfs.forEach((db, c) => {
    const h = hold[c];
    if (!h || db >= h.db || now - h.at > HOLD_MS) hold[c] = { db, at: now };
  });
  // The clip light latches until someone acknowledges it.
  const clip = (b.clip[input] ??= []);
  let latched = false;
  report.clipped.forEach((n, c) => {
    if (n > 0 && !clip[c]) latched = clip[c] = true;
  });
  return latched;
}

export function acknowledgeClip(store, b, input) {
  b.clip[input] = [];
  b.v++;
  store.sv++;
}

/** Alarms first: what needs a person, across zones, inputs and the link. */
export function alarmsOf(b) {
  const out = [];
  if (b.status === 'offline') out.push('offline');
  for (const [name, z] of Object.entries(b.zones)) if (z.fault) out.push(`${name}: amp fault`);
  for (const [name, i] of Object.entries(b.inputs)) {
    if (i.alarm) out.push(`${name}: ${i.alarm}`);
    else if (!i.present) out.push(`${name}: absent`);
  }
  for (const [name, c] of Object.entries(b.clip)) if (c.some(Boolean)) out.push(`${name}: clipped`);
  return out;
}

/** How many boxes are greyed out now: the dashboard redraws when that changes. */
export function expiredCount(store, now) {
  let n = 0;
  for (const b of store.boxes.values()) if (expired(b, now)) n++;
  return n;
}

export function expired(b, now) {
  return b.status === 'offline' && now - b.statusAt > (b.expireAfterS ?? 0) * 1000;
}
