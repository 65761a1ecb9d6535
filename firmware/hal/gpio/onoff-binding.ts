import { createRequire } from 'node:module';
import type { GpioBinding, GpioLine, Level, LineOptions, LineRef } from './gpio.js';
import { socChip, sysfsChipOf } from './sysfs-base.js';
import { findLineByName } from './cdev/chip.js';
import { GpioBackendError } from './errors.js';
import type { HardwareLog } from '../hardware-log.js';

type OnoffGpio = import('onoff').Gpio;

/**
 * The sysfs binding: GPIO through onoff. BCM numbers are translated through the SoC chip's base;
 * a line name is looked up on the character device and translated through its chip's base.
 */
export class OnoffBinding implements GpioBinding {
  readonly kind = 'onoff';
  private soc?: { base: number; label: string };
  /** The sysfs chips of the lines opened, for diagnostics. */
  readonly chips = new Set<string>();

  constructor(
    private readonly log?: HardwareLog,
    private readonly sysGpio = '/sys/class/gpio',
    private readonly devDir = '/dev',
  ) {}

  /** The sysfs number of a BCM line. */
  sysfsNumber(bcm: number): number {
    this.soc ??= socChip(this.sysGpio);
    return this.soc.base + bcm;
  }

  /** The sysfs number, chip offset and description of a profile's line. */
  resolve(ref: LineRef): { number: number; offset: number; where: string } {
    if (typeof ref === 'number') {
      const n = this.sysfsNumber(ref);
      return { number: n, offset: ref, where: `sysfs gpio${n} [${this.soc!.label} base ${this.soc!.base}] line ${ref}` };
    }
    let found: ReturnType<typeof findLineByName>;
    try {
      found = findLineByName(ref, this.devDir);
    } catch (err) {
      if (err instanceof GpioBackendError) throw new GpioBackendError(`line names need the GPIO character device to look them up: ${err.message}`);
      throw err;
    }
    const chip = sysfsChipOf(found.chip, this.sysGpio);
    const n = chip.base + found.offset;
    return { number: n, offset: found.offset, where: `sysfs gpio${n} [${chip.label} base ${chip.base}] line ${found.offset} "${ref}"` };
  }

  describe(): { backend: string; chips: string[] } {
    return { backend: 'sysfs (onoff)', chips: [...this.chips] };
  }

  open(ref: LineRef, opts: LineOptions): GpioLine {
    const { Gpio } = createRequire(import.meta.url)('onoff') as typeof import('onoff');
    const { number: n, offset: bcm, where } = this.resolve(ref);
    const direction = opts.direction === 'in' ? 'in' : opts.initial === 1 ? 'high' : 'low';
    const gpio: OnoffGpio = new Gpio(n, direction, opts.direction === 'in' ? 'both' : 'none', { debounceTimeout: opts.debounceMs ?? 0 });
    this.chips.add(where.slice(0, where.indexOf(']') + 1).replace(/^sysfs gpio\d+ /, ''));
    const log = this.log;
    if (opts.direction === 'out') log?.add({ kind: 'line', line: bcm, value: opts.initial ?? 0, dir: 'out' });
    return {
      bcm,
      where,
      read: () => gpio.readSync() as Level,
      write(value: Level) {
        gpio.writeSync(value);
        log?.add({ kind: 'line', line: bcm, value, dir: 'out' });
      },
      watch(fn) {
        const cb = (err: Error | null | undefined, value: 0 | 1) => {
          if (err) return;
          log?.add({ kind: 'line', line: bcm, value, dir: 'in' });
          fn(value);
        };
        gpio.watch(cb);
        return () => gpio.unwatch(cb);
      },
      close: () => gpio.unexport(),
    };
  }
}
