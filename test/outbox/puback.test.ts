import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BoxProcess } from '../helpers/box-process.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttProbe } from '../helpers/mqtt-probe.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const OUTBOX_TOPIC = /^roombox\/testbox\/(event|telemetry)$/;
const seqOf = (payload: string) => (JSON.parse(payload) as { seq: number }).seq;

describe('outbox: a row leaves only after its PUBACK', { timeout: 90_000 }, () => {
  const broker = new Mosquitto();
  let proxy: TcpProxy;
  let probe: MqttProbe;
  before(async () => {
    await broker.start();
    proxy = await new TcpProxy(broker.port).start();
    probe = await MqttProbe.connect(broker.url, ['roombox/testbox/event', 'roombox/testbox/telemetry', 'roombox/testbox/status']);
  }, { timeout: 120_000 });
  after(async () => {
    await probe.close();
    await proxy.stop();
    await broker.dispose();
  }, { timeout: 120_000 });

  it('keeps a message the broker got but whose PUBACK never reached the box, and sends it first on reconnect', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'roombox-puback-'));
    const box = new BoxProcess({ ROOMBOX_MQTT_URL: proxy.url, ROOMBOX_TELEMETRY_S: '1', ROOMBOX_DATA_DIR: dataDir }).start();
    try {
      await probe.waitFor((m) => m.topic === 'roombox/testbox/status' && m.payload === 'online', 20_000);
      await probe.waitFor((m) => m.topic === 'roombox/testbox/telemetry', 10_000);
      // The broker gets the PUBLISH (the subscriber sees it), its PUBACK is dropped on the way
      // back, and the link is cut while the box still waits for it.
      const unacked = await proxy.swallowPubacks(OUTBOX_TOPIC);
      const cutAt = proxy.connections;
      proxy.down();
      const seq = seqOf(unacked.payload);
      await probe.waitFor((m) => OUTBOX_TOPIC.test(m.topic) && seqOf(m.payload) === seq, 5000, `seq ${seq} reached the broker`);

      proxy.up();
      const end = Date.now() + 30_000;
      let first;
      while (!(first = proxy.publishes.find((p) => p.connection > cutAt && OUTBOX_TOPIC.test(p.topic)))) {
        assert.ok(Date.now() < end, 'the box published nothing through the outbox after reconnecting');
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(seqOf(first.payload), seq, `the first message after the reconnect is the unacknowledged one (seq ${seq}), got ${first.payload}`);
      assert.equal(first.payload, unacked.payload, 'with the same content');
      // And the stream carries on from there, in order, with nothing missing.
      await probe.waitFor((m) => OUTBOX_TOPIC.test(m.topic) && seqOf(m.payload) === seq + 2, 10_000, `seq ${seq + 2}`);
      const unique = [...new Set(probe.messages.filter((m) => OUTBOX_TOPIC.test(m.topic)).map((m) => seqOf(m.payload)))];
      assert.deepEqual(unique, Array.from({ length: unique.length }, (_, i) => i + 1));
      // Stopping does not wait for the PUBACK that will never come (it did, for 10 s, then exit 1).
      assert.equal(await box.kill('SIGTERM'), 0, `clean stop: ${box.stderr}${box.stdout.slice(-3000)}`);
    } finally {
      await box.dispose();
    }
  });
});
