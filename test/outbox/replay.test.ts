import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../../firmware/store/database.js';
import { createLogger } from '../../firmware/core/logger.js';
import { BoxProcess } from '../helpers/box-process.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttProbe } from '../helpers/mqtt-probe.js';

describe('persisted zone state', { timeout: 300_000 }, () => {
  it("restores a zone's volume, mode and mute after a restart", async () => {
    const broker = await new Mosquitto().start();
    const probe = await MqttProbe.connect(broker.url, ['roombox/testbox/zone/kitchen/state']);
    const dataDir = mkdtempSync(join(tmpdir(), 'roombox-state-'));
    const env = { ROOMBOX_MQTT_URL: broker.url, ROOMBOX_DATA_DIR: dataDir };
    let box = new BoxProcess(env).start();
    try {
      await probe.waitFor((m) => m.topic.endsWith('/state'), 20_000);
      await probe.publish('roombox/testbox/zone/kitchen/set', JSON.stringify({ volume: 37, mute: true, power: 'on' }));
      await probe.waitFor((m) => JSON.parse(m.payload).volume === 37 && JSON.parse(m.payload).mute === true, 20_000);
      assert.equal(await box.kill('SIGTERM'), 0);
      const restart = probe.mark();
      box = new BoxProcess(env).start();
      const restored = JSON.parse((await probe.waitSince(restart, (m) => m.topic.endsWith('/state'), 20_000)).payload);
      assert.equal(restored.volume, 37);
      assert.equal(restored.mute, true);
      assert.equal(restored.mode, 'manual');
      assert.equal(await box.kill('SIGTERM'), 0);
    } finally {
      await box.dispose();
      await probe.close();
      await broker.dispose();
    }
  });
});

const BACKLOG = 30_000;

/** Writes `count` events into the box's outbox, as a long broker outage would have left them. */
async function leaveBacklog(dataDir: string, count: number): Promise<void> {
  const db = (await Database.open(dataDir, createLogger('silent').logger)).db!;
  await db.transaction(async () => {
    for (let first = 1; first <= count; first += 300) {
      const seqs = Array.from({ length: Math.min(300, count - first + 1) }, (_, i) => first + i);
      await db.run(
        `INSERT INTO outbox (seq, topic, payload) VALUES ${seqs.map(() => '(?, ?, ?)').join(', ')}`,
        seqs.flatMap((seq) => [seq, 'roombox/testbox/event', JSON.stringify({ seq, ts: new Date(1_764_000_000_000 + seq).toISOString(), type: 'input_silent', input: 'lectern' })]),
      );
    }
  });
  await db.close();
}

describe('replay of a backlog', { timeout: 300_000 }, () => {
  it("delivers the backlog in seq order without holding back a command's state", async () => {
    const broker = await new Mosquitto().start();
    const dataDir = mkdtempSync(join(tmpdir(), 'roombox-backlog-'));
    await leaveBacklog(dataDir, BACKLOG);
    // Two subscribers: the broker queues each one's messages in order, so the state must not
    // share a queue with the backlog it is racing.
    const events = await MqttProbe.connect(broker.url, ['roombox/testbox/event']);
    const seqs: number[] = [];
    events.client.on('message', (_t, p) => seqs.push((JSON.parse(p.toString()) as { seq: number }).seq));
    const state = await MqttProbe.connect(broker.url, ['roombox/testbox/status', 'roombox/testbox/zone/living/state']);
    const box = new BoxProcess({ ROOMBOX_MQTT_URL: broker.url, ROOMBOX_DATA_DIR: dataDir, ROOMBOX_LOG_LEVEL: 'warn' }).start();
    try {
      await state.waitFor((m) => m.topic.endsWith('/status') && m.payload === 'online', 30_000, 'online');
      await state.publish('roombox/testbox/zone/living/volume/set', '33');
      await state.waitFor((m) => m.topic.endsWith('/state') && JSON.parse(m.payload).volume === 33, 60_000, 'the state for volume 33');
      const backlogSeenBeforeState = seqs.filter((s) => s <= BACKLOG).length;

      await events.waitCount(0, (m) => (JSON.parse(m.payload) as { seq: number }).seq <= BACKLOG, BACKLOG, 180_000, `the ${BACKLOG} messages of the backlog`).catch(() => {});
      const backlog = seqs.filter((s) => s <= BACKLOG);
      assert.equal(new Set(backlog).size, BACKLOG, 'every message of the backlog arrives');
      assert.ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!), 'in seq order, nothing newer before the backlog');
      assert.ok(backlogSeenBeforeState < BACKLOG / 2, `the command's state arrived after ${backlogSeenBeforeState} of ${BACKLOG} backlog messages: it waited for the replay`);
      assert.equal(await box.kill('SIGTERM'), 0);
    } finally {
      await box.dispose();
      await events.close();
      await state.close();
      await broker.dispose();
    }
  });
});
