import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Diagnostics } from '../../firmware/api/box.js';
import { BoxProcess } from '../helpers/box-process.js';
import { type Received } from '../helpers/mqtt-probe.js';
import type { ZoneStateMessage as ZoneState } from '../helpers/box-api.js';
import { brokerWithProbe } from '../helpers/broker-with-probe.js';

const P = 'roombox/testbox';
const DISCOVERY = 'homeassistant/device/testbox/config';
const LEVELS = `${P}/input/stage/levels`;

interface GpioLine {
  zone: string;
  role: string;
  active: boolean | null;
}
interface SimChip {
  kind: string;
  state: Record<string, unknown>;
}

const isOnline = (m: Received) => m.topic === `${P}/status` && m.payload === 'online';
const isEvent = (type: string) => (m: Received) => m.topic === `${P}/event` && (JSON.parse(m.payload) as { type: string }).type === type;

describe('safe mode after unclean starts in a row', { timeout: 1_400_000 }, () => {
  const mq = brokerWithProbe([`${P}/#`, DISCOVERY]);
  const broker = mq.broker;
  let dataDir: string;

  /** One run of the box: started, online, and its first retained diagnostics of this run. */
  async function run(box: BoxProcess): Promise<{ from: number; diagnostics: Diagnostics }> {
    const from = mq.probe.mark();
    box.start();
    await mq.probe.waitSince(from, isOnline, 30_000, 'online');
    const d = await mq.probe.waitSince(from, (m) => m.topic === `${P}/diagnostics`, 20_000, 'diagnostics');
    return { from, diagnostics: JSON.parse(d.payload) as Diagnostics };
  }

  /** The crash loop: a start killed with SIGKILL once it is online. */
  async function crash(box: BoxProcess): Promise<Diagnostics> {
    const { diagnostics } = await run(box);
    await box.kill('SIGKILL');
    assert.equal(box.signal, 'SIGKILL');
    return diagnostics;
  }

  const zoneState = async (zone: string) => (await mq.probe.request<ZoneState>(P, `zone ${zone} --json`)).data;
  const gpio = async () => (await mq.probe.request<{ lines: GpioLine[]; sim_chips: SimChip[] }>(P, 'gpio --json')).data;
  const lineActive = (lines: GpioLine[], zone: string, role: string) => lines.find((l) => l.zone === zone && l.role === role)?.active;

  it(
    'five starts killed with SIGKILL: the sixth holds every amp muted and off, captures nothing, refuses volume and power, says so; safe-mode off brings it all back and resets the count',
    { timeout: 600_000 },
    async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'roombox-safe-'));
      const box = new BoxProcess({ ROOMBOX_MQTT_URL: broker.url, ROOMBOX_DATA_DIR: dataDir });
      try {
        // Before the crash loop: the living room is switched on by hand at volume 40 (restored on
        // every start after), and the stage input meters: what safe mode must stop. A clean stop.
        const first = await run(box);
        assert.deepEqual({ safe: first.diagnostics.safe_mode, unclean: first.diagnostics.unclean_starts }, { safe: false, unclean: 0 });
        assert.equal((await mq.probe.request(P, 'zone living power on')).ok, true);
        assert.equal((await mq.probe.request(P, 'zone living volume 40')).ok, true);
        assert.equal((await zoneState('living')).power, 'on');
        await mq.probe.waitSince(first.from, (m) => m.topic === LEVELS, 20_000, 'levels in a normal run');
        assert.equal(await box.kill('SIGTERM'), 0);

        // Five starts, each killed with SIGKILL once online: the count is of the unclean runs before each.
        for (let n = 0; n < 5; n++) {
          const d = await crash(box);
          assert.deepEqual({ safe: d.safe_mode, unclean: d.unclean_starts }, { safe: false, unclean: n }, `crashing start ${n + 1}`);
        }

        // The sixth start: safe mode.
        const { from, diagnostics } = await run(box);
        assert.deepEqual({ safe: diagnostics.safe_mode, unclean: diagnostics.unclean_starts }, { safe: true, unclean: 5 });
        const entered = await mq.probe.waitSince(from, isEvent('safe_mode_entered'), 20_000, 'safe_mode_entered');
        assert.deepEqual(JSON.parse(entered.payload).detail, { unclean_starts: 5, after: 5 });

        // The amps, read from the simulated hardware: enable lines off, mute lines asserted, chip muted in standby.
        const hw = await gpio();
        for (const zone of ['living', 'kitchen']) {
          assert.equal(lineActive(hw.lines, zone, 'enable'), false, `${zone} enable line off`);
          assert.equal(lineActive(hw.lines, zone, 'mute'), true, `${zone} mute line asserted`);
        }
        const pcm = hw.sim_chips.find((c) => c.kind === 'pcm512x')!.state;
        assert.deepEqual({ standby: pcm.standby, mute: pcm.mute }, { standby: true, mute: { left: true, right: true } }, `living's PCM512x: ${JSON.stringify(pcm)}`);
        // ... and as the zone state says it, on the console door and the retained topic.
        for (const zone of ['living', 'kitchen']) {
          const s = await zoneState(zone);
          assert.deepEqual({ power: s.power, mute: s.mute }, { power: 'off', mute: true }, `${zone} state ${JSON.stringify(s)}`);
          const retained = mq.probe.since(from, `${P}/zone/${zone}/state`).map((m) => JSON.parse(m.payload) as ZoneState).at(-1)!;
          assert.deepEqual({ power: retained.power, mute: retained.mute }, { power: 'off', mute: true });
        }
        assert.equal((await zoneState('living')).volume, 40, 'the saved volume is kept for after safe mode');

        // Status on the console door (over P/request) and the Home Assistant entities.
        const status = await mq.probe.request<{ safe_mode: { active: boolean; unclean_starts: number } }>(P, 'status --json');
        assert.deepEqual(status.data.safe_mode, { active: true, unclean_starts: 5, after: 5 });
        assert.match((await mq.probe.request(P, 'status')).output, /SAFE MODE after 5 unclean starts/);
        // The recording switch (recording does not run in safe mode) is kept in Home Assistant, not removed.
        type Discovery = { cmps: Record<string, Record<string, unknown>> };
        const kept = await mq.probe.waitSince(from, (m) => m.topic === DISCOVERY && (JSON.parse(m.payload) as Discovery).cmps.input_stage_record?.p === 'switch', 20_000, 'discovery keeping the recording switch');
        const discovery = JSON.parse(kept.payload) as Discovery;
        assert.ok(Object.keys(discovery.cmps.input_stage_record!).length > 1, 'kept whole, not removed');
        assert.equal(discovery.cmps.safe_mode?.p, 'binary_sensor');
        assert.equal(discovery.cmps.safe_mode?.entity_category, 'diagnostic');
        assert.equal(discovery.cmps.safe_mode?.state_topic, `${P}/diagnostics`);
        const button = discovery.cmps.safe_mode_off!;
        assert.equal(button.p, 'button');

        // Volume and power commands are refused with a clear error, and change nothing.
        const errorsFrom = mq.probe.mark();
        await mq.probe.publish(`${P}/zone/living/volume/set`, '20');
        const refused = await mq.probe.waitSince(errorsFrom, (m) => m.topic === `${P}/error`, 20_000, 'P/error for the volume');
        assert.match(JSON.parse(refused.payload).error, /zone living: refused in safe mode \(amp held muted and off\); nothing changed/);
        const power = await mq.probe.request(P, 'zone kitchen power on');
        assert.equal(power.ok, false);
        assert.match(power.output, /^error: zone kitchen: refused in safe mode/);
        assert.equal((await zoneState('living')).volume, 40);
        assert.equal(lineActive((await gpio()).lines, 'kitchen', 'enable'), false);

        // Capture: not capturing, and no level report since the start (the marker's answer comes after any).
        const input = (await mq.probe.request<{ capturing: boolean }>(P, 'input stage --json')).data;
        assert.equal(input.capturing, false);
        await mq.probe.marker(P);
        assert.equal(mq.probe.since(from, LEVELS).length, 0, 'no levels published in safe mode');
        // Recording did not start: its fields never joined the input's state.
        const inputStates = mq.probe.since(from, `${P}/input/stage/state`).map((m) => JSON.parse(m.payload) as Record<string, unknown>);
        assert.ok(inputStates.length > 0 && inputStates.every((st) => st.capturing === false && !('recording' in st)), JSON.stringify(inputStates));

        // Home Assistant's button: safe mode ends in the running box; the zones come back as saved.
        const left = mq.probe.mark();
        await mq.probe.publish(button.command_topic as string, button.payload_press as string);
        const answer = await mq.probe.waitSince(left, (m) => m.topic === `${P}/response` && JSON.parse(m.payload).id === 'homeassistant-safe-mode-off', 20_000, 'the answer to the button');
        assert.equal(JSON.parse(answer.payload).ok, true, answer.payload);
        const leftEvent = await mq.probe.waitSince(left, isEvent('safe_mode_left'), 20_000, 'safe_mode_left');
        assert.deepEqual(JSON.parse(leftEvent.payload).detail, { how: 'command' });
        await mq.probe.waitSince(left, (m) => m.topic === `${P}/diagnostics` && (JSON.parse(m.payload) as Diagnostics).safe_mode === false, 20_000, 'diagnostics: safe mode off');
        assert.equal((JSON.parse(mq.probe.since(left, `${P}/diagnostics`).at(-1)!.payload) as Diagnostics).unclean_starts, 0);
        await mq.probe.waitSince(left, (m) => m.topic === `${P}/zone/living/state` && (JSON.parse(m.payload) as ZoneState).power === 'on', 20_000, 'living on again');
        const living = await zoneState('living');
        assert.deepEqual({ power: living.power, mute: living.mute, volume: living.volume }, { power: 'on', mute: false, volume: 40 });
        const back = await gpio();
        assert.equal(lineActive(back.lines, 'living', 'enable'), true);
        assert.equal(lineActive(back.lines, 'living', 'mute'), false);
        await mq.probe.waitSince(left, (m) => m.topic === LEVELS, 20_000, 'levels again');
        await mq.probe.waitSince(left, (m) => m.topic === `${P}/input/stage/state` && 'recording' in JSON.parse(m.payload), 20_000, 'recording started');
        assert.equal((await mq.probe.request(P, 'zone kitchen volume 30')).ok, true);
        const again = await mq.probe.request(P, 'safe-mode off');
        assert.deepEqual([again.ok, again.output], [false, 'error: the box is not in safe mode (0 unclean starts in a row); nothing changed']);

        // The count started again from 0: the next crash makes it 1, not 6.
        await box.kill('SIGKILL');
        const next = await crash(box);
        assert.deepEqual({ safe: next.safe_mode, unclean: next.unclean_starts }, { safe: false, unclean: 1 });
      } finally {
        await box.dispose();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  );

  it('a clean stop between the crashes resets the count: four kills, a clean stop, four kills, and no safe mode', { timeout: 600_000 }, async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'roombox-safe-'));
    const box = new BoxProcess({ ROOMBOX_MQTT_URL: broker.url, ROOMBOX_DATA_DIR: dataDir });
    try {
      for (let n = 0; n < 4; n++) await crash(box);
      const beforeStop = await run(box);
      assert.equal(beforeStop.diagnostics.unclean_starts, 4);
      assert.equal(await box.kill('SIGTERM'), 0);
      for (let n = 0; n < 4; n++) assert.equal((await crash(box)).unclean_starts, n);
      const last = await run(box);
      assert.deepEqual({ safe: last.diagnostics.safe_mode, unclean: last.diagnostics.unclean_starts }, { safe: false, unclean: 4 });
      assert.equal((await mq.probe.request(P, 'zone living volume 35')).ok, true);
      await mq.probe.marker(P);
      assert.equal(mq.probe.since(last.from).filter(isEvent('safe_mode_entered')).length, 0);
      await box.kill('SIGTERM');
    } finally {
      await box.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a clean run of ROOMBOX_SAFE_MODE_CLEAN_S ends safe mode by itself', { timeout: 200_000 }, async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'roombox-safe-'));
    const box = new BoxProcess({ ROOMBOX_MQTT_URL: broker.url, ROOMBOX_DATA_DIR: dataDir, ROOMBOX_SAFE_MODE_AFTER: '1', ROOMBOX_SAFE_MODE_CLEAN_S: '4' });
    try {
      await crash(box);
      const { from, diagnostics } = await run(box);
      assert.deepEqual({ safe: diagnostics.safe_mode, unclean: diagnostics.unclean_starts }, { safe: true, unclean: 1 });
      const leftEvent = await mq.probe.waitSince(from, isEvent('safe_mode_left'), 30_000, 'safe_mode_left after the clean run');
      assert.deepEqual(JSON.parse(leftEvent.payload).detail, { how: 'clean_run' });
      await mq.probe.waitSince(from, (m) => m.topic === LEVELS, 20_000, 'levels after safe mode');
      const d = (await mq.probe.request<{ active: boolean; unclean_starts: number }>(P, 'safe-mode --json')).data;
      assert.deepEqual(d, { active: false, unclean_starts: 0, after: 1 });
      assert.equal((await mq.probe.request(P, 'zone living power on')).ok, true);
      await box.kill('SIGTERM');
    } finally {
      await box.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
