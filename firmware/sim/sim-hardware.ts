import type { BoardProfile } from '../board/profile.js';
import { SimI2c } from './i2c.js';
import { SimMax9744, SimPcm512x, SimTas5713, SimTpa2016, type SimChip } from './chips.js';
import { SimLines } from './lines.js';
import { SimGpioBinding } from '../hal/gpio/sim-binding.js';

/** The sim board below the hardware layer: its lines and its I2C buses with the profile's chips. */
export class SimHardware {
  readonly lines = new SimLines();
  readonly i2c = new SimI2c();

  constructor(profile: BoardProfile) {
    for (const z of profile.zones) {
      const fault = z.gpio.fault;
      // Fault outputs are open drain with a pull to their inactive level.
      if (fault) this.lines.pull(SimGpioBinding.offsetOf(fault.line), fault.active === 'low' ? 1 : 0);
      const { chip, bus, address } = z.amp;
      if (bus === undefined || address === undefined) continue;
      this.i2c.addBus(bus);
      const sim = simChip(chip);
      if (sim) this.i2c.attach(bus, address, sim);
    }
  }

  /** The chip at bus:addr stops answering: every transfer fails with `code` (EIO, or EREMOTEIO for no acknowledge). */
  chipStops(bus: number, addr: number, code: 'EIO' | 'EREMOTEIO'): void {
    this.i2c.stopAnswering(bus, addr, code);
  }

  /**
   * The chip answers again, as one that lost power comes back: from its power-on reset state
   * (a PCM512x unmuted at 0 dB, a MAX9744 at code 40), whatever it was told before.
   */
  chipReturns(bus: number, addr: number): void {
    const old = this.i2c.chip(bus, addr);
    const fresh = old && simChip(old.kind);
    if (fresh) this.i2c.attach(bus, addr, fresh);
    this.i2c.answerAgain(bus, addr);
  }

  /** Every chip's modelled state, for `gpio --json` and out-of-process tests. */
  describe(): { bus: number; addr: number; kind: string; state: Record<string, unknown> }[] {
    return this.i2c.chips().map(({ bus, addr, chip }) => ({ bus, addr, kind: chip.kind, state: chip.describe() }));
  }
}

function simChip(kind: string): SimChip | undefined {
  switch (kind) {
    case 'pcm512x':
      return new SimPcm512x();
    case 'tas5713':
      return new SimTas5713();
    case 'max9744':
      return new SimMax9744();
    case 'tpa2016':
      return new SimTpa2016();
    default:
      return undefined;
  }
}
