import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** gpiochip labels of the SoC's own GPIO block, whose offsets are BCM numbers. */
export const BCM_CHIP_LABELS = ['pinctrl-bcm2835', 'pinctrl-bcm2711', 'pinctrl-rp1'];

export class GpioBaseError extends Error {}

export interface SysfsChip {
  /** gpiochip<base> under /sys/class/gpio */
  dir: string;
  label: string;
  base: number;
  ngpio: number;
}

/** The chips /sys/class/gpio lists, by base. */
export function sysfsChips(sysGpio = '/sys/class/gpio'): SysfsChip[] {
  let entries: string[];
  try {
    entries = readdirSync(sysGpio).filter((e) => /^gpiochip\d+$/.test(e));
  } catch {
    throw new GpioBaseError(`${sysGpio} not found: is the GPIO sysfs interface enabled?`);
  }
  const chips: SysfsChip[] = [];
  for (const chip of entries.sort((a, b) => Number(a.slice(8)) - Number(b.slice(8)))) {
    try {
      const read = (f: string) => readFileSync(join(sysGpio, chip, f), 'utf8').trim();
      const base = Number(read('base'));
      const ngpio = existsSync(join(sysGpio, chip, 'ngpio')) ? Number(read('ngpio')) : NaN;
      if (Number.isInteger(base) && base >= 0) chips.push({ dir: join(sysGpio, chip), label: read('label'), base, ngpio });
    } catch {
      continue;
    }
  }
  return chips;
}

/**
 * The sysfs number of BCM GPIO 0. Kernels 6.6 and later give the SoC's gpiochip a dynamic base
 * (512 on current Raspberry Pi kernels), so BCM N is sysfs base+N; older kernels use base 0.
 * Found from <sysGpio>/gpiochip<k>/label and base.
 */
export function bcmBase(sysGpio = '/sys/class/gpio'): number {
  return socChip(sysGpio).base;
}

/** The SoC's own chip under sysfs. */
export function socChip(sysGpio = '/sys/class/gpio'): SysfsChip {
  const chips = sysfsChips(sysGpio);
  const soc = chips.find((c) => BCM_CHIP_LABELS.includes(c.label));
  if (soc) return soc;
  throw new GpioBaseError(`no SoC gpiochip under ${sysGpio} (labels seen: ${chips.map((c) => c.label).join(', ') || 'none'}; expected one of ${BCM_CHIP_LABELS.join(', ')})`);
}

/**
 * The sysfs chip of a character-device chip (gpiochipN, its label and line count). sysfs numbers
 * chips by base, the character device by index: they meet on label and line count, and when two
 * chips share both, on the parent device that holds gpiochipN.
 */
export function sysfsChipOf(chip: { name: string; label: string; lines: number }, sysGpio = '/sys/class/gpio'): SysfsChip {
  const all = sysfsChips(sysGpio);
  const same = all.filter((c) => c.label === chip.label && (Number.isNaN(c.ngpio) || c.ngpio === chip.lines));
  const found = same.length > 1 ? same.filter((c) => existsSync(join(c.dir, 'device', chip.name))) : same;
  if (found.length === 1) return found[0]!;
  throw new GpioBaseError(
    found.length === 0
      ? `${chip.name} [${chip.label}] is not under ${sysGpio} (labels seen: ${all.map((c) => c.label).join(', ') || 'none'})`
      : `${chip.name} [${chip.label}] matches more than one chip under ${sysGpio}: use ROOMBOX_GPIO=cdev`,
  );
}
