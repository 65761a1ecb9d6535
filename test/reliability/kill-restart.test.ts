import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BoxProcess } from '../helpers/box-process.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttProbe } from '../helpers/mqtt-probe.js';
import { outboxOnDisk } from '../helpers/outbox-file.js';

describe('SIGKILL at random moments', { timeout: 600_000 }, () => {
  it('20 kills under load (KILL_ROUNDS to change): the database opens every time, seq has no gap and never two contents, the amp is muted on start', { timeout: 400_000 }, async () => {
    const broker = await new Mosquitto().start();
    const probe = await MqttProbe.connect(broker.url, ['roombox/testbox/event', 'roombox/testbox/telemetry']);
    // Everything the box says: what the kill moments are counted in.
    const pace = await MqttProbe.connect(broker.url, ['roombox/testbox/#']);
    const dataDir = mkdtempSync(join(tmpdir(), 'roombox-kill-'));
    // Safe mode off: twenty kills in a row would otherwise hold the zones from the sixth start on,
    // and the volume commands of the load would be refused (safe mode has its own test).
    const env = { ROOMBOX_MQTT_URL: broker.url, ROOMBOX_DATA_DIR: dataDir, ROOMBOX_TELEMETRY_S: '1', ROOMBOX_LOG_LEVEL: 'debug', ROOMBOX_SAFE_MODE_AFTER: '0' };
    try {
      const rounds = Number(process.env.KILL_ROUNDS ?? 20);
      // The numbers seen delivered between the kills.
      const live = new Set<number>();
      for (let round = 0; round < rounds; round++) {
        // A random moment, counted in what the box does rather than in wall time: right after its
        // zones start (0), or once that many of its events and telemetry messages arrived under load.
        const moment = Math.floor(Math.random() * 4);
        const from = pace.mark();
        const box = new BoxProcess(env).start();
        try {
          await box.waitForLog(/"msg":"zone started"/, 30_000);
          if (moment > 0) {
            await pace.waitSince(from, (m) => m.topic === 'roombox/testbox/status' && m.payload === 'online', 30_000, `round ${round}: online`);
            // Load: commands that produce events and state writes, while telemetry flows.
            for (let i = 0; i < 20; i++) void pace.client.publish('roombox/testbox/zone/living/volume/set', String(10 + ((round * 7 + i) % 60)));
            await pace.waitCount(from, (m) => /\/(event|telemetry)$/.test(m.topic), moment, 30_000, `round ${round}: ${moment} events or telemetry from the box`);
          }
          await box.kill('SIGKILL');
          for (const m of pace.since(from)) if (/\/(event|telemetry)$/.test(m.topic)) live.add((JSON.parse(m.payload) as { seq: number }).seq);
          assert.doesNotMatch(box.stdout, /database (damaged|not used)/, `round ${round}: the database opened`);
          // The first thing the box does to each zone's hardware is assert mute.
          const hw = box.stdout.split('\n').filter((l) => l.includes('"hw":')).map((l) => JSON.parse(l).msg as string);
          const firstLivingMute = hw.findIndex((m) => /line 22 <- 0/.test(m));
          const firstLivingEnable = hw.findIndex((m) => /line 17 <- 1/.test(m));
          assert.ok(firstLivingMute >= 0, `round ${round}: living muted at start`);
          if (firstLivingEnable >= 0) assert.ok(firstLivingMute < firstLivingEnable, `round ${round}: muted before enabled`);
        } finally {
          await box.dispose();
        }
      }
      // One clean run to deliver the backlog, then check every seq is unique and increasing.
      const box = new BoxProcess(env).start();
      await box.waitForLog(/"msg":"online"/, 30_000);
      // Delivery goes in seq order: once the last one held at the start arrives, the backlog is out.
      const lastHeld = (await outboxOnDisk(dataDir)).maxSeq;
      await probe.waitFor((m) => (JSON.parse(m.payload) as { seq: number }).seq >= lastHeld, 60_000, `seq ${lastHeld}, the end of the backlog`);
      assert.equal(await box.kill('SIGTERM'), 0);
      await box.dispose();
      const seqs = probe.messages.map((m) => JSON.parse(m.payload).seq as number);
      const unique = [...new Set(seqs)];
      // Every number delivered is distinct per message: the same seq never carries two messages.
      const bySeq = new Map<number, string>();
      for (const m of probe.messages) {
        const { seq, ...rest } = JSON.parse(m.payload) as { seq: number };
        const body = JSON.stringify(rest);
        if (bySeq.has(seq)) assert.equal(bySeq.get(seq), body, `seq ${seq} reused for a different message`);
        bySeq.set(seq, body);
      }
      assert.ok(live.size > 0 && unique.length >= live.size, `${unique.length} numbers in all, ${live.size} seen delivered between the kills`);
      // Gapless: the numbers delivered over the 20 lives are 1..n, first seen in order.
      assert.deepEqual(unique, Array.from({ length: unique.length }, (_, i) => i + 1), `a gap or a number out of order: ${unique.join(',')}`);
    } finally {
      await pace.close();
      await probe.close();
      await broker.dispose();
    }
  });
});
