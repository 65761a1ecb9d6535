import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import type { ZoneState } from '../../firmware/api/zone.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttProbe, type Received } from '../helpers/mqtt-probe.js';
import { startInProcessBox } from '../helpers/in-process-box.js';

const P = 'roombox/testbox';
const run = promisify(execFile);
const isOnline = (m: Received) => m.topic === `${P}/status` && m.payload === 'online';
const living = (m: Received) => m.topic === `${P}/zone/living/state` && m.payload.length > 0;

describe('inbound commands', { timeout: 120_000 }, () => {
  const broker = new Mosquitto();
  before(async () => {
    await broker.start();
  }, { timeout: 120_000 });
  after(async () => {
    await broker.dispose();
  }, { timeout: 120_000 });

  it('never obeys a retained command: clears it, reports it once per topic, keeps the zone as it was, also after a restart', async () => {
    const setter = await MqttProbe.connect(broker.url);
    const retainedCommands: [string, string][] = [
      [`${P}/zone/living/volume/set`, '85'],
      [`${P}/zone/living/set`, '{"power":"on"}'],
      [`${P}/request`, '{"id":"retained-1","line":"zone living power on"}'],
    ];
    for (const [t, p] of retainedCommands) await setter.publish(t, p, true);
    await setter.close();
    const probe = await MqttProbe.connect(broker.url, [`${P}/#`]);
    try {
      for (let round = 1; round <= 2; round++) {
        const from = probe.messages.length;
        const box = await startInProcessBox({ env: { ROOMBOX_MQTT_URL: broker.url } });
        try {
          await probe.waitFor((m, i) => i >= from && isOnline(m), 20_000, 'online');
          // A marker: the box handles commands in order, and its events keep that order through the
          // outbox, so this rejection's event comes after any event the retained commands caused.
          await probe.publish(`${P}/zone/nowhere/volume/set`, '1');
          await probe.waitFor((m, i) => i >= from && m.topic === `${P}/event` && m.payload.includes('zone/nowhere'), 20_000, 'the marker event');
          const events = probe.messages.slice(from).filter((m) => m.topic === `${P}/event`).map((m) => JSON.parse(m.payload) as { type: string; detail: { topic: string } });
          const cleared = events.filter((e) => e.type === 'retained_command_cleared').map((e) => e.detail.topic);
          if (round === 1) assert.deepEqual(cleared.sort(), retainedCommands.map(([t]) => t).sort(), 'one event per retained command');
          else assert.deepEqual(cleared, [], 'nothing left to clear after a restart');
          const errors = probe.messages.slice(from).filter((m) => m.topic === `${P}/error`);
          assert.equal(errors.length, 1, 'only the marker is an error: a retained command is not');
          assert.equal(probe.json<{ id: string }>(`${P}/response`).filter((r) => r.id === 'retained-1').length, 0, 'the retained request got no answer');
          const now = (await box.app.ctx.commands.execute('zone living --json', 'test')).data as ZoneState;
          const published = JSON.parse((await probe.waitFor((m, i) => i >= from && living(m))).payload) as ZoneState;
          for (const s of [published, now]) {
            assert.notEqual(s.power, 'on');
            assert.notEqual(s.volume, 85);
          }
        } finally {
          await box.stop();
        }
      }
      // The broker holds none of them any more: a new subscriber gets no retained command before a marker.
      const late = await MqttProbe.connect(broker.url, [...retainedCommands.map(([t]) => t), 'marker/inbound']);
      try {
        await late.publish('marker/inbound', 'x');
        await late.waitFor((m) => m.topic === 'marker/inbound');
        assert.deepEqual(late.messages.map((m) => m.topic), ['marker/inbound']);
      } finally {
        await late.close();
      }
    } finally {
      await probe.close();
    }
  });

  it("answers one client's commands in the order it sent them, state changes included", async () => {
    const box = await startInProcessBox({ env: { ROOMBOX_MQTT_URL: broker.url } });
    const probe = await MqttProbe.connect(broker.url, [`${P}/#`]);
    try {
      await probe.waitFor(isOnline, 20_000, 'online');
      await probe.request(P, 'zone living power off');
      const mark = probe.messages.length;
      // The power-up takes the zone's settle time (200 ms); the bad request after it is refused at once.
      const sent: [string, string][] = [
        [`${P}/zone/living/power/set`, 'ON'],
        [`${P}/request`, '{"id":"no-line"}'],
        [`${P}/request`, '{"id":"order-1","line":"zone living"}'],
        [`${P}/zone/living/mute/set`, 'maybe'],
        [`${P}/request`, '{"id":"order-2","line":"version"}'],
      ];
      for (const [t, p] of sent) await probe.publish(t, p);
      await probe.waitFor((m, i) => i >= mark && m.topic === `${P}/response` && m.payload.includes('order-2'), 20_000, 'last answer');
      const replies = probe.messages.slice(mark).flatMap((m) => {
        if (m.topic === `${P}/error`) return [`error ${JSON.parse(m.payload).topic.slice(P.length + 1)}`];
        if (m.topic === `${P}/response`) return [`response ${JSON.parse(m.payload).id}`];
        if (m.topic === `${P}/zone/living/state` && JSON.parse(m.payload).power === 'on') return ['living on'];
        return [];
      });
      assert.deepEqual(replies, ['living on', 'error request', 'response order-1', 'error zone/living/mute/set', 'response order-2']);
      const answer = probe.json<{ id: string; output: string }>(`${P}/response`).find((r) => r.id === 'order-1')!;
      assert.match(answer.output, /power on/, 'the request saw the power-up that came before it');
    } finally {
      await probe.close();
      await box.stop();
    }
  });

  it('with MQTT 5, answers a request on its Response Topic with its Correlation Data; mosquitto_rr gets its answer', async () => {
    const box = await startInProcessBox({ env: { ROOMBOX_MQTT_URL: broker.url, ROOMBOX_MQTT_VERSION: '5' } });
    const probe = await MqttProbe.connect(broker.url, [`${P}/#`]);
    const client = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    try {
      await probe.waitFor(isOnline, 20_000, 'online');
      const { stdout } = await run('mosquitto_rr', ['-V', '5', '-h', '127.0.0.1', '-p', String(broker.port), '-t', `${P}/request`, '-e', 'other/topic', '-m', '{"id":"1","line":"version"}', '-W', '10']);
      const answer = JSON.parse(stdout) as { id: string; ok: boolean; output: string };
      assert.deepEqual({ id: answer.id, ok: answer.ok }, { id: '1', ok: true });
      assert.match(answer.output, /^roombox \d+\.\d+\.\d+/);

      // Correlation data comes back as sent; without an id the request is still answered.
      await client.subscribeAsync('my/answers', { qos: 1 });
      const got = new Promise<{ payload: string; correlation?: string }>((resolve) =>
        client.on('message', (_t, payload, packet) => resolve({ payload: payload.toString(), correlation: packet.properties?.correlationData?.toString() })),
      );
      await client.publishAsync(`${P}/request`, JSON.stringify({ line: 'zone living' }), { qos: 1, properties: { responseTopic: 'my/answers', correlationData: Buffer.from('corr-42') } });
      const reply = await got;
      assert.equal(reply.correlation, 'corr-42');
      assert.equal(JSON.parse(reply.payload).ok, true);
      assert.match(JSON.parse(reply.payload).output, /^living/);
      // Nothing went to P/response for either: the version answer below is the only one there.
      const r = await probe.request(P, 'version');
      assert.equal(r.ok, true);
      assert.equal(probe.topic(`${P}/response`).length, 1);

      // With MQTT 5 (retain-as-published) a retained command is caught live too, not only at connect.
      const mark = probe.messages.length;
      await probe.publish(`${P}/zone/living/volume/set`, '77', true);
      const cleared = await probe.waitFor((m, i) => i >= mark && m.topic === `${P}/event` && m.payload.includes('retained_command_cleared'), 10_000, 'cleared live');
      assert.equal(JSON.parse(cleared.payload).detail.topic, `${P}/zone/living/volume/set`);
      await probe.request(P, 'version');
      const living = (await box.app.ctx.commands.execute('zone living --json', 'test')).data as ZoneState;
      assert.notEqual(living.volume, 77);
      assert.equal(probe.messages.slice(mark).filter((m) => m.topic === `${P}/error`).length, 0, 'the box clearing it is no error');
    } finally {
      await client.endAsync(true);
      await probe.close();
      await box.stop();
    }
  });
});
