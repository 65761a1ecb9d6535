import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mosquitto } from '../helpers/mosquitto.js';
import { jsonOn } from '../helpers/box-api.js';
import { MqttProbe, type Received } from '../helpers/mqtt-probe.js';
import { startInProcessBox } from '../helpers/in-process-box.js';
import { BoxProcess } from '../helpers/box-process.js';
import { ManualClock } from '../../firmware/core/clock.js';
import type { BoxEventInput } from '../../firmware/core/bus.js';
import { SimProcTree } from '../../firmware/sim/proc-tree.js';
import { simCards } from '../../firmware/sim/sim-board.js';
import { loadProfile } from '../../firmware/board/load-profile.js';
import { brokerWithProbe } from '../helpers/broker-with-probe.js';

/**
 * The capture box end to end on the sim board, against a real mosquitto. The console and
 * P/request transports are built elsewhere, so the commands are run through the App's registry
 * in this process (the same registry those transports serve).
 */
const P = 'roombox/testbox';
const isJson = (topic: string, pred: (v: Record<string, unknown>) => boolean) => jsonOn(topic, pred);
const levelsAre = (peak: number, rms: number) => isJson(`${P}/input/stage/levels`, (v) => JSON.stringify(v.peak_dbfs) === JSON.stringify([peak, peak]) && JSON.stringify(v.rms_dbfs) === JSON.stringify([rms, rms]));
const eventIs = (type: string) => isJson(`${P}/event`, (v) => v.type === type && v.input === 'stage');
const stateHas = (fields: Record<string, unknown>) => isJson(`${P}/input/stage/state`, (v) => Object.entries(fields).every(([k, x]) => v[k] === x));

