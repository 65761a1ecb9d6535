import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertMuteWrapsEnable, baseZone, zoneRig } from './harness.js';
import type { ZoneProfile } from '../../firmware/board/profile.js';

/**
 * The exact ordered line and register sequences of every driver, on the simulated hardware:
 * start, power-up, a volume change while playing (a ramp), power-down and SIGTERM. Each case
 * also checks that the mute line is asserted around every enable-line change.
 */
interface Case {
  zp: ZoneProfile;
  start: string[];
  on: string[];
  volume40: string[];
  db40: number | null;
  off: string[];
  stop: string[];
}

const pcm = 'i2c 1:0x4c reg';
const tas = 'i2c 1:0x1b reg';
const tpa = 'i2c 1:0x58 reg';
const mx = 'amixer -c IQaudIODAC';
const cases: Record<string, Case> = {
  pcm512x: {
    zp: baseZone(),
    // mute line (active low) asserted; page 0, soft mute both, standby; enable low; volume 30 = -42 dB = 0x84.
    start: ['line 22 <- 0', `${pcm} 0x00 <- 0x00`, `${pcm} 0x03 <- 0x11`, `${pcm} 0x02 <- 0x10`, 'line 17 <- 0', `${pcm} 0x3d <- 0x84`, `${pcm} 0x3e <- 0x84`],
    on: ['line 22 <- 0', `${pcm} 0x03 <- 0x11`, 'line 17 <- 1', `${pcm} 0x00 <- 0x00`, `${pcm} 0x03 <- 0x11`, `${pcm} 0x02 <- 0x00`, `${pcm} 0x3d <- 0x84`, `${pcm} 0x3e <- 0x84`, `${pcm} 0x03 <- 0x00`, 'line 22 <- 1'],
    // 30 -> 35 (-39 dB, 0x7e) -> 40 (-36 dB, 0x78)
    volume40: [`${pcm} 0x3d <- 0x7e`, `${pcm} 0x3e <- 0x7e`, `${pcm} 0x3d <- 0x78`, `${pcm} 0x3e <- 0x78`],
    db40: -36,
    off: [`${pcm} 0x03 <- 0x11`, 'line 22 <- 0', `${pcm} 0x02 <- 0x10`, 'line 17 <- 0'],
    stop: [`${pcm} 0x03 <- 0x11`, 'line 22 <- 0', `${pcm} 0x02 <- 0x10`, 'line 17 <- 0'],
  },
  tas5713: {
    zp: baseZone({ amp: { chip: 'tas5713', bus: 1, address: 0x1b } }),
    start: ['line 22 <- 0', `${tas} 0x06 <- 0x07`, `${tas} 0x05 <- 0x40`, 'line 17 <- 0', `${tas} 0x07 <- 0x84`],
    on: ['line 22 <- 0', `${tas} 0x06 <- 0x07`, 'line 17 <- 1', `${tas} 0x02 <- 0x00`, `${tas} 0x1b <- 0x00`, `${tas} 0x06 <- 0x07`, `${tas} 0x05 <- 0x00`, `${tas} 0x07 <- 0x84`, `${tas} 0x06 <- 0x00`, 'line 22 <- 1'],
    volume40: [`${tas} 0x07 <- 0x7e`, `${tas} 0x07 <- 0x78`],
    db40: -36,
    off: [`${tas} 0x06 <- 0x07`, 'line 22 <- 0', `${tas} 0x05 <- 0x40`, 'line 17 <- 0'],
    stop: [`${tas} 0x06 <- 0x07`, 'line 22 <- 0', `${tas} 0x05 <- 0x40`, 'line 17 <- 0'],
  },
  max9744: {
    zp: baseZone({ amp: { chip: 'max9744', bus: 1, address: 0x4b }, volumeDb: { min: -50, max: 9.5 }, gpio: { enable: { line: 5, active: 'high' }, mute: { line: 6, active: 'high' }, fault: { line: 13, active: 'low' } } }),
    // write-only: volume goes to the shadow while muted; code 0 is the chip's mute
    start: ['line 6 <- 1', 'i2c 1:0x4b <- 0x00', 'line 5 <- 0'],
    on: ['line 6 <- 1', 'i2c 1:0x4b <- 0x00', 'line 5 <- 1', 'i2c 1:0x4b <- 0x00', 'i2c 1:0x4b <- 0x14', 'line 6 <- 0'],
    volume40: ['i2c 1:0x4b <- 0x17', 'i2c 1:0x4b <- 0x1a'],
    db40: -26,
    off: ['i2c 1:0x4b <- 0x00', 'line 6 <- 1', 'line 5 <- 0'],
    stop: ['i2c 1:0x4b <- 0x00', 'line 6 <- 1', 'line 5 <- 0'],
  },
  tpa2016: {
    zp: baseZone({ amp: { chip: 'tpa2016', bus: 1, address: 0x58 }, volumeDb: { min: -28, max: 30 } }),
    start: ['line 22 <- 0', `${tpa} 0x01 <- 0x20`, 'line 17 <- 0', `${tpa} 0x05 <- 0x35`],
    on: ['line 22 <- 0', `${tpa} 0x01 <- 0x20`, 'line 17 <- 1', `${tpa} 0x01 <- 0x00`, `${tpa} 0x05 <- 0x35`, `${tpa} 0x01 <- 0xc0`, 'line 22 <- 1'],
    volume40: [`${tpa} 0x05 <- 0x38`, `${tpa} 0x05 <- 0x3b`],
    db40: -5,
    off: [`${tpa} 0x01 <- 0x00`, 'line 22 <- 0', `${tpa} 0x01 <- 0x20`, 'line 17 <- 0'],
    stop: [`${tpa} 0x01 <- 0x20`, 'line 22 <- 0', `${tpa} 0x01 <- 0x20`, 'line 17 <- 0'],
  },
  gpio: {
    zp: baseZone({ amp: { chip: 'gpio' }, gpio: { enable: { line: 23, active: 'high' }, mute: { line: 24, active: 'high' }, fault: { line: 25, active: 'low' } } }),
    start: ['line 24 <- 1', 'line 23 <- 0'],
    on: ['line 24 <- 1', 'line 23 <- 1', 'line 24 <- 0'],
    volume40: [],
    db40: null,
    off: ['line 24 <- 1', 'line 23 <- 0'],
    stop: ['line 24 <- 1', 'line 23 <- 0'],
  },
  'alsa-mixer': {
    zp: baseZone({ amp: { chip: 'alsa-mixer', mixerCard: 'IQaudIODAC', mixerControl: 'Digital' }, gpio: { mute: { line: 22, active: 'low' } } }),
    start: ['line 22 <- 0', `${mx} -q sset Digital mute`, `${mx} -q sset Digital -42.00dB`, `${mx} sget Digital`],
    on: ['line 22 <- 0', `${mx} -q sset Digital mute`, `${mx} -q sset Digital -42.00dB`, `${mx} sget Digital`, `${mx} -q sset Digital unmute`, 'line 22 <- 1'],
    volume40: [`${mx} -q sset Digital -39.00dB`, `${mx} sget Digital`, `${mx} -q sset Digital -36.00dB`, `${mx} sget Digital`],
    db40: -36,
    off: [`${mx} -q sset Digital mute`, 'line 22 <- 0'],
    stop: [`${mx} -q sset Digital mute`, 'line 22 <- 0'],
  },
};

