import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BoxProcess } from '../helpers/box-process.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttProbe } from '../helpers/mqtt-probe.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { startInProcessBox } from '../helpers/in-process-box.js';

describe('persisted zone state', () => {
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
      probe.clear();
      box = new BoxProcess(env).start();
      const restored = JSON.parse((await probe.waitFor((m) => m.topic.endsWith('/state'), 20_000)).payload);
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
