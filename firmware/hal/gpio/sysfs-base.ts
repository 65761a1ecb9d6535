import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** gpiochip labels of the SoC's own GPIO block, whose offsets are BCM numbers. */
export const BCM_CHIP_LABELS = ['pinctrl-bcm2835', 'pinctrl-bcm2711', 'pinctrl-rp1'];

export class GpioBaseError extends Error {}

/**
 * The sysfs number of BCM GPIO 0. Kernels 6.6 and later give the SoC's gpiochip a dynamic base
 * (512 on current Raspberry Pi kernels), so BCM N is sysfs base+N; older kernels use base 0.
 * Found from <sysGpio>/gpiochip<k>/label and base.
 */
export function bcmBase(sysGpio = '/sys/class/gpio'): number {
  let entries: string[];
  try {
    entries = readdirSync(sysGpio).filter((e) => /^gpiochip\d+$/.test(e));
  } catch {
    throw new GpioBaseError(`${sysGpio} not found: is the GPIO sysfs interface enabled?`);
  }
  const seen: string[] = [];
  for (const chip of entries.sort((a, b) => Number(a.slice(8)) - Number(b.slice(8)))) {
    let label: string;
    let base: number;
    try {
      label = readFileSync(join(sysGpio, chip, 'label'), 'utf8').trim();
      base = Number(readFileSync(join(sysGpio, chip, 'base'), 'utf8').trim());
    } catch {
      continue;
    }
    seen.push(label);
    if (BCM_CHIP_LABELS.includes(label) && Number.isInteger(base) && base >= 0) return base;
  }
  throw new GpioBaseError(`no SoC gpiochip under ${sysGpio} (labels seen: ${seen.join(', ') || 'none'}; expected one of ${BCM_CHIP_LABELS.join(', ')})`);
}
