import type { SimI2c } from '../../sim/i2c.js';
import type { HardwareLog } from '../hardware-log.js';
import type { I2cBinding, I2cBus } from './i2c.js';
import { MappedI2cBus } from './mapped-bus.js';
import { mapI2cError } from './errors.js';

/** The simulated binding: buses of simulated chips that fail with the kernel's errno codes. */
export class SimI2cBinding implements I2cBinding {
  readonly kind = 'sim';
  constructor(
    private readonly sim: SimI2c,
    private readonly log?: HardwareLog,
  ) {}

  open(bus: number): I2cBus {
    const raw = this.sim.bus(bus);
    if (!raw) throw mapI2cError(Object.assign(new Error('missing'), { code: 'ENOENT' }), bus);
    return new MappedI2cBus(raw, this.log);
  }
}
