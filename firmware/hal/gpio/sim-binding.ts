import type { Clock, TimerHandle } from '../../core/clock.js';
import type { SimLines } from '../../sim/lines.js';
import type { HardwareLog } from '../hardware-log.js';
import type { GpioBinding, GpioLine, Level, LineOptions, LineRef } from './gpio.js';
import { GpioLineNotFoundError } from './errors.js';

/** The simulated binding: lines of a SimLines bank, with debounce on the injected clock. */
export class SimGpioBinding implements GpioBinding {
  readonly kind = 'sim';
  constructor(
    private readonly lines: SimLines,
    private readonly clock: Clock,
    private readonly log?: HardwareLog,
  ) {}

  describe(): { backend: string; chips: string[] } {
    return { backend: 'sim', chips: ['simulated lines'] };
  }

  /** The sim board's lines are BCM numbers; `GPIO<n>` names line n, as on a Raspberry Pi. */
  static offsetOf(ref: LineRef): number {
    if (typeof ref === 'number') return ref;
    const m = /^GPIO(\d+)$/.exec(ref);
    if (!m) throw new GpioLineNotFoundError(ref, 'the sim board names its lines GPIO0-GPIO53');
    return Number(m[1]);
  }

  open(ref: LineRef, opts: LineOptions): GpioLine {
    const bcm = SimGpioBinding.offsetOf(ref);
    const { lines, clock, log } = this;
    if (opts.direction === 'out') {
      lines.drive(bcm, opts.initial ?? 0);
      log?.add({ kind: 'line', line: bcm, value: opts.initial ?? 0, dir: 'out' });
    }
    const unwatchers = new Set<() => void>();
    return {
      bcm,
      where: `sim line ${bcm}`,
      read: () => lines.read(bcm),
      write(value: Level) {
        lines.drive(bcm, value);
        log?.add({ kind: 'line', line: bcm, value, dir: 'out' });
      },
      watch(fn) {
        let reported = lines.read(bcm);
        let timer: TimerHandle | undefined;
        const report = () => {
          const v = lines.read(bcm);
          if (v === reported) return;
          reported = v;
          log?.add({ kind: 'line', line: bcm, value: v, dir: 'in' });
          fn(v);
        };
        const off = lines.onChange(bcm, () => {
          if (!opts.debounceMs) return report();
          if (timer) clock.clear(timer);
          timer = clock.setTimeout(() => {
            timer = undefined;
            report();
          }, opts.debounceMs);
        });
        const unwatch = () => {
          off();
          if (timer) clock.clear(timer);
          unwatchers.delete(unwatch);
        };
        unwatchers.add(unwatch);
        return unwatch;
      },
      close() {
        for (const u of [...unwatchers]) u();
      },
    };
  }
}
