import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BoxProcess } from '../helpers/box-process.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttProbe, type Received } from '../helpers/mqtt-probe.js';
import { outboxOnDisk } from '../helpers/outbox-file.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { eventually } from '../helpers/wait.js';

const isOutboxMessage = (m: Received) => /\/(event|telemetry)$/.test(m.topic);

/** Every seq seen on P/event and P/telemetry from `mark` on, in arrival order. */
function seqs(probe: MqttProbe, mark = 0): number[] {
  return probe.since(mark).filter(isOutboxMessage).map((m) => (JSON.parse(m.payload) as { seq: number }).seq);
}

/** Resolves once the box's outbox on disk holds at least `count` messages. */
const outboxHolds = (dataDir: string, count: number) =>
  eventually(
    async () => {
      const held = await outboxOnDisk(dataDir);
      if (held.count < count) throw new Error(`the outbox holds ${held.count}`);
      return held;
    },
    { timeoutMs: 30_000, what: `${count} messages held in the outbox`, retryMs: 200 },
  );

/** Delivered in seq order with no gap, duplicates (a resend after a crash) allowed. */
function assertCompleteInOrder(seen: number[]): void {
  const unique = [...new Set(seen)];
  assert.deepEqual(unique, [...unique].sort((a, b) => a - b), `out of order: ${seen.join(',')}`);
  for (let i = 1; i < unique.length; i++) assert.equal(unique[i], unique[i - 1]! + 1, `gap after seq ${unique[i - 1]}: ${unique.join(',')}`);
}

/** A seq seen twice (a resend) always carries the same message. */
function assertOneContentPerSeq(probe: MqttProbe): void {
  const bySeq = new Map<number, string>();
  for (const m of probe.messages.filter((m) => /\/(event|telemetry)$/.test(m.topic))) {
    const seq = (JSON.parse(m.payload) as { seq: number }).seq;
    const earlier = bySeq.get(seq);
    assert.ok(earlier === undefined || earlier === m.payload, `seq ${seq} published with two contents:\n${earlier}\n${m.payload}`);
    bySeq.set(seq, m.payload);
  }
}

describe('outbox: nothing accepted is lost', { timeout: 300_000 }, () => {
  const broker = new Mosquitto();
  let proxy: TcpProxy;
  let probe: MqttProbe;
  before(async () => {
    await broker.start();
    proxy = await new TcpProxy(broker.port).start();
    probe = await MqttProbe.connect(broker.url, ['roombox/testbox/event', 'roombox/testbox/telemetry', 'roombox/testbox/status']);
  }, { timeout: 180_000 });
  after(async () => {
    await probe?.close();
    await proxy?.stop();
    await broker.dispose();
  }, { timeout: 180_000 });

  it('keeps events and telemetry through a broker outage and a SIGKILL, and delivers every seq in order with no gap', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'roombox-outbox-'));
    const env = { ROOMBOX_MQTT_URL: proxy.url, ROOMBOX_TELEMETRY_S: '1', ROOMBOX_DATA_DIR: dataDir };
    let box = new BoxProcess(env).start();
    try {
      await probe.waitFor((m) => m.topic === 'roombox/testbox/status' && m.payload === 'online', 20_000);
      await probe.waitFor((m) => m.topic === 'roombox/testbox/telemetry', 10_000);
      proxy.down();
      // Events while the broker is unreachable: bad commands cannot arrive, but telemetry flows.
      const first = await outboxHolds(dataDir, 3);
      await box.kill('SIGKILL');
      box = new BoxProcess(env).start();
      await box.waitForLog(/outbox: backlog from before the restart/, 20_000);
      // The second life adds to the backlog before the broker is back.
      await outboxHolds(dataDir, first.count + 2);
      const before = seqs(probe).length;
      const lastHeld = (await outboxOnDisk(dataDir)).maxSeq;
      proxy.up();
      await probe.next((m) => m.topic === 'roombox/testbox/event' && /"type":"started"/.test(m.payload), 30_000, 'the second start event');
      // Delivery goes in seq order: once the last one held arrives, everything before it has.
      await probe.waitFor((m) => isOutboxMessage(m) && (JSON.parse(m.payload) as { seq: number }).seq >= lastHeld, 30_000, `seq ${lastHeld}, the last held in the outage`);
      const seen = seqs(probe);
      assert.ok(seen.length > before + 4, `backlog delivered after the outage: ${seen.join(',')}`);
      // The counter resumes at the last stored number plus one: one run of numbers from 1, no
      // jump at the unclean restart, and no number with two contents.
      assertCompleteInOrder(seen);
      assert.equal(seen[0], 1);
      assertOneContentPerSeq(probe);
      assert.equal(await box.kill('SIGTERM'), 0);
    } finally {
      await box.dispose();
    }
  });

  it('drops the oldest beyond ROOMBOX_OUTBOX_MAX and says how many in one outbox_dropped event', async () => {
    const start = probe.mark();
    const dataDir = mkdtempSync(join(tmpdir(), 'roombox-outbox-'));
    const box = new BoxProcess({ ROOMBOX_MQTT_URL: proxy.url, ROOMBOX_TELEMETRY_S: '1', ROOMBOX_DATA_DIR: dataDir, ROOMBOX_OUTBOX_MAX: '10' }).start();
    try {
      await probe.waitSince(start, (m) => m.topic === 'roombox/testbox/status' && m.payload === 'online', 20_000);
      proxy.down();
      await box.waitForLog(/outbox full: oldest messages dropped(.|\n)*outbox full: oldest messages dropped(.|\n)*outbox full/, 30_000);
      const lastSeqBefore = Math.max(0, ...seqs(probe, start));
      proxy.up();
      const drop = await probe.next((m) => m.topic === 'roombox/testbox/event' && /outbox_dropped/.test(m.payload), 30_000, 'outbox_dropped');
      const detail = (JSON.parse(drop.payload) as { detail: { dropped: number; max: number } }).detail;
      assert.ok(detail.dropped >= 3, `dropped ${detail.dropped}`);
      assert.equal(detail.max, 10);
      // What came back from the outage is the newest, in order, within the bound; the event itself is newer still.
      const dropSeq = (JSON.parse(drop.payload) as { seq: number }).seq;
      const back = [...new Set(seqs(probe, start).filter((s) => s > lastSeqBefore && s < dropSeq))];
      assert.ok(back.length <= 10 + 1, `at most ROOMBOX_OUTBOX_MAX (+ the one mqtt.js had in flight) came back: ${back.join(',')}`);
      assertCompleteInOrder(back.slice(back.length > 1 && back[1]! - back[0]! > 1 ? 1 : 0));
    } finally {
      await box.dispose();
    }
  });
});
