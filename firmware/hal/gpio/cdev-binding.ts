import type { GpioBinding, GpioLine, Level, LineOptions, LineRef } from './gpio.js';
import { BCM_CHIP_LABELS } from './sysfs-base.js';
import { findLineByName, GpioChip, listChips, type ChipInfo, type LineConfig } from './cdev/chip.js';
import { GpioLineBusyError, GpioLineNotFoundError } from './errors.js';
import type { HardwareLog } from '../hardware-log.js';

/**
 * The character-device binding (kernel GPIO uAPI v2 through the project's own addon). A BCM
 * number is an offset on the SoC's chip (found by its label); a name is looked up on every chip.
 * Lines are held under the consumer label `roombox`; edges come from the kernel's event queue.
 */
export class CdevBinding implements GpioBinding {
  readonly kind = 'cdev';
  private soc?: ChipInfo;
  /** The chips of the lines opened, for diagnostics. */
  readonly chips = new Set<string>();

  constructor(
    private readonly log?: HardwareLog,
    private readonly devDir = '/dev',
  ) {}

  /** The SoC's own chip (the one whose offsets are BCM numbers), or why there is none. */
  socChip(): ChipInfo | { missing: string } {
    if (this.soc) return this.soc;
    const seen: string[] = [];
    for (const path of listChips(this.devDir)) {
      const chip = GpioChip.open(path);
      chip.close();
      if (BCM_CHIP_LABELS.includes(chip.info.label)) return (this.soc = chip.info);
      seen.push(`${chip.info.name} [${chip.info.label}]`);
    }
    return { missing: seen.length ? `the chips here are ${seen.join(', ')}` : `there is no GPIO chip under ${this.devDir}` };
  }

  /** The chip and offset of a profile's line. */
  resolve(ref: LineRef): { chip: ChipInfo; offset: number } {
    if (typeof ref === 'string') return findLineByName(ref, this.devDir);
    const chip = this.socChip();
    if ('missing' in chip) {
      throw new GpioLineNotFoundError(ref, `a BCM number needs the SoC's chip (${BCM_CHIP_LABELS.join(', ')}) and ${chip.missing}: name the line in the profile instead (e.g. "GPIO17")`);
    }
    if (!Number.isInteger(ref) || ref < 0 || ref >= chip.lines) throw new GpioLineNotFoundError(ref, `${chip.name} [${chip.label}] has lines 0-${chip.lines - 1}`);
    return { chip, offset: ref };
  }

  describe(): { backend: string; chips: string[] } {
    return { backend: 'cdev (GPIO character device)', chips: [...this.chips] };
  }

  open(ref: LineRef, opts: LineOptions): GpioLine {
    const { chip: info, offset } = this.resolve(ref);
    const config: LineConfig =
      opts.direction === 'in'
        ? { direction: 'in', edge: 'both', ...(opts.debounceMs ? { debounceUs: Math.round(opts.debounceMs * 1000) } : {}) }
        : { direction: 'out', output: opts.initial ?? 0 };
    const chip = GpioChip.open(info.path);
    let request: ReturnType<GpioChip['request']>;
    let name: string;
    try {
      name = chip.lineInfo(offset).name;
      request = chip.request(offset, config);
    } catch (err) {
      if (err instanceof GpioLineBusyError) throw new GpioLineBusyError(ref, err.chip, err.holder);
      throw err;
    } finally {
      chip.close();
    }
    const chipName = `${info.name} [${info.label}]`;
    this.chips.add(chipName);
    const where = `${chipName} line ${offset}${name ? ` "${name}"` : ''}`;
    const log = this.log;
    if (opts.direction === 'out') log?.add({ kind: 'line', line: offset, value: opts.initial ?? 0, dir: 'out' });
    return {
      bcm: offset,
      where,
      read: () => request.get()[0]!,
      write(value: Level) {
        request.set(value);
        log?.add({ kind: 'line', line: offset, value, dir: 'out' });
      },
      watch(fn) {
        return request.onEdge((e) => {
          log?.add({ kind: 'line', line: offset, value: e.value, dir: 'in' });
          fn(e.value);
        });
      },
      close: () => request.close(),
    };
  }
}