describe('power sequences of every driver', () => {
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: start, power-up, volume ramp while playing, power-down, SIGTERM`, async () => {
      const r = zoneRig(c.zp);
      assert.deepEqual(await r.act(() => r.zone.start()), c.start, 'start');
      assert.equal(r.last().power, 'standby');
      assert.deepEqual(await r.act(() => r.zone.setPower('on')), c.on, 'power-up');
      assert.equal(r.last().power, 'on');
      r.zone.onPlayback(true);
      assert.deepEqual(await r.act(() => r.zone.setVolume(40)), c.volume40, 'volume 30 -> 40 while playing');
      assert.equal(r.last().volume, 40);
      assert.equal(r.last().volume_db, c.db40);
      assert.deepEqual(await r.act(() => r.zone.setPower('off')), c.off, 'power-down');
      assert.equal(r.last().power, 'off');
      assert.deepEqual(await r.act(() => r.zone.stop()), c.stop, 'SIGTERM');
      assertMuteWrapsEnable(r.ops, c.zp);
      assert.deepEqual(r.errors, []);
    });
  }

  it('a codec held by a kernel driver (EBUSY) still leaves the lines muted and off, and says why', async () => {
    const r = zoneRig(baseZone());
    r.hw.sim!.i2c.holdByKernel(1, 0x4c);
    await r.act(() => r.zone.start());
    assert.deepEqual(r.ops, ['line 22 <- 0', 'line 17 <- 0', 'line 22 <- 0', 'line 17 <- 0']);
    assert.match(r.errors[0]!, /chip boot: I2C 0x4c on bus 1 is held by a kernel driver \(EBUSY\)/);
    await assert.rejects(r.act(() => r.zone.setPower('on')), /EBUSY/);
    assert.equal(r.hw.sim!.lines.read(22), 0, 'mute still asserted after the failed power-up');
  });

  it('power-up waits the settle time before releasing mute', async () => {
    const r = zoneRig(baseZone({ settleMs: 300 }));
    await r.act(() => r.zone.start());
    const from = r.ops.length;
    const p = r.zone.setPower('on');
    await r.clock.advanceAsync(290, 5);
    assert.deepEqual(r.ops.slice(from), ['line 22 <- 0', 'i2c 1:0x4c reg 0x03 <- 0x11', 'line 17 <- 1'], 'only mute and enable before the settle time');
    await r.clock.advanceAsync(50, 5);
    await p;
    assert.equal(r.ops[r.ops.length - 1], 'line 22 <- 1');
  });

  for (const name of ['max9744', 'gpio'] as const) {
    it(`${name}: a fault turns the amp off and mutes it at once; power only when asked again`, async () => {
      const c = cases[name]!;
      const r = zoneRig(c.zp);
      await r.act(() => r.zone.start());
      await r.act(() => r.zone.setPower('on'));
      const fault = c.zp.gpio.fault!;
      const mute = c.zp.gpio.mute!;
      const enable = c.zp.gpio.enable!;
      const from = r.ops.length;
      r.hw.sim!.lines.inject(fault.line as number, 0);
      await r.clock.advanceAsync(100, 5);
      const chipOps = name === 'max9744' ? ['i2c 1:0x4b <- 0x00'] : [];
      assert.deepEqual(r.ops.slice(from), [`line ${fault.line} -> 0`, `line ${mute.line} <- 1`, `line ${enable.line} <- 0`, ...chipOps]);
      assert.deepEqual(r.events.slice(-2).map((e) => e.type), ['amp_fault', 'power_changed']);
      assert.equal(r.last().fault, true);
      assert.equal(r.last().power, 'off');
      await assert.rejects(r.zone.setPower('on'), /fault is active/);
      r.hw.sim!.lines.inject(fault.line as number, 1);
      await r.clock.advanceAsync(900, 5);
      assert.equal(r.last().fault, true, 'a fault clears only after the line has been quiet for 1 s');
      await r.clock.advanceAsync(200, 5);
      assert.equal(r.events[r.events.length - 1]!.type, 'amp_fault_cleared');
      assert.equal(r.last().fault, false);
      assert.equal(r.last().power, 'off', 'stays off after the fault clears');
      r.zone.onPlayback(true);
      await r.clock.advanceAsync(5000, 50);
      assert.equal(r.last().power, 'off', 'playback does not power a zone that faulted');
      await r.act(() => r.zone.setPower('on'));
      assert.equal(r.last().power, 'on');
      assertMuteWrapsEnable(r.ops, c.zp);
    });
  }

  it('a fault during the settle time cancels the power-up', async () => {
    const c = cases.max9744!;
    const r = zoneRig(c.zp);
    await r.act(() => r.zone.start());
    const p = r.zone.setPower('on');
    await r.clock.advanceAsync(50, 5);
    r.hw.sim!.lines.inject(13, 0);
    await r.clock.advanceAsync(500, 5);
    await p;
    assert.equal(r.last().power, 'off');
    assert.equal(r.hw.sim!.lines.read(5), 0, 'enable stays low');
    assert.equal(r.hw.sim!.lines.read(6), 1, 'mute stays asserted');
  });

  it('a short fault glitch under the debounce time is ignored', async () => {
    const r = zoneRig(cases.max9744!.zp);
    await r.act(() => r.zone.start());
    r.hw.sim!.lines.inject(13, 0);
    await r.clock.advanceAsync(5, 1);
    r.hw.sim!.lines.inject(13, 1);
    await r.clock.advanceAsync(100, 5);
    assert.equal(r.events.filter((e) => e.type === 'amp_fault').length, 0);
  });
});
