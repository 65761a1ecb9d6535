import { createRequire } from 'node:module';
import type { GpioBinding, GpioLine, Level, LineOptions } from './gpio.js';
import { bcmBase } from './sysfs-base.js';
import type { HardwareLog } from '../hardware-log.js';

type OnoffGpio = import('onoff').Gpio;

/** The real binding: sysfs GPIO through onoff, BCM numbers translated through the chip's base. */
export class OnoffBinding implements GpioBinding {
  readonly kind = 'onoff';
  private base?: number;

  constructor(
    private readonly log?: HardwareLog,
    private readonly sysGpio = '/sys/class/gpio',
  ) {}

  /** The sysfs number of a BCM line. */
  sysfsNumber(bcm: number): number {
    this.base ??= bcmBase(this.sysGpio);
    return this.base + bcm;
  }

  open(bcm: number, opts: LineOptions): GpioLine {
    const { Gpio } = createRequire(import.meta.url)('onoff') as typeof import('onoff');
    const n = this.sysfsNumber(bcm);
    const direction = opts.direction === 'in' ? 'in' : opts.initial === 1 ? 'high' : 'low';
    const gpio: OnoffGpio = new Gpio(n, direction, opts.direction === 'in' ? 'both' : 'none', { debounceTimeout: opts.debounceMs ?? 0 });
    const log = this.log;
    if (opts.direction === 'out') log?.add({ kind: 'line', line: bcm, value: opts.initial ?? 0, dir: 'out' });
    return {
      bcm,
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
