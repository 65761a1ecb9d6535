import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { I2C_ATTEMPTS } from '../../firmware/hal/i2c/mapped-bus.js';
import { PCM512X } from '../../firmware/chips/pcm512x.js';
import { FAULT_CONFIRM_MS } from '../../firmware/zones/fault-filter.js';
import { assertMuteWrapsEnable, baseZone, zoneRig } from './harness.js';

/**
 * A power-up fails at each of its steps in turn, injected into the sim board below the hardware
 * layer (a GPIO write the kernel refuses, a chip register write that fails, the amp's fault line
 * during the settle time). Every time: the enable line ends off and the mute line asserted,
 * the zone reports a fault saying why, and no state ever says standby (or off) while the
 * enable line is on.
 */
const zp = baseZone({ gpio: { enable: { line: 17, active: 'high' }, mute: { line: 22, active: 'low' }, fault: { line: 27, active: 'low' } } });
const BUS = 1;
const ADDR = 0x4c;
const ENABLE = 17;
const MUTE = 22;
const FAULT = 27;
const MUTE_ACTIVE = 0;

type Rig = ReturnType<typeof zoneRig>;
interface Step {
  name: string;
  /** Arms the failure; `during` runs once the settle time has begun (the enable line is on). */
  before?: (r: Rig) => void;
  during?: (r: Rig) => void;
  /** The fault the zone reports. */
  fault: { cause: string; step?: string; error: RegExp };
}

const chipCodes = [
  { code: 'EINVAL', count: 1, cause: 'power_up', error: /EINVAL/ },
  // Three EIO in a row outlast the bus layer's retries: the chip stopped answering.
  { code: 'EIO', count: I2C_ATTEMPTS, cause: 'chip', error: /no answer from I2C 0x4c on bus 1 \(EIO\)/ },
];

const steps: Step[] = [
  { name: 'mute line', before: (r) => r.hw.sim!.lines.failNext(MUTE, 'EBUSY'), fault: { cause: 'power_up', step: 'mute line', error: /GPIO22: EBUSY/ } },
  ...chipCodes.map((c) => ({ name: `chip soft mute (${c.code})`, before: (r: Rig) => r.hw.sim!.i2c.failWrite(BUS, ADDR, PCM512X.MUTE, c.code, c.count), fault: { cause: c.cause, ...(c.cause === 'power_up' ? { step: 'chip soft mute' } : {}), error: c.error } })),
  { name: 'enable line', before: (r) => r.hw.sim!.lines.failNext(ENABLE, 'EIO'), fault: { cause: 'power_up', step: 'enable line', error: /GPIO17: EIO/ } },
  { name: 'settle (the amp faults as it powers up)', during: (r) => r.hw.sim!.lines.inject(FAULT, 0), fault: { cause: 'line', error: /^$/ } },
  ...chipCodes.map((c) => ({ name: `chip power-up (${c.code})`, during: (r: Rig) => r.hw.sim!.i2c.failWrite(BUS, ADDR, PCM512X.POWER, c.code, c.count), fault: { cause: c.cause, ...(c.cause === 'power_up' ? { step: 'chip power-up' } : {}), error: c.error } })),
  ...chipCodes.map((c) => ({ name: `volume (${c.code})`, during: (r: Rig) => r.hw.sim!.i2c.failWrite(BUS, ADDR, PCM512X.VOL_LEFT, c.code, c.count), fault: { cause: c.cause, ...(c.cause === 'power_up' ? { step: 'volume' } : {}), error: c.error } })),
  // The chip's power-up writes its mute register first (muted): the unmute is the next write.
  ...chipCodes.map((c) => ({ name: `chip unmute (${c.code})`, during: (r: Rig) => r.hw.sim!.i2c.failWrite(BUS, ADDR, PCM512X.MUTE, c.code, c.count, 1), fault: { cause: c.cause, ...(c.cause === 'power_up' ? { step: 'chip unmute' } : {}), error: c.error } })),
  { name: 'mute line release', during: (r) => r.hw.sim!.lines.failNext(MUTE, 'EBUSY'), fault: { cause: 'power_up', step: 'mute line release', error: /GPIO22: EBUSY/ } },
];

