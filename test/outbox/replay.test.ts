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

describe('outbox replay and persisted zone state', () => {
  it('a command during a 3,000-message replay changes the state long before the replay ends', { timeout: 240_000 }, async () => {
    const broker = await new Mosquitto().start();
    const proxy = await new TcpProxy(broker.port).start();
    const probe = await MqttProbe.connect(broker.url, ['roombox/testbox/event', 'roombox/testbox/zone/living/state', 'roombox/testbox/status']);
    const box = await startInProcessBox({ env: { ROOMBOX_MQTT_URL: proxy.url, ROOMBOX_LOG_LEVEL: 'warn' } });
    try {
      await probe.waitFor((m) => m.topic === 'roombox/testbox/status' && m.payload === 'online', 20_000);
      proxy.down();
      for (let i = 0; i < 3000; i++) box.app.ctx.publisher.event({ type: 'test_backlog', detail: { i } });
      await new Promise((r) => setTimeout(r, 500));
      assert.ok(box.app.ctx.outbox.depth() > 2999);
      probe.clear();
      proxy.up();
      await probe.next((m) => m.topic === 'roombox/testbox/event' && /test_backlog/.test(m.payload), 60_000, 'the replay starting');
      await probe.publish('roombox/testbox/zone/living/volume/set', '33');
      await probe.waitFor((m) => m.topic === 'roombox/testbox/zone/living/state' && JSON.parse(m.payload).volume === 33, 120_000);
      const stateAt = probe.messages.findIndex((m) => m.topic.endsWith('/state') && JSON.parse(m.payload).volume === 33);
      const backlogBefore = probe.messages.slice(0, stateAt).filter((m) => /test_backlog/.test(m.payload)).length;
      assert.ok(backlogBefore < 2500, `state waited behind ${backlogBefore} backlog messages`);
      // ...and the whole backlog still arrives, in order.
      const deadline = Date.now() + 120_000;
      while (probe.messages.filter((m) => /test_backlog/.test(m.payload)).length < 3000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const idx = probe.messages.filter((m) => /test_backlog/.test(m.payload)).map((m) => JSON.parse(m.payload).detail.i as number);
      assert.deepEqual([...new Set(idx)], Array.from({ length: 3000 }, (_, i) => i));
    } finally {
      await box.stop();
      await probe.close();
      await proxy.stop();
      await broker.dispose();
    }
  });

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
