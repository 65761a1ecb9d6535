import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BoxProcess } from '../helpers/box-process.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttProbe } from '../helpers/mqtt-probe.js';
import { startInProcessBox } from '../helpers/in-process-box.js';

const SECRET = 'Sup3r-s3cret-PaSS';

describe('secrets and topics', { timeout: 300_000 }, () => {
  it('never shows the password in logs, config, status, telemetry or info; subscribes only to its own topics; ignores other boxes', async () => {
    const broker = await new Mosquitto({ extraConfig: ['allow_anonymous true'] }).start();
    const probe = await MqttProbe.connect(broker.url, ['#']);
    const box = new BoxProcess({
      ROOMBOX_MQTT_URL: `mqtt://box:${SECRET}@127.0.0.1:${broker.port}`,
      ROOMBOX_MQTT_PASSWORD: SECRET,
      ROOMBOX_TELEMETRY_S: '1',
      ROOMBOX_LOG_LEVEL: 'trace',
    }).start();
    try {
      await probe.waitFor((m) => m.topic === 'roombox/testbox/status' && m.payload === 'online', 30_000);
      await probe.waitFor((m) => m.topic === 'roombox/testbox/telemetry', 10_000);
      for (const line of ['config', 'config --json', 'status --json', 'mqtt --json', 'log 200']) {
        await probe.publish('roombox/testbox/request', JSON.stringify({ id: line, line }));
      }
      // A command for another box id changes nothing here.
      await probe.publish('roombox/otherbox/zone/living/volume/set', '77');
      await probe.publish('roombox/testbox/request', JSON.stringify({ id: 'after', line: 'zone living --json' }));
      const after = await probe.waitFor((m) => m.topic === 'roombox/testbox/response' && /"id":"after"/.test(m.payload), 10_000);
      assert.notEqual(JSON.parse(after.payload).data.volume, 77);
      await probe.waitFor((m) => m.topic === 'roombox/testbox/response' && /"id":"log 200"/.test(m.payload), 10_000);
      for (const m of probe.messages) assert.doesNotMatch(m.payload, new RegExp(SECRET), `${m.topic} leaks the secret`);
      assert.doesNotMatch(box.stdout + box.stderr, new RegExp(SECRET), 'a log line leaks the secret');
      assert.equal(await box.kill('SIGTERM'), 0);
    } finally {
      await box.dispose();
      await probe.close();
      await broker.dispose();
    }
  });

  it('subscribes only under its own topics and to Home Assistant status, never a wildcard of everything', async () => {
    const broker = await new Mosquitto().start();
    const box = await startInProcessBox({ env: { ROOMBOX_MQTT_URL: broker.url, ROOMBOX_ZONE_LIVING_PLAYER: 'mopidy://127.0.0.1:1' } });
    try {
      const topics = box.app.ctx.link.subscribedTopics();
      assert.ok(topics.length > 5);
      for (const t of topics) {
        assert.ok(t.startsWith('roombox/testbox/') || t === 'homeassistant/status' || t === 'homeassistant/device/testbox/config', t);
        assert.notEqual(t, '#');
        assert.doesNotMatch(t, /^roombox\/\+|^roombox\/#/);
      }
    } finally {
      await box.stop();
      await broker.dispose();
    }
  });
});