/** Every state the zone publishes, with the enable line's level at that moment. */
function watchStates(r: Rig): { power: string; fault: boolean; enable: number }[] {
  const seen: { power: string; fault: boolean; enable: number }[] = [];
  const push = r.states.push.bind(r.states);
  r.states.push = (...s) => {
    for (const x of s) seen.push({ power: x.power, fault: x.fault, enable: r.hw.sim!.lines.read(ENABLE) });
    return push(...s);
  };
  return seen;
}

describe('a failed power-up fails safe', { timeout: 60_000 }, () => {
  for (const mode of ['command', 'playback'] as const) {
    for (const step of steps) {
      it(`${mode}: ${step.name} fails: enable off, mute on, fault with the reason, never standby with the enable line on`, async () => {
        const r = zoneRig(zp);
        const seen = watchStates(r);
        await r.act(() => r.zone.start());
        if (mode === 'playback') assert.equal(r.last().power, 'standby');
        step.before?.(r);
        const from = r.ops.length;
        const attempt = mode === 'command' ? r.zone.setPower('on').then(() => null, (e: Error) => e) : Promise.resolve(r.zone.onPlayback(true)).then(() => null);
        // Into the settle time: the enable line is on unless an earlier step failed.
        await r.clock.advanceAsync(zp.settleMs / 2, 5);
        step.during?.(r);
        await r.clock.advanceAsync(zp.settleMs + FAULT_CONFIRM_MS + 500, 5);
        const err = await attempt;

        const lines = r.hw.sim!.lines;
        assert.equal(lines.read(ENABLE), 0, `enable line off; ops: ${r.ops.slice(from).join(' | ')}`);
        assert.equal(lines.read(MUTE), MUTE_ACTIVE, 'mute line asserted');
        assert.equal(r.last().fault, true, 'the zone reports a fault');
        assert.notEqual(r.last().power, 'on');
        // A chip that does not answer refuses the command and leaves the zone as it was (auto, standby).
        if (mode === 'command' && step.fault.cause !== 'chip') assert.equal(r.last().power, 'off', 'a manual zone whose power-up failed reads off');
        const fault = r.events.find((e) => e.type === 'amp_fault');
        assert.ok(fault, `an amp_fault event; events: ${JSON.stringify(r.events)}`);
        assert.equal(fault.detail?.cause, step.fault.cause);
        if (step.fault.step) {
          assert.equal(fault.detail?.step, step.fault.step);
          assert.match(r.zone.powerUpProblem ?? '', new RegExp(`^power-up failed at ${step.fault.step}: `), 'the reason, for `zone <z>`');
        }
        if (step.fault.cause !== 'line') assert.match(String(fault.detail?.error), step.fault.error);
        if (mode === 'command' && step.fault.cause !== 'line') assert.ok(err, 'the power command is refused');
        for (const s of seen) assert.ok(!(s.enable === 1 && s.power !== 'on'), `a state said ${s.power} while the enable line was on: ${JSON.stringify(seen)}`);
        assert.ok(!r.events.some((e) => e.type === 'power_changed' && e.detail?.to === 'on'), 'no power_changed to on');
        assertMuteWrapsEnable(r.ops, zp);

        // Nothing retries by itself on playback; a power command does, and works now.
        if (step.fault.cause === 'power_up') {
          const before = r.ops.length;
          r.zone.onPlayback(true);
          await r.clock.advanceAsync(10_000, 50);
          assert.ok(!r.ops.slice(before).some((o) => o === `line ${ENABLE} <- 1`), 'playback does not toggle the enable line of a zone whose power-up failed');
          await r.act(() => r.zone.setPower('on'));
          assert.equal(r.last().power, 'on');
          assert.equal(r.last().fault, false);
          assert.ok(r.events.some((e) => e.type === 'amp_fault_cleared' && e.detail?.cause === 'power_up'));
          assert.equal(lines.read(ENABLE), 1);
        }
      });
    }
  }
});
