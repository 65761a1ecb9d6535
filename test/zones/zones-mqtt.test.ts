import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Mosquitto } from '../helpers/mosquitto.js';
import { zoneState, type ZoneStateMessage } from '../helpers/box-api.js';
import { MqttProbe } from '../helpers/mqtt-probe.js';
import { startInProcessBox } from '../helpers/in-process-box.js';

/** Zones over a real mosquitto with the real App in this process (commands run through its registry). */
const P = 'roombox/testbox';
const stateOf = (zone: string, pred: (s: ZoneStateMessage) => boolean) => zoneState(P, zone, pred);

describe('zones over MQTT', { timeout: 300_000 }, () => {
  const broker = new Mosquitto();
  let probe: MqttProbe;
  let box: Awaited<ReturnType<typeof startInProcessBox>>;
  before(async () => {
    await broker.start();
    probe = await MqttProbe.connect(broker.url, [`${P}/#`, 'homeassistant/#']);
    box = await startInProcessBox({ env: { ROOMBOX_MQTT_URL: broker.url, ROOMBOX_ZONE_KITCHEN_MAX_VOLUME: '60', ROOMBOX_AMP_IDLE_S: '1' } });
    await probe.waitFor(stateOf('kitchen', (s) => s.power === 'standby'), 15_000, 'kitchen state');
  }, { timeout: 180_000 });
  after(async () => {
    await box?.stop();
    await probe?.close();
    await broker.dispose();
  }, { timeout: 180_000 });

  it('publishes retained zone state and the zone entities in discovery', async () => {
    const late = await MqttProbe.connect(broker.url, [`${P}/zone/+/state`]);
    let st;
    try {
      st = await late.waitFor(stateOf('living', () => true), 10_000, 'living state');
    } finally {
      await late.close();
    }
    assert.equal(st.retain, true, 'retained');
    assert.deepEqual(Object.keys(JSON.parse(st.payload)).sort(), ['fault', 'max_volume', 'mode', 'mute', 'playing', 'power', 'volume', 'volume_db']);
    const disc = await probe.waitFor((m) => m.topic === 'homeassistant/device/testbox/config' && m.payload.includes('living_power'), 10_000, 'discovery');
    const cmps = JSON.parse(disc.payload).cmps;
    assert.equal(cmps.living_power.p, 'switch');
    assert.equal(cmps.living_power.command_topic, `${P}/zone/living/power/set`);
    assert.equal(cmps.living_power.unique_id, 'roombox_testbox_living_power');
    assert.deepEqual([cmps.living_volume.p, cmps.living_volume.min, cmps.living_volume.max, cmps.living_volume.step], ['number', 0, 100, 1]);
    assert.equal(cmps.kitchen_mute.p, 'switch');
    assert.deepEqual([cmps.kitchen_mode.p, cmps.kitchen_mode.options], ['select', ['auto', 'manual']]);
    assert.deepEqual([cmps.kitchen_playing.p, cmps.kitchen_playing.device_class], ['binary_sensor', 'running']);
    assert.deepEqual([cmps.kitchen_fault.p, cmps.kitchen_fault.device_class], ['binary_sensor', 'problem']);
  });

  it('every bad command yields exactly one P/error and changes nothing', async () => {
    const before = JSON.stringify(box.app.ctx.commands && (await box.app.ctx.commands.execute('zone --json', 'test')).data);
    const chipBefore = JSON.stringify(box.app.ctx.commands && (await box.app.ctx.commands.execute('gpio --json', 'test')).data);
    const bad: [string, string, RegExp][] = [
      ['zone/living/set', 'not json', /not valid JSON/],
      ['zone/living/set', '{"volume":"40"}', /volume must be a number/],
      ['zone/living/set', '{"volume":101}', /out of range/],
      ['zone/living/set', '{"volume":-1}', /out of range/],
      ['zone/living/set', '{"volume":40,"bass":3}', /unknown field 'bass'/],
      ['zone/living/set', '{}', /empty command/],
      ['zone/living/set', '', /empty payload/],
      ['zone/living/set', '[1]', /JSON object/],
      ['zone/living/set', '{"power":"maybe","volume":50}', /power must be/],
      ['zone/living/set', '{"mute":"yes"}', /mute must be true or false/],
      ['zone/attic/set', '{"volume":10}', /unknown zone 'attic'/],
      ['zone/living/volume/set', '101', /out of range/],
      ['zone/living/volume/set', 'loud', /expected a number/],
      ['zone/living/volume/set', '', /empty payload/],
      ['zone/living/power/set', 'MAYBE', /expected ON, OFF or AUTO/],
      ['zone/living/mute/set', '1', /expected ON or OFF/],
      ['zone/living/mode/set', 'party', /expected auto or manual/],
    ];
    for (const [topic, payload, why] of bad) {
      const mark = probe.mark();
      await probe.publish(`${P}/${topic}`, payload);
      const err = await probe.waitSince(mark, (m) => m.topic === `${P}/error`, 10_000, `P/error for ${topic} ${payload}`);
      const body = JSON.parse(err.payload);
      assert.equal(body.topic, `${P}/${topic}`);
      assert.match(body.error, why);
      assert.equal(body.payload, payload);
      // The answer to a request after it comes after anything else the bad one caused.
      await probe.marker(P);
      assert.equal(probe.since(mark, `${P}/error`).length, 1, `one P/error for ${topic} ${payload}`);
    }
    assert.equal(JSON.stringify((await box.app.ctx.commands.execute('zone --json', 'test')).data), before, 'zones unchanged');
    const chipAfter = JSON.parse(JSON.stringify((await box.app.ctx.commands.execute('gpio --json', 'test')).data));
    assert.deepEqual(chipAfter.sim_chips, JSON.parse(chipBefore).sim_chips, 'chips unchanged');
  });

  it('commands change the chip and the state; above the cap applies the cap', async () => {
    await probe.publish(`${P}/zone/kitchen/set`, JSON.stringify({ volume: 95 }));
    await probe.waitFor(stateOf('kitchen', (s) => s.volume === 60 && s.max_volume === 60), 10_000, 'kitchen capped at 60');
    await probe.publish(`${P}/zone/living/set`, JSON.stringify({ power: 'on', volume: 50 }));
    const st = await probe.waitFor(stateOf('living', (s) => s.power === 'on' && s.mode === 'manual' && s.volume === 50), 10_000, 'living on at 50');
    assert.equal(JSON.parse(st.payload).volume_db, -30);
    const pcm = (await box.app.ctx.commands.execute('gpio --json', 'test')).data as { sim_chips: { kind: string; state: { volume_regs: number[]; standby: boolean } }[] };
    const chip = pcm.sim_chips.find((c) => c.kind === 'pcm512x')!;
    assert.deepEqual(chip.state.volume_regs, [0x6c, 0x6c], '-30 dB = 24 - 0.5 x 0x6C');
    assert.equal(chip.state.standby, false);
    await probe.publish(`${P}/zone/living/mute/set`, 'ON');
    await probe.waitFor(stateOf('living', (s) => s.mute === true), 10_000, 'muted');
    await probe.publish(`${P}/zone/living/power/set`, 'AUTO');
    await probe.waitFor(stateOf('living', (s) => s.mode === 'auto'), 10_000, 'auto');
    await probe.waitFor(stateOf('living', (s) => s.power === 'standby'), 15_000, 'standby after ROOMBOX_AMP_IDLE_S without playback');
    const ev = await probe.waitFor((m) => m.topic === `${P}/event` && m.payload.includes('"power_changed"') && m.payload.includes('"living"'), 10_000, 'power_changed');
    assert.equal(JSON.parse(ev.payload).zone, 'living');
  });

  it('sim play powers an auto zone up; sim fault trips it and clears', async () => {
    const run = async (line: string) => {
      const r = await box.app.ctx.commands.execute(line, 'test');
      assert.ok(r.ok, `${line}: ${r.output}`);
    };
    await run('zone kitchen mute off');
    await run('sim play kitchen on');
    await probe.waitFor(stateOf('kitchen', (s) => s.power === 'on' && s.playing === true), 15_000, 'kitchen on while playing');
    await run('sim fault kitchen on');
    await probe.waitFor((m) => m.topic === `${P}/event` && m.payload.includes('"amp_fault"'), 10_000, 'amp_fault');
    await probe.waitFor(stateOf('kitchen', (s) => s.fault === true && s.power === 'off'), 10_000, 'fault state');
    const mark = probe.mark();
    await probe.publish(`${P}/zone/kitchen/power/set`, 'ON');
    await probe.waitSince(mark, (m) => m.topic === `${P}/error` && m.payload.includes('fault'), 10_000, 'power refused while faulted');
    await probe.marker(P);
    assert.equal(probe.since(mark, `${P}/error`).length, 1);
    await run('sim fault kitchen off');
    await probe.waitFor((m) => m.topic === `${P}/event` && m.payload.includes('"amp_fault_cleared"'), 10_000, 'amp_fault_cleared');
    await probe.waitFor(stateOf('kitchen', (s) => s.fault === false && s.power === 'off'), 10_000, 'cleared, still off');
    await run('sim play kitchen off');
    const bad = await box.app.ctx.commands.execute('zone kitchen volume 101', 'test');
    assert.equal(bad.output, "error: volume '101' is out of range 0-100");
    assert.equal((await box.app.ctx.commands.execute('zone kitchen power on --json', 'test')).ok, false);
    assert.match((await box.app.ctx.commands.execute('i2c scan 1', 'test')).output, /^bus 1: 0x4b 0x4c$/);
    assert.match((await box.app.ctx.commands.execute('i2c scan 4', 'test')).output, /bus 4 does not exist/);
    const self = await box.app.ctx.selftest.runAll();
    assert.ok(self.filter((c) => c.name.startsWith('zone ')).every((c) => c.ok), JSON.stringify(self));
  });
});
