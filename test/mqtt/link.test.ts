import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BoxProcess } from '../helpers/box-process.js';
import { MqttProbe } from '../helpers/mqtt-probe.js';
import { brokerWithProbe } from '../helpers/broker-with-probe.js';

describe('MQTT link against a real mosquitto', { timeout: 300_000 }, () => {
  const mq = brokerWithProbe(['roombox/#', 'homeassistant/#']);
  const broker = mq.broker;

  it('publishes info and retained online, and offline then exit 0 on SIGTERM', async () => {
    const box = new BoxProcess({ ROOMBOX_MQTT_URL: broker.url }).start();
    try {
      const online = await mq.probe.waitFor((m) => m.topic === 'roombox/testbox/status' && m.payload === 'online');
      assert.equal(online.payload, 'online');
      const info = JSON.parse((await mq.probe.waitFor((m) => m.topic === 'roombox/testbox/info')).payload);
      assert.equal(info.id, 'testbox');
      assert.equal(info.board, 'sim');
      assert.deepEqual(info.zones, ['living', 'kitchen']);
      assert.deepEqual(info.inputs, ['stage']);
      assert.match(info.started_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

      // A late subscriber sees the retained status and info.
      const late = await MqttProbe.connect(broker.url, ['roombox/testbox/status', 'roombox/testbox/info']);
      const retained = await late.waitFor((m) => m.topic === 'roombox/testbox/status');
      assert.equal(retained.retain, true);
      assert.equal(retained.payload, 'online');
      await late.close();

      const offline = mq.probe.next((m) => m.topic === 'roombox/testbox/status' && m.payload === 'offline');
      assert.equal(await box.kill('SIGTERM'), 0);
      await offline;
    } finally {
      await box.dispose();
    }
  });

  it('leaves the retained last will offline when killed with SIGKILL', async () => {
    const box = new BoxProcess({ ROOMBOX_MQTT_URL: broker.url }).start();
    try {
      await mq.probe.next((m) => m.topic === 'roombox/testbox/status' && m.payload === 'online');
      // mosquitto sends the will once it notices the dead socket (at once: the kernel closes it).
      const will = mq.probe.next((m) => m.topic === 'roombox/testbox/status' && m.payload === 'offline');
      await box.kill('SIGKILL');
      await will;
      const late = await MqttProbe.connect(broker.url, ['roombox/testbox/status']);
      const retained = await late.waitFor((m) => m.topic === 'roombox/testbox/status');
      assert.equal(retained.payload, 'offline');
      await late.close();
    } finally {
      await box.dispose();
    }
  });
});
