import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BoxProcess } from '../helpers/box-process.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { boxEvent, jsonOn, payloadJson, zoneState as zoneStateOn, type BoxEvent, type ZoneStateMessage } from '../helpers/box-api.js';
import { MqttProbe, type Received } from '../helpers/mqtt-probe.js';
import { assertMuteWrapsEnable, baseZone, zoneRig } from '../zones/harness.js';
import { CHATTER_WINDOW_MS, FAULT_CLEAR_MS } from '../../firmware/zones/fault-filter.js';
import { CHIP_RETRY_MS, ZoneChipError } from '../../firmware/zones/zone.js';
import type { SimPcm512x } from '../../firmware/sim/chips.js';

/**
 * Hardware faults on the sim board, injected below the hardware layer with the `sim` console
 * commands (sent on P/request) into a real box process, and observed over a real mosquitto:
 * an I2C chip that stops answering, a fault line that chatters, a capture device that vanishes
 * mid-read. None may take the box down. The last part drives the fault line's filter through
 * exact chatter patterns on a manual clock.
 */
const P = 'roombox/testbox';

type Json = Record<string, any>;
const parse = (m: Received): Json | undefined => payloadJson(m);
const isJson = (topic: string, pred: (v: Json) => boolean) => jsonOn(topic, pred);
const zoneState = (zone: string, pred: (s: ZoneStateMessage) => boolean) => zoneStateOn(P, zone, pred);
const inputState = (pred: (s: Json) => boolean) => isJson(`${P}/input/stage/state`, pred);
const event = (type: string, pred: (e: BoxEvent) => boolean = () => true) => boxEvent(P, type, pred);

/** One box process on a fresh mosquitto, with a probe on everything under P. */
class Rig {
  readonly broker = new Mosquitto();
  probe!: MqttProbe;
  box!: BoxProcess;
  private nextId = 0;

  async start(): Promise<void> {
    await this.broker.start();
    this.probe = await MqttProbe.connect(this.broker.url, [`${P}/#`]);
    this.box = new BoxProcess({ ROOMBOX_MQTT_URL: this.broker.url }).start();
    await this.probe.waitFor((m) => m.topic === `${P}/status` && m.payload === 'online', 30_000, 'box online');
    await this.probe.waitFor(zoneState('kitchen', () => true), 15_000, 'kitchen state');
    await this.probe.waitFor(zoneState('living', () => true), 15_000, 'living state');
  }

  async dispose(): Promise<void> {
    await this.box?.dispose();
    await this.probe?.close();
    await this.broker.dispose();
  }

  /** Where "since now" starts for `since`. */
  mark(): number {
    return this.probe.mark();
  }

  /** The first message after `mark` that matches, already here or still to come. */
  since(mark: number, pred: (m: Received) => boolean, what: string, timeoutMs = 15_000): Promise<Received> {
    return this.probe.waitSince(mark, pred, timeoutMs, what);
  }

  count(mark: number, pred: (m: Received) => boolean): number {
    return this.probe.since(mark).filter(pred).length;
  }

  /** A console line on P/request; resolves with the P/response. */
  async request(line: string): Promise<{ ok: boolean; output: string; data?: Json }> {
    const id = `hw-${++this.nextId}`;
    const mark = this.mark();
    await this.probe.publish(`${P}/request`, JSON.stringify({ id, line }));
    const m = await this.since(mark, isJson(`${P}/response`, (r) => r.id === id), `response to '${line}'`);
    return parse(m) as { ok: boolean; output: string; data?: Json };
  }

  async run(line: string): Promise<{ output: string; data?: Json }> {
    const r = await this.request(line);
    assert.ok(r.ok, `${line}: ${r.output}`);
    return r;
  }

  async gpio(): Promise<{ line: (zone: string, role: string) => Json; chip: (kind: string) => Json }> {
    const { data } = await this.run('gpio --json');
    return {
      line: (zone, role) => data!.lines.find((l: Json) => l.zone === zone && l.role === role),
      chip: (kind) => data!.sim_chips.find((c: Json) => c.kind === kind).state,
    };
  }

  /** The box is still the same live process, online, and answers a command. */
  async assertUp(): Promise<void> {
    assert.equal(this.box.exitCode, null, `box exited: ${this.box.stderr}`);
    assert.equal(this.box.signal, null);
    assert.deepEqual(this.probe.topic(`${P}/status`).map((m) => m.payload).filter((s) => s !== 'online'), [], 'never offline');
    assert.match((await this.run('version')).output, /\d+\.\d+\.\d+/);
  }

