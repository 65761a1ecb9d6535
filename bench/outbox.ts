// Outbox: insert throughput, and the replay of a 100,000-message backlog against plain mqtt.js
// publishing the same messages at QoS 1 to the same mosquitto (same run, same subscriber).
// Target: the replay reaches at least 80% of the plain rate. Also the two ways of making a batch
// durable before it is published (synchronous=FULL per commit, or a group commit: NORMAL commits
// and one fsync of the WAL per group): burst insert rate and the latency from add to durable.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBus } from '../firmware/core/bus.js';
import { systemClock } from '../firmware/core/clock.js';
import { createLogger } from '../firmware/core/logger.js';
import { MqttLink } from '../firmware/mqtt/link.js';
import { Topics } from '../firmware/mqtt/topics.js';
import { SqliteOutbox, type CommitMode } from '../firmware/outbox/sqlite-outbox.js';
import { Database } from '../firmware/store/database.js';
import { Mosquitto } from '../test/helpers/mosquitto.js';
import { connect } from './roundtrip.js';
import { emitRow, printTable, round, type BenchRow } from './stats.js';

const N = Number(process.env.BENCH_OUTBOX_MESSAGES ?? 100_000);
const BURST = 1000;
const PLAIN_WINDOW = 1000;
const { logger: log } = createLogger('silent');

function body(i: number): Record<string, unknown> {
  return { ts: new Date(1_764_000_000_000 + i * 1000).toISOString(), type: 'input_silent', input: 'lectern', detail: { channel: i % 2, rmsDb: -72.4, forS: 10 } };
}

const until = async (cond: () => boolean, what: string, timeoutMs = 600_000) => {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
};

/** A QoS 1 subscriber counting what arrives on `topic`, checking seq order when there is one. */
async function counter(url: string, topic: string) {
  const c = await connect(url, `bench-sub-${Math.random().toString(16).slice(2)}`);
  const state = { received: 0, outOfOrder: 0, lastSeq: 0 };
  c.on('message', (_t, p) => {
    state.received++;
    const seq = (JSON.parse(p.toString()) as { seq?: number }).seq;
    if (seq !== undefined) {
      if (seq <= state.lastSeq) state.outOfOrder++;
      state.lastSeq = seq;
    }
  });
  await c.subscribeAsync(topic, { qos: 1 });
  return { state, close: () => c.endAsync() };
}

/** Messages per second for plain mqtt.js: publish all N at QoS 1, wait for every PUBACK. */
async function plainRate(url: string, topic: string): Promise<number> {
  const sub = await counter(url, topic);
  const client = await connect(url, 'bench-plain');
  const payloads = Array.from({ length: N }, (_, i) => JSON.stringify({ seq: i + 1, ...body(i) }));
  const t0 = performance.now();
  // A sliding window of PLAIN_WINDOW unacknowledged publishes: MQTT packet ids are 16-bit, so
  // a client cannot have 100,000 QoS 1 messages in flight at once.
  await new Promise<void>((resolve, reject) => {
    let sent = 0;
    let acked = 0;
    const next = () => {
      while (sent < N && sent - acked < PLAIN_WINDOW) {
        client.publish(topic, payloads[sent++]!, { qos: 1 }, (err) => {
          if (err) return reject(err);
          if (++acked === N) resolve();
          else next();
        });
      }
    };
    next();
  });
  const seconds = (performance.now() - t0) / 1000;
  await until(() => sub.state.received >= N, 'the plain subscriber');
  await client.endAsync();
  await sub.close();
  return N / seconds;
}

interface OutboxFigures {
  insertRate: number;
  replayRate: number;
  outOfOrder: number;
}

async function outboxRates(url: string, topic: string, dir: string, commit: CommitMode): Promise<OutboxFigures> {
  const db = (await Database.open(dir, log)).db!;
  const bus = new EventBus();
  const topics = new Topics('bench', 'outboxbox', 'homeassistant');
  const link = new MqttLink({ url, version: 4, clientId: `bench-outbox-${commit}` }, topics, bus, systemClock, log);
  const outbox = new SqliteOutbox(() => db, link, bus, systemClock, log, { max: N * 2, commit });
  await outbox.start();

  // Insert: bursts of messages added within one tick, as events and telemetry arrive while the
  // broker is away; the outbox writes each tick's batch in one transaction.
  const t0 = performance.now();
  for (let i = 0; i < N; i += BURST) {
    for (let j = i; j < Math.min(N, i + BURST); j++) outbox.add(topic, body(j));
    await new Promise((r) => setImmediate(r));
  }
  await until(() => outbox.stats().pending === 0 && outbox.depth() === N, 'the outbox to commit');
  const insertRate = N / ((performance.now() - t0) / 1000);

  const sub = await counter(url, topic);
  const connected = new Promise<number>((resolve) => bus.on('mqtt.connected', () => resolve(performance.now())));
  link.start();
  const t1 = await connected;
  await until(() => outbox.stats().delivered >= N, 'the replay');
  const replayRate = N / ((performance.now() - t1) / 1000);
  await until(() => sub.state.received >= N, 'the outbox subscriber');
  await outbox.stop();
  await link.stop();
  await db.close();
  await sub.close();
  return { insertRate, replayRate, outOfOrder: sub.state.outOfOrder };
}

