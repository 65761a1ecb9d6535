import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MqttProbe } from '../helpers/mqtt-probe.js';
import { brokerWithProbe } from '../helpers/broker-with-probe.js';
import { startInProcessBox } from '../helpers/in-process-box.js';

/** Options Home Assistant requires per platform (its MQTT integration's schemas). */
const REQUIRED: Record<string, string[]> = {
  switch: ['command_topic'],
  number: ['command_topic'],
  select: ['command_topic', 'options'],
  button: ['command_topic'],
  binary_sensor: ['state_topic'],
  sensor: ['state_topic'],
  event: ['state_topic', 'event_types'],
  update: ['state_topic'],
};

describe('Home Assistant device-based discovery', { timeout: 300_000 }, () => {
  const mq = brokerWithProbe(['roombox/#', 'homeassistant/#']);
  const broker = mq.broker;

  it('publishes one retained device message with device, origin, availability and valid components', async () => {
    const box = await startInProcessBox({ env: { ROOMBOX_MQTT_URL: broker.url } });
    try {
      await mq.probe.waitFor((x) => x.topic === 'homeassistant/device/testbox/config');
      const late = await MqttProbe.connect(broker.url, ['homeassistant/device/testbox/config']);
      let m;
      try {
        m = await late.waitFor((x) => x.topic === 'homeassistant/device/testbox/config');
      } finally {
        await late.close();
      }
      assert.equal(m.retain, true);
      const cfg = JSON.parse(m.payload);
      assert.deepEqual(cfg.dev.identifiers, ['roombox_testbox']);
      assert.equal(cfg.dev.manufacturer, 'roombox');
      assert.equal(cfg.dev.model, 'sim');
      assert.equal(typeof cfg.dev.name, 'string');
      assert.match(cfg.dev.sw_version, /^\d+\.\d+\.\d+/);
      assert.equal(cfg.o.name, 'roombox');
      assert.equal(cfg.o.sw, cfg.dev.sw_version);
      assert.equal(cfg.availability_topic, 'roombox/testbox/status');
      assert.equal(cfg.payload_available, 'online');
      assert.equal(cfg.payload_not_available, 'offline');
      assert.doesNotMatch(m.payload, /object_id/);

      const entries = Object.entries(cfg.cmps as Record<string, Record<string, unknown>>);
      assert.ok(entries.length >= 3);
      const ids = entries.map(([, c]) => c.unique_id);
      assert.equal(new Set(ids).size, ids.length, 'unique ids are unique');
      for (const [key, c] of entries) {
        assert.equal(c.unique_id, `roombox_testbox_${key}`);
        const required = REQUIRED[c.p as string];
        assert.ok(required, `${key}: unknown platform ${String(c.p)}`);
        for (const r of required) assert.ok(c[r] !== undefined, `${key} (${c.p}) lacks ${r}`);
        for (const t of ['state_topic', 'command_topic']) {
          if (typeof c[t] === 'string') assert.match(c[t] as string, /^roombox\/testbox\//, `${key}.${t} is under the box's topics`);
        }
      }
      assert.equal(cfg.cmps.uptime.p, 'sensor');
      assert.equal(cfg.cmps.uptime.entity_category, 'diagnostic');
      assert.equal(cfg.cmps.outbox_depth.entity_category, 'diagnostic');
      assert.equal(cfg.cmps.restart.p, 'button');
      assert.equal(cfg.cmps.restart.entity_category, 'config');
      assert.deepEqual(JSON.parse(cfg.cmps.restart.payload_press), { id: 'homeassistant-restart', line: 'restart' });
    } finally {
      await box.stop();
    }
  });

  it('answers Home Assistant coming online with discovery and every state after a 2-10 s delay', async () => {
    const start = mq.probe.mark();
    const box = await startInProcessBox({ env: { ROOMBOX_MQTT_URL: broker.url }, random: () => 0 });
    try {
      await mq.probe.waitSince(start, (x) => x.topic === 'roombox/testbox/status' && x.payload === 'online');
      const t0 = Date.now();
      const discovery = mq.probe.next((x) => x.topic === 'homeassistant/device/testbox/config', 15_000, 'discovery after HA birth');
      const info = mq.probe.next((x) => x.topic === 'roombox/testbox/info', 15_000, 'info after HA birth');
      await mq.probe.publish('homeassistant/status', 'online');
      await discovery;
      await info;
      assert.ok(Date.now() - t0 >= 1900, `not before the 2 s minimum delay: ${Date.now() - t0} ms; ${box.ring.last(30).join('\n')}`);
    } finally {
      await box.stop();
    }
  });

  it('removes entities that no longer exist by publishing them as {p} alone', async () => {
    await mq.probe.publish(
      'homeassistant/device/testbox/config',
      JSON.stringify({ dev: { identifiers: ['roombox_testbox'] }, cmps: { gone_zone_volume: { p: 'number', unique_id: 'roombox_testbox_gone_zone_volume', command_topic: 'x' } } }),
      true,
    );
    const start = mq.probe.mark();
    const box = await startInProcessBox({ env: { ROOMBOX_MQTT_URL: broker.url } });
    try {
      const removal = await mq.probe.waitSince(start, (x) => x.topic === 'homeassistant/device/testbox/config' && /gone_zone_volume/.test(x.payload) && !/"command_topic":"x"/.test(x.payload), 15_000, 'removal');
      const cfg = JSON.parse(removal.payload);
      assert.deepEqual(cfg.cmps.gone_zone_volume, { p: 'number' });
      assert.ok(cfg.cmps.uptime, 'current entities are kept');
    } finally {
      await box.stop();
    }
  });

  it('publishes no discovery when ROOMBOX_HA_DISCOVERY=false', async () => {
    await mq.probe.publish('homeassistant/device/nodisc/config', '', true);
    const start = mq.probe.mark();
    const box = await startInProcessBox({ env: { ROOMBOX_MQTT_URL: broker.url, ROOMBOX_ID: 'nodisc', ROOMBOX_HA_DISCOVERY: 'false' } });
    try {
      await mq.probe.waitSince(start, (x) => x.topic === 'roombox/nodisc/status' && x.payload === 'online');
      // What the box publishes on connecting (discovery among it) comes before it answers this.
      await mq.probe.marker('roombox/nodisc', 30_000);
      assert.deepEqual(mq.probe.since(start, 'homeassistant/device/nodisc/config').filter((m) => m.payload !== ''), []);
    } finally {
      await box.stop();
    }
  });
});