describe('capture box on the sim board', { timeout: 300_000 }, () => {
  const mq = brokerWithProbe([`${P}/#`, 'homeassistant/#']);
  const broker = mq.broker;

  it('meters sim tones, raises silence and clip alarms, and follows unplug and plug', async () => {
    const box = await startInProcessBox({ env: { ROOMBOX_MQTT_URL: broker.url, ROOMBOX_SILENCE_S: '1' } });
    /** Runs a command; `seen` then waits for a message that arrived after it. */
    let mark = 0;
    const run = async (line: string) => {
      mark = mq.probe.mark();
      const r = await box.app.ctx.commands.execute(line, 'test');
      assert.ok(r.ok, `${line}: ${r.output}`);
      return r;
    };
    const seen = (pred: (m: Received) => boolean, timeoutMs: number, what: string) => mq.probe.waitSince(mark, pred, timeoutMs, what);
    try {
      await mq.probe.waitFor(stateHas({ present: true, capturing: true, card: 2, device: 0, rate: 48000, channels: 2, format: 'S16_LE', alarm: null }), 10_000, 'stage present and capturing');

      await run('sim tone stage -6');
      const levels = await seen(levelsAre(-6, -9), 10_000, 'levels at -6.0 peak and -9.0 rms');
      assert.equal(levels.retain, false);
      const body = JSON.parse(levels.payload);
      assert.deepEqual(Object.keys(body).sort(), ['clipped', 'integrated_lufs', 'lra_lu', 'momentary_lufs', 'peak_dbfs', 'rms_dbfs', 'short_term_lufs', 'true_peak_dbtp', 'ts']);
      assert.deepEqual(body.clipped, [0, 0]);
      assert.match(body.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

      const silenceAt = Date.now();
      await run('sim silence stage');
      await seen(levelsAre(-120, -120), 10_000, 'silence at the floor');
      await seen(eventIs('alarm_silence'), 10_000, 'alarm_silence event');
      assert.ok(Date.now() - silenceAt >= 1000, 'the silence alarm waits for ROOMBOX_SILENCE_S');
      await seen(stateHas({ alarm: 'silence' }), 5000, 'state alarm silence');

      await run('sim tone stage 0');
      await seen(eventIs('alarm_clip'), 10_000, 'alarm_clip event');
      await seen(stateHas({ alarm: 'clip' }), 5000, 'state alarm clip');
      await run('sim tone stage -20');
      await seen(eventIs('alarm_cleared'), 10_000, 'alarm_cleared after the clip hold');
      await seen(stateHas({ alarm: null }), 5000, 'state alarm null');

      await run('sim unplug stage');
      await seen(eventIs('input_absent'), 5000, 'input_absent within 2 s');
      await seen(stateHas({ present: false, capturing: false, alarm: 'absent' }), 5000, 'state absent');
      await run('sim plug stage');
      await seen(eventIs('input_present'), 5000, 'input_present within 2 s');
      await seen(stateHas({ present: true, capturing: true, alarm: null }), 5000, 'capturing again');
      await seen(levelsAre(-20, -23), 5000, 'levels again after the re-plug');

      const json = await box.app.ctx.commands.execute('input stage --json', 'test');
      const d = JSON.parse(json.output);
      assert.equal(d.name, 'stage');
      assert.equal(d.present, true);
      assert.deepEqual(d.levels.peak_dbfs, [-20, -20]);
      const list = await box.app.ctx.commands.execute('input', 'test');
      assert.match(list.output, /^stage\s+present\s+capturing/);
    } finally {
      await box.stop();
    }
  });

  it('refuses bad capture commands with a clear error and changes nothing', async () => {
    const box = await startInProcessBox({ env: { ROOMBOX_MQTT_URL: broker.url } });
    try {
      const ex = (line: string) => box.app.ctx.commands.execute(line, 'test');
      assert.deepEqual(await ex('input nope'), { ok: false, output: "error: unknown input 'nope' (inputs: stage)" });
      assert.equal((await ex('sim tone stage 3')).output, "error: level '3' is not a number from -120 to 0 dBFS");
      assert.equal((await ex('sim tone stage loud')).ok, false);
      assert.equal((await ex('sim plug stage')).output, 'error: stage is not unplugged');
      assert.equal((await ex('sim silence')).output, 'error: usage: sim silence <input>');
      assert.equal((await ex('sim tone stage -6 --json')).ok, false);
      const signal = box.app.ctx.commands;
      assert.ok(signal.find(['sim', 'unplug']));
    } finally {
      await box.stop();
    }
  });

  it('announces present, alarm and a throttled peak sensor to Home Assistant', async () => {
    const box = await startInProcessBox({ env: { ROOMBOX_MQTT_URL: broker.url } });
    try {
      const m = await mq.probe.waitFor(isJson('homeassistant/device/testbox/config', (v) => 'input_stage_peak' in (v.cmps as object)), 10_000, 'discovery with the input');
      const cmps = JSON.parse(m.payload).cmps;
      assert.equal(cmps.input_stage_present.p, 'binary_sensor');
      assert.equal(cmps.input_stage_present.device_class, 'connectivity');
      assert.equal(cmps.input_stage_alarm.device_class, 'problem');
      assert.equal(cmps.input_stage_peak.p, 'sensor');
      assert.equal(cmps.input_stage_peak.unit_of_measurement, 'dBFS');
      assert.equal(cmps.input_stage_peak.state_class, 'measurement');
      assert.equal(cmps.input_stage_peak.state_topic, `${P}/input/stage/peak`);
      const first = await mq.probe.next((x) => x.topic === `${P}/input/stage/peak`, 5000, 'a peak value');
      const start = mq.probe.messages.indexOf(first);
      await mq.probe.next((x) => x.topic === `${P}/input/stage/peak`, 5000, 'a second peak value');
      const between = mq.probe.since(start, `${P}/input/stage/levels`).length;
      assert.ok(between >= 5, `the peak sensor is fed once per several level reports (${between} levels between two peaks)`);
      assert.deepEqual(JSON.parse(first.payload).peak_dbfs, [-20, -20]);
    } finally {
      await box.stop();
    }
  });
});

describe('hot-plug and alarms from a fixture tree, on a controllable clock', { timeout: 300_000 }, () => {
  const broker = new Mosquitto();
  before(() => broker.start(), { timeout: 180_000 });
  after(() => broker.dispose(), { timeout: 180_000 });

  it('notices unplug and plug within one scan and holds silence for ROOMBOX_SILENCE_S', async () => {
    const root = mkdtempSync(join(tmpdir(), 'roombox-fixture-'));
    const tree = new SimProcTree(root);
    const cards = simCards(loadProfile('sim'));
    for (const c of cards) tree.addCard(c);
    const stage = cards.find((c) => c.usbId)!;
    const clock = new ManualClock();
    const box = await startInProcessBox({ env: { ROOMBOX_MQTT_URL: broker.url, ROOMBOX_PROC_ROOT: root, ROOMBOX_SILENCE_S: '5' }, clock });
    const events: BoxEventInput[] = [];
    box.app.ctx.bus.on('box.event', (e) => events.push(e));
    const types = () => events.filter((e) => 'input' in e && e.input === 'stage').map((e) => e.type);
    const state = () => JSON.parse(box.app.ctx.retained.get(`${P}/input/stage/state`)!);
    try {
      clock.advance(200);
      assert.equal(state().capturing, true);

      tree.removeCard(stage.index);
      clock.advance(1000);
      assert.deepEqual(types(), ['input_absent']);
      assert.equal(state().alarm, 'absent');

      tree.addCard({ ...stage, index: 7 });
      clock.advance(1000);
      assert.deepEqual(types(), ['input_absent', 'input_present', 'alarm_cleared']);
      assert.equal(state().card, 7, 're-plugged on another card number, found by USB id');

      const ok = await box.app.ctx.commands.execute('sim silence stage', 'test');
      assert.ok(ok.ok, ok.output);
      clock.advance(4900);
      assert.equal(state().alarm, null);
      clock.advance(300);
      assert.equal(state().alarm, 'silence');
      assert.deepEqual(types().slice(-1), ['alarm_silence']);
      const unplug = await box.app.ctx.commands.execute('sim unplug stage', 'test');
      assert.match(unplug.output, /ROOMBOX_PROC_ROOT is set/);
    } finally {
      await box.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('the box process', { timeout: 300_000 }, () => {
  const broker = new Mosquitto();
  before(() => broker.start(), { timeout: 180_000 });
  after(() => broker.dispose(), { timeout: 180_000 });

  it('starts capturing the sim stage input and reports its levels', async () => {
    const probe = await MqttProbe.connect(broker.url, [`${P}/input/#`]);
    const box = new BoxProcess({ ROOMBOX_MQTT_URL: broker.url }).start();
    try {
      await probe.waitFor(stateHas({ present: true, capturing: true }), 20_000, 'stage state from the process');
      await probe.waitFor(levelsAre(-20, -23), 20_000, 'default sim tone levels');
      assert.equal(await box.kill('SIGTERM'), 0);
    } finally {
      await box.dispose();
      await probe.close();
    }
  });
});