/** Median time from add() to the message's commit being durable, one message at a time. */
async function durableLatencyMs(url: string, dir: string, commit: CommitMode, count = 300): Promise<number> {
  const db = (await Database.open(dir, log)).db!;
  const bus = new EventBus();
  const link = new MqttLink({ url, version: 4, clientId: `bench-latency-${commit}` }, new Topics('bench', 'latencybox', 'homeassistant'), bus, systemClock, log);
  const outbox = new SqliteOutbox(() => db, link, bus, systemClock, log, { max: count * 2, commit });
  await outbox.start();
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve) => outbox.add('bench/latency', body(i), () => resolve()));
    times.push(performance.now() - t0);
  }
  await outbox.stop();
  await db.close();
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** One INSERT statement per row inside one transaction: what the outbox's batching avoids. */
async function rowAtATimeRate(dir: string, count: number): Promise<number> {
  const db = (await Database.open(dir, log)).db!;
  const rows = Array.from({ length: count }, (_, i) => JSON.stringify({ seq: i + 1, ...body(i) }));
  const t0 = performance.now();
  await db.transaction(async () => {
    for (let i = 0; i < count; i++) await db.run('INSERT INTO outbox (seq, topic, payload) VALUES (?, ?, ?)', [i + 1, 'bench', rows[i]]);
  });
  const rate = count / ((performance.now() - t0) / 1000);
  await db.close();
  return rate;
}

export async function benchOutbox(): Promise<BenchRow[]> {
  const broker = await new Mosquitto().start();
  const work = mkdtempSync(join(tmpdir(), 'roombox-bench-outbox-'));
  try {
    // Plain first, then ours, then plain again: the reference is the mean of the two, so drift
    // on a shared machine hits both sides alike.
    const plainA = await plainRate(broker.url, 'bench/plain');
    const ours = await outboxRates(broker.url, 'bench/outbox', join(work, 'outbox'), 'full');
    const group = await outboxRates(broker.url, 'bench/outbox-group', join(work, 'outbox-group'), 'group');
    const plainB = await plainRate(broker.url, 'bench/plain2');
    const plain = (plainA + plainB) / 2;
    const single = await rowAtATimeRate(join(work, 'single'), Math.min(N, 20_000));
    const latencyFull = await durableLatencyMs(broker.url, join(work, 'latency-full'), 'full');
    const latencyGroup = await durableLatencyMs(broker.url, join(work, 'latency-group'), 'group');
    if (ours.outOfOrder > 0) throw new Error(`replay delivered ${ours.outOfOrder} messages out of seq order`);
    const replayRatio = ours.replayRate / plain;
    const insertRatio = ours.insertRate / single;
    return [
      {
        name: `outbox replay of ${N} messages`,
        ours: `${Math.round(ours.replayRate)} msg/s`,
        reference: `${Math.round(plain)} msg/s plain mqtt.js QoS 1`,
        ratio: replayRatio,
        target: '>= 0.80x',
        met: replayRatio >= 0.8,
      },
      {
        name: 'outbox insert (batched per tick)',
        ours: `${Math.round(ours.insertRate)} msg/s (${round(1e6 / ours.insertRate, 1)} us/msg)`,
        reference: `${Math.round(single)} rows/s one INSERT per row (${round(1e6 / single, 1)} us)`,
        ratio: insertRatio,
        target: '>= 1x',
        met: insertRatio >= 1,
      },
      {
        name: 'durable insert: synchronous=FULL (used) vs group commit',
        ours: `${Math.round(ours.insertRate)} msg/s`,
        reference: `${Math.round(group.insertRate)} msg/s group commit`,
        ratio: ours.insertRate / group.insertRate,
        target: 'information',
        met: true,
      },
      {
        name: 'add to durable, one message: FULL (used) vs group commit',
        ours: `${round(latencyFull, 2)} ms`,
        reference: `${round(latencyGroup, 2)} ms group commit`,
        ratio: latencyGroup / latencyFull,
        target: 'information',
        met: true,
      },
    ];
  } finally {
    await broker.dispose();
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith('outbox.ts')) {
  const rows = await benchOutbox();
  printTable(rows);
  rows.forEach(emitRow);
}
