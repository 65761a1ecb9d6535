import type { BoardProfile, GpioLineSpec, ZoneProfile } from '../board/profile.js';
import type { AmpChip } from '../chips/amp-chip.js';
import { AlsaMixer } from '../chips/alsa-mixer.js';
import { GpioAmp } from '../chips/gpio-amp.js';
import { Max9744 } from '../chips/max9744.js';
import { Pcm512x } from '../chips/pcm512x.js';
import { Tas5713 } from '../chips/tas5713.js';
import { Tpa2016 } from '../chips/tpa2016.js';
import type { Clock } from '../core/clock.js';
import { ActiveLine, type GpioBinding, type GpioLine } from '../hal/gpio/gpio.js';
import { createGpioBinding, type GpioBackendSetting } from '../hal/gpio/select-backend.js';
import { SimGpioBinding } from '../hal/gpio/sim-binding.js';
import { HardwareLog } from '../hal/hardware-log.js';
import type { I2cBinding, I2cBus } from '../hal/i2c/i2c.js';
import { I2cBusBinding } from '../hal/i2c/i2c-bus-binding.js';
import { SimI2cBinding } from '../hal/i2c/sim-binding.js';
import { SimHardware } from '../sim/sim-hardware.js';
import type { ZoneLines } from './zone.js';

/** The board's hardware layer: real bindings, or the simulated ones on the sim board. */
export class BoardHardware {
  readonly log: HardwareLog;
  readonly gpio: GpioBinding;
  readonly i2c: I2cBinding;
  readonly sim?: SimHardware;
  private readonly buses = new Map<number, I2cBus>();
  /** Every line opened, as the profile names it, with the zone and role it serves. */
  readonly lines: { zone: string; role: string; spec: GpioLineSpec; line: GpioLine }[] = [];

  constructor(profile: BoardProfile, clock: Clock, opts: { gpio?: GpioBackendSetting; devDir?: string; sysGpio?: string } = {}) {
    this.log = new HardwareLog(() => clock.now());
    if (profile.simulated) {
      this.sim = new SimHardware(profile);
      this.gpio = new SimGpioBinding(this.sim.lines, clock, this.log);
      this.i2c = new SimI2cBinding(this.sim.i2c, this.log);
    } else {
      this.gpio = createGpioBinding(opts.gpio ?? 'auto', this.log, opts);
      this.i2c = new I2cBusBinding(this.log);
    }
  }

  bus(n: number): I2cBus {
    let b = this.buses.get(n);
    if (!b) this.buses.set(n, (b = this.i2c.open(n)));
    return b;
  }

  /** The zone's lines, opened safe: mute asserted, enable and reset released. */
  openLines(zone: ZoneProfile): ZoneLines {
    const out: ZoneLines = {};
    const open = (role: keyof ZoneLines, spec: GpioLineSpec | undefined, dir: 'in' | 'out', activeAtOpen: boolean) => {
      if (!spec) return;
      const high = spec.active === 'high';
      // Fault inputs report every edge: the zone's FaultFilter does the debouncing (a binding's
      // trailing debounce would never report a line that keeps toggling).
      const line = this.gpio.open(spec.line, dir === 'in' ? { direction: 'in' } : { direction: 'out', initial: activeAtOpen === high ? 1 : 0 });
      this.lines.push({ zone: zone.name, role, spec, line });
      out[role] = new ActiveLine(line, high);
    };
    open('mute', zone.gpio.mute, 'out', true);
    open('enable', zone.gpio.enable, 'out', false);
    open('reset', zone.gpio.reset, 'out', false);
    open('fault', zone.gpio.fault, 'in', false);
    return out;
  }

  chip(zone: ZoneProfile): AmpChip {
    const a = zone.amp;
    switch (a.chip) {
      case 'pcm512x':
        return new Pcm512x(this.bus(a.bus!), a.address!);
      case 'tas5713':
        return new Tas5713(this.bus(a.bus!), a.address!);
      case 'max9744':
        return new Max9744(this.bus(a.bus!), a.address!, zone.volumeDb);
      case 'tpa2016':
        return new Tpa2016(this.bus(a.bus!), a.address!);
      case 'gpio':
        return new GpioAmp();
      case 'alsa-mixer':
        return new AlsaMixer(a.mixerCard!, a.mixerControl!);
    }
  }

  /** Releases watched inputs; outputs stay driven in their safe state (mute on, amp off). */
  close(): void {
    for (const l of this.lines.filter((x) => x.role === 'fault')) {
      try {
        l.line.close();
      } catch {
        /* already gone */
      }
    }
    for (const b of this.buses.values()) b.close();
  }
}
