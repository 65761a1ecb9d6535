import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BoxProcess } from '../helpers/box-process.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttProbe } from '../helpers/mqtt-probe.js';
import { freePort } from '../helpers/ports.js';

describe('broker restarts and the embedded broker', { timeout: 300_000 }, () => {
  const broker = new Mosquitto();
  before(async () => {
    await broker.start();
  }, { timeout: 180_000 });
  after(async () => {
    await broker.dispose();
  }, { timeout: 180_000 });

  it('reconnects after a broker restart and publishes its retained state again', async () => {
    const box = new BoxProcess({ ROOMBOX_MQTT_URL: broker.url }).start();
    try {
      let probe = await MqttProbe.connect(broker.url, ['roombox/testbox/#']);
      await probe.waitFor((m) => m.topic === 'roombox/testbox/status' && m.payload === 'online', 20_000);
      await probe.close();
      // The broker keeps nothing (persistence false): whatever is retained afterwards was republished.
      await broker.stop();
      await box.waitForLog(/mqtt reconnect scheduled/);
      await broker.start();
      probe = await MqttProbe.connect(broker.url, ['roombox/testbox/#', 'homeassistant/#']);
      await probe.waitFor((m) => m.topic === 'roombox/testbox/status' && m.payload === 'online', 30_000, 'online after restart');
      await probe.waitFor((m) => m.topic === 'roombox/testbox/info', 5000, 'info after restart');
      await probe.waitFor((m) => m.topic === 'homeassistant/device/testbox/config', 5000, 'discovery after restart');
      const delays = box.logs().filter((l) => l.msg === 'mqtt reconnect scheduled').map((l) => l.delayMs as number);
      assert.ok(delays.length >= 1);
      assert.ok(delays.every((d) => d >= 500 && d <= 60_000), `delays ${delays}`);
      await probe.close();
    } finally {
      await box.dispose();
    }
  });

  it('starts the embedded broker when no URL is set and comes online on it', async () => {
    const port = await freePort();
    const box = new BoxProcess({ ROOMBOX_EMBEDDED_BROKER_PORT: String(port) }).start();
    try {
      await box.waitForLog(/embedded MQTT broker listening/);
      const probe = await MqttProbe.connect(`mqtt://127.0.0.1:${port}`, ['roombox/#', 'homeassistant/#']);
      await probe.waitFor((m) => m.topic === 'roombox/testbox/status' && m.payload === 'online');
      await probe.waitFor((m) => m.topic === 'homeassistant/device/testbox/config');
      await probe.waitFor((m) => m.topic === 'roombox/testbox/info');
      await probe.close();
      assert.equal(await box.kill('SIGTERM'), 0);
    } finally {
      await box.dispose();
    }
  });
});