  /** SIGTERM gives the clean exit (0): no fault left the box in a state it cannot stop from. */
  async assertCleanStop(): Promise<void> {
    assert.equal(await this.box.kill('SIGTERM'), 0, this.box.stderr);
    assert.doesNotMatch(this.box.stderr, /Error|uncaught|unhandled/i);
  }
}

describe('an I2C chip that stops answering', { timeout: 300_000 }, () => {
  const rig = new Rig();
  before(() => rig.start(), { timeout: 180_000 });
  after(() => rig.dispose(), { timeout: 180_000 });

  it('EIO: a volume command gets one clear P/error and changes nothing, the zone reports a fault and is muted, the other zone works, and the chip gets its state back when it answers', { timeout: 120_000 }, async () => {
    await rig.probe.publish(`${P}/zone/living/set`, JSON.stringify({ power: 'on', volume: 40 }));
    await rig.since(0, zoneState('living', (s) => s.power === 'on' && s.volume === 40 && s.volume_db === -36), 'living on at 40');
    const mark = rig.mark();
    await rig.run('sim chip living eio');

    await rig.probe.publish(`${P}/zone/living/volume/set`, '61');
    const err = parse(await rig.since(mark, isJson(`${P}/error`, (e) => e.payload === '61'), 'P/error for the volume command'))!;
    assert.equal(err.topic, `${P}/zone/living/volume/set`);
    assert.match(err.error, /^zone living: the pcm512x amp chip does not answer \(no answer from I2C 0x4c on bus 1 \(EIO\): check wiring, power and the address\); nothing changed$/);
    const fault = parse(await rig.since(mark, event('amp_fault', (e) => e.zone === 'living'), 'amp_fault for living'))!;
    assert.deepEqual([fault.detail.cause, fault.detail.chip], ['chip', 'pcm512x']);
    assert.match(fault.detail.error, /EIO/);
    await rig.since(mark, zoneState('living', (s) => s.fault === true && s.volume === 40 && s.power === 'on'), 'living faulted, volume still 40');
    // The chip's registers can no longer be trusted: the mute line silences the amp.
    assert.equal((await rig.gpio()).line('living', 'mute').active, true, 'living mute line asserted');
    const shown = await rig.run('zone living');
    assert.match(shown.output, /FAULT\n +chip not answering: no answer from I2C 0x4c on bus 1 \(EIO\)/);

    // Each command for the silent chip is refused on its own; mute (the safe direction) is not.
    await rig.probe.publish(`${P}/zone/living/set`, JSON.stringify({ volume: 62 }));
    await rig.since(mark, isJson(`${P}/error`, (e) => e.payload === '{"volume":62}'), 'P/error for the JSON command');

    // The other zone and the box go on.
    await rig.probe.publish(`${P}/zone/kitchen/volume/set`, '33');
    await rig.since(mark, zoneState('kitchen', (s) => s.volume === 33 && s.fault === false), 'kitchen takes a volume');
    await rig.assertUp();

    // The chip answers again, from its power-on reset state (unmuted at 0 dB): the zone notices
    // by itself and gives it the zone's state back.
    const back = rig.mark();
    await rig.run('sim chip living ok');
    const cleared = parse(await rig.since(back, event('amp_fault_cleared', (e) => e.zone === 'living'), 'amp_fault_cleared for living'))!;
    assert.equal(cleared.detail.cause, 'chip');
    await rig.since(back, zoneState('living', (s) => s.fault === false && s.power === 'on' && s.volume === 40 && s.volume_db === -36), 'living recovered at 40');
    const hw = await rig.gpio();
    const pcm = hw.chip('pcm512x');
    assert.deepEqual(pcm.volume_regs, [0x78, 0x78], 'volume 40 (-36 dB) written again, not the reset 0 dB');
    assert.equal(pcm.standby, false);
    assert.deepEqual(pcm.mute, { left: false, right: false });
    assert.equal(hw.line('living', 'mute').active, false, 'mute line released once the chip holds the right volume');

    await rig.probe.publish(`${P}/zone/living/volume/set`, '50');
    await rig.since(back, zoneState('living', (s) => s.volume === 50 && s.volume_db === -30), 'volume works again');
    // Exactly one P/error per refused command, and none for anything else: a marker's answer comes after any.
    await rig.probe.marker(P);
    assert.equal(rig.count(mark, (m) => m.topic === `${P}/error`), 2);
    assert.equal(rig.count(mark, event('amp_fault')), 1);
    assert.equal(rig.count(mark, event('amp_fault_cleared')), 1);
  });

  it('NACK while the amp is off: a command after the chip is back is retried on the spot and the chip is set up (standby, volume) again', { timeout: 60_000 }, async () => {
    await rig.probe.publish(`${P}/zone/living/power/set`, 'OFF');
    await rig.since(0, zoneState('living', (s) => s.power === 'off' && s.fault === false), 'living off');
    const mark = rig.mark();
    await rig.run('sim chip living nack');
    await rig.probe.publish(`${P}/zone/living/mute/set`, 'ON');
    await rig.since(mark, zoneState('living', (s) => s.mute === true), 'mute needs no chip while off');
    await rig.probe.publish(`${P}/zone/living/volume/set`, '20');
    const err = parse(await rig.since(mark, isJson(`${P}/error`, (e) => e.payload === '20'), 'P/error'))!;
    assert.match(err.error, /does not answer \(no answer from I2C 0x4c on bus 1 \(EREMOTEIO\)/);
    await rig.since(mark, zoneState('living', (s) => s.fault === true && s.volume === 50), 'fault, volume unchanged');
    assert.match((await rig.run('i2c scan 1')).output, /^bus 1: 0x4b$/, 'the silent chip is gone from the scan');

    await rig.run('sim chip living ok');
    await rig.probe.publish(`${P}/zone/living/volume/set`, '20');
    await rig.since(mark, zoneState('living', (s) => s.fault === false && s.volume === 20 && s.volume_db === -48 && s.power === 'off'), 'recovered, volume 20');
    const pcm = (await rig.gpio()).chip('pcm512x');
    assert.equal(pcm.standby, true, 'the reset chip was put back in standby');
    assert.deepEqual(pcm.volume_regs, [0x90, 0x90]);
    await rig.assertUp();
    await rig.assertCleanStop();
  });
});

describe('a fault line that chatters', { timeout: 300_000 }, () => {
  const rig = new Rig();
  before(() => rig.start(), { timeout: 180_000 });
  after(() => rig.dispose(), { timeout: 180_000 });

  it('one amp_fault and one amp_fault_cleared for 400 toggles, the amp off and muted meanwhile, and the zone usable once the line is quiet', { timeout: 120_000 }, async () => {
    await rig.probe.publish(`${P}/zone/kitchen/set`, JSON.stringify({ power: 'on', mute: false }));
    await rig.since(0, zoneState('kitchen', (s) => s.power === 'on' && s.mute === false), 'kitchen on');
    const mark = rig.mark();
    await rig.run('sim fault kitchen chatter 5 400');

    const fault = parse(await rig.since(mark, event('amp_fault', (e) => e.zone === 'kitchen'), 'amp_fault for kitchen'))!;
    assert.deepEqual(fault.detail, { cause: 'line', line: 13 });
    await rig.since(mark, zoneState('kitchen', (s) => s.fault === true && s.power === 'off'), 'kitchen faulted and off');
    const hw = await rig.gpio();
    assert.equal(hw.line('kitchen', 'mute').active, true, 'mute asserted');
    assert.equal(hw.line('kitchen', 'enable').active, false, 'amp disabled');
    assert.equal(hw.chip('max9744').volume, 0, 'chip at its mute code');

    await rig.probe.publish(`${P}/zone/kitchen/power/set`, 'ON');
    await rig.since(mark, isJson(`${P}/error`, (e) => /fault is active/.test(e.error)), 'power refused while faulted');
    await rig.probe.publish(`${P}/zone/living/volume/set`, '44');
    await rig.since(mark, zoneState('living', (s) => s.volume === 44), 'the other zone works meanwhile');

    await rig.since(mark, event('amp_fault_cleared', (e) => e.zone === 'kitchen'), 'amp_fault_cleared once the line is quiet', 30_000);
    await rig.since(mark, zoneState('kitchen', (s) => s.fault === false && s.power === 'off'), 'cleared, still off');
    const quiet = await rig.gpio();
    assert.equal(quiet.line('kitchen', 'fault').active, false, 'the chatter ended with the line released');
    assert.equal(quiet.line('kitchen', 'enable').active, false);

    await rig.probe.marker(P);
    assert.equal(rig.count(mark, event('amp_fault')), 1, 'one amp_fault for the whole burst');
    assert.equal(rig.count(mark, event('amp_fault_cleared')), 1, 'one amp_fault_cleared');
    assert.equal(rig.count(mark, event('power_changed', (e) => e.zone === 'kitchen' && e.detail?.to === 'off')), 1, 'one power change to off');
    const states = rig.count(mark, zoneState('kitchen', () => true));
    assert.ok(states <= 3, `${states} kitchen states for 400 toggles`);

    await rig.probe.publish(`${P}/zone/kitchen/power/set`, 'ON');
    await rig.since(mark, zoneState('kitchen', (s) => s.power === 'on' && s.fault === false), 'power on once the line is quiet');
    const on = await rig.gpio();
    assert.equal(on.line('kitchen', 'enable').active, true);
    assert.equal(on.line('kitchen', 'mute').active, false);
    await rig.assertUp();
    await rig.assertCleanStop();
  });
});

describe('a capture device that vanishes mid-read', { timeout: 300_000 }, () => {
  const rig = new Rig();
  before(() => rig.start(), { timeout: 180_000 });
  after(() => rig.dispose(), { timeout: 180_000 });

  it('the read fails and the card goes: absent with its alarm, no crash, and capture comes back with the card', { timeout: 60_000 }, async () => {
    await rig.since(0, inputState((s) => s.present && s.capturing), 'stage capturing');
    await rig.since(0, (m) => m.topic === `${P}/input/stage/levels`, 'levels');
    const mark = rig.mark();
    await rig.run('sim unplug stage');
    await rig.since(mark, event('input_absent', (e) => e.input === 'stage'), 'input_absent');
    await rig.since(mark, inputState((s) => !s.present && !s.capturing && s.alarm === 'absent'), 'state absent with the absent alarm');
    const info = (await rig.run('input stage --json')).data!;
    assert.ok(info.failures >= 1);
    assert.match(info.last_error, /read from plughw:CARD=Device,DEV=0 failed: No such device/);
    await rig.probe.publish(`${P}/zone/living/volume/set`, '35');
    await rig.since(mark, zoneState('living', (s) => s.volume === 35), 'zones unaffected');
    await rig.assertUp();

    const back = rig.mark();
    await rig.run('sim plug stage');
    await rig.since(back, event('input_present', (e) => e.input === 'stage'), 'input_present');
    await rig.since(back, event('alarm_cleared', (e) => e.input === 'stage' && e.detail?.alarm === 'absent'), 'alarm_cleared');
    await rig.since(back, inputState((s) => s.present && s.capturing && s.alarm === null), 'capturing again');
    await rig.since(back, (m) => m.topic === `${P}/input/stage/levels`, 'levels again');
    await rig.probe.marker(P);
    assert.equal(rig.count(mark, event('input_absent')), 1);
  });

  it('a read error with the card still there: capture stops, reopens by itself and meters again, no absent alarm', { timeout: 60_000 }, async () => {
    await rig.since(0, inputState((s) => s.present && s.capturing), 'stage capturing');
    const before = (await rig.run('input stage --json')).data!.failures as number;
    const mark = rig.mark();
    await rig.run('sim readerror stage');
    await rig.since(mark, inputState((s) => s.present && !s.capturing), 'not capturing after the read error');
    const reopened = await rig.since(mark, inputState((s) => s.present && s.capturing && s.alarm === null), 'capturing again', 20_000);
    const at = rig.probe.messages.indexOf(reopened);
    await rig.since(at, (m) => m.topic === `${P}/input/stage/levels`, 'levels after the reopen');
    const info = (await rig.run('input stage --json')).data!;
    assert.equal(info.failures, before + 1);
    assert.match(info.last_error, /Input\/output error/);
    await rig.probe.marker(P);
    assert.equal(rig.count(mark, event('input_absent')), 0);
    await rig.assertUp();
    await rig.assertCleanStop();
  });
});

describe('the fault line filter, on a manual clock', { timeout: 300_000 }, () => {
  const kitchen = baseZone({ name: 'kitchen', amp: { chip: 'max9744', bus: 1, address: 0x4b }, volumeDb: { min: -50, max: 9.5 }, gpio: { enable: { line: 5, active: 'high' }, mute: { line: 6, active: 'high' }, fault: { line: 13, active: 'low' } } });
  const rig = async () => {
    const r = zoneRig(kitchen);
    await r.act(() => r.zone.start());
    await r.act(() => r.zone.setPower('on'));
    const count = (type: string) => r.events.filter((e) => e.type === type).length;
    /** Toggles the fault line (idle high) `toggles` times, `periodMs` apart, then releases it. */
    const chatter = async (periodMs: number, toggles: number) => {
      r.hw.sim!.lines.chatter(13, { clock: r.clock, periodMs, toggles, rest: 1 });
      await r.clock.advanceAsync(periodMs * toggles, 1);
    };
    return { r, count, chatter };
  };

  for (const periodMs of [1, 5, 15, 60, 400, 900]) {
    it(`toggling every ${periodMs} ms: the fault is raised at once, stays while it chatters, and clears ${FAULT_CLEAR_MS} ms after the line is quiet`, async () => {
      const { r, count, chatter } = await rig();
      await chatter(periodMs, 40);
      assert.equal(count('amp_fault'), 1);
      assert.equal(r.last().fault, true);
      assert.equal(r.hw.sim!.lines.read(5), 0, 'enable off');
      assert.equal(r.hw.sim!.lines.read(6), 1, 'mute asserted');
      await r.clock.advanceAsync(FAULT_CLEAR_MS - 50, 5);
      assert.equal(count('amp_fault_cleared'), 0, 'not cleared before the line was quiet for the clear time');
      await r.clock.advanceAsync(100, 5);
      assert.equal(count('amp_fault_cleared'), 1);
      assert.equal(count('amp_fault'), 1);
      assert.equal(r.last().fault, false);
      assert.equal(r.last().power, 'off', 'stays off until power is asked for again');
    });
  }

  it('short glitches: one or two in a second are ignored, a third within a second is a fault', async () => {
    const { r, count } = await rig();
    const glitch = async () => {
      r.hw.sim!.lines.inject(13, 0);
      await r.clock.advanceAsync(5, 1);
      r.hw.sim!.lines.inject(13, 1);
    };
    await glitch();
    await r.clock.advanceAsync(CHATTER_WINDOW_MS + 10, 10);
    await glitch();
    await r.clock.advanceAsync(300, 10);
    await glitch();
    await r.clock.advanceAsync(300, 10);
    assert.equal(count('amp_fault'), 0);
    assert.equal(r.last().power, 'on');
    await glitch();
    await r.clock.advanceAsync(10, 1);
    assert.equal(count('amp_fault'), 1);
    assert.equal(r.last().power, 'off');
  });

  it('a line that settles active keeps the fault; bursts with quiet gaps give at most one raise and one clear each', async () => {
    const { r, count, chatter } = await rig();
    r.hw.sim!.lines.chatter(13, { clock: r.clock, periodMs: 3, toggles: 101, rest: 0 });
    await r.clock.advanceAsync(10_000, 10);
    assert.equal(count('amp_fault'), 1);
    assert.equal(count('amp_fault_cleared'), 0, 'held active: no clear');
    r.hw.sim!.lines.inject(13, 1);
    await r.clock.advanceAsync(FAULT_CLEAR_MS + 50, 10);
    assert.equal(count('amp_fault_cleared'), 1);
    for (let burst = 0; burst < 5; burst++) {
      await chatter(2, 50);
      await r.clock.advanceAsync(FAULT_CLEAR_MS + 50, 10);
    }
    assert.equal(count('amp_fault'), 6);
    assert.equal(count('amp_fault_cleared'), 6);
  });
});

describe('a chip that stops answering, on a manual clock', { timeout: 300_000 }, () => {
  it('the exact recovery: retried every 2 s, then boot, enable, settle, power-up, volume and unmute, with the mute line around every enable change', async () => {
    const zp = baseZone();
    const r = zoneRig(zp);
    await r.act(() => r.zone.start());
    await r.act(() => r.zone.setPower('on'));
    await r.act(() => r.zone.setVolume(40));
    r.hw.sim!.chipStops(1, 0x4c, 'EIO');
    await assert.rejects(r.act(() => r.zone.setVolume(60)), ZoneChipError);
    assert.equal(r.last().volume, 40, 'the refused volume is not in the state');
    assert.equal(r.last().fault, true);
    assert.equal(r.last().power, 'on');
    assert.equal(r.hw.sim!.lines.read(22), 0, 'mute line (active low) asserted');
    assert.deepEqual(r.events.filter((e) => e.type === 'amp_fault').map((e) => e.detail?.cause), ['chip']);
    await r.clock.advanceAsync(CHIP_RETRY_MS * 3, 10);
    assert.equal(r.errors.length, 1, `one error logged, not one per retry: ${r.errors.join(' | ')}`);
    await assert.rejects(r.zone.setMute(false), ZoneChipError);

    r.hw.sim!.chipReturns(1, 0x4c);
    const chip = r.hw.sim!.i2c.chip(1, 0x4c) as SimPcm512x;
    assert.deepEqual(chip.volumeDb, { left: 0, right: 0 }, 'back from reset at 0 dB');
    const from = r.ops.length;
    await r.clock.advanceAsync(CHIP_RETRY_MS + 500, 5);
    const pcm = 'i2c 1:0x4c reg';
    assert.deepEqual(r.ops.slice(from), [
      'line 22 <- 0',
      `${pcm} 0x00 <- 0x00`,
      `${pcm} 0x03 <- 0x11`,
      `${pcm} 0x02 <- 0x10`,
      'line 17 <- 1',
      `${pcm} 0x00 <- 0x00`,
      `${pcm} 0x03 <- 0x11`,
      `${pcm} 0x02 <- 0x00`,
      `${pcm} 0x3d <- 0x78`,
      `${pcm} 0x3e <- 0x78`,
      `${pcm} 0x03 <- 0x00`,
      'line 22 <- 1',
    ]);
    assert.deepEqual(chip.volumeDb, { left: -36, right: -36 });
    assert.equal(r.last().fault, false);
    assert.equal(r.events[r.events.length - 1]!.type, 'amp_fault_cleared');
    assertMuteWrapsEnable(r.ops, zp);
    await r.act(() => r.zone.setVolume(60));
    assert.equal(r.last().volume, 60);
  });

  it('power off and mute work without the chip; a fault line during the recovery settle keeps the amp off and muted', async () => {
    const zp = baseZone({ name: 'kitchen', amp: { chip: 'max9744', bus: 1, address: 0x4b }, volumeDb: { min: -50, max: 9.5 }, gpio: { enable: { line: 5, active: 'high' }, mute: { line: 6, active: 'high' }, fault: { line: 13, active: 'low' } } });
    const r = zoneRig(zp);
    await r.act(() => r.zone.start());
    await r.act(() => r.zone.setPower('on'));
    r.hw.sim!.chipStops(1, 0x4b, 'EREMOTEIO');
    await assert.rejects(r.act(() => r.zone.setVolume(50)), ZoneChipError);
    await r.act(() => r.zone.setMute(true));
    assert.equal(r.last().mute, true, 'mute needs no chip');
    await r.act(() => r.zone.setPower('off'));
    assert.equal(r.last().power, 'off', 'power off needs no chip');
    assert.equal(r.hw.sim!.lines.read(5), 0);
    assert.equal(r.last().fault, true);

    await r.act(() => r.zone.setMute(false));
    r.hw.sim!.chipReturns(1, 0x4b);
    await r.act(() => r.zone.setPower('on'));
    assert.equal(r.last().fault, false, 'the power command brought the chip back');
    assert.equal(r.last().power, 'on');

    r.hw.sim!.chipStops(1, 0x4b, 'EIO');
    await assert.rejects(r.act(() => r.zone.setVolume(50)), ZoneChipError);
    r.hw.sim!.chipReturns(1, 0x4b);
    const from = r.ops.length;
    for (let waited = 0; !r.ops.slice(from).includes('line 5 <- 1'); waited += 5) {
      assert.ok(waited < CHIP_RETRY_MS * 2, 'the retry re-enables the amp');
      await r.clock.advanceAsync(5, 5);
    }
    // The recovery is in its settle time: the amp's fault line trips.
    r.hw.sim!.lines.inject(13, 0);
    await r.clock.advanceAsync(1000, 5);
    assert.equal(r.last().power, 'off');
    assert.equal(r.last().fault, true);
    assert.equal(r.hw.sim!.lines.read(5), 0, 'enable low');
    assert.equal(r.hw.sim!.lines.read(6), 1, 'mute asserted');
    assert.ok(!r.ops.slice(from).includes('line 6 <- 0'), 'never unmuted');
    assertMuteWrapsEnable(r.ops, zp);
  });
});
