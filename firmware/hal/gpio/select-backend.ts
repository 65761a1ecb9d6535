import type { HardwareLog } from '../hardware-log.js';
import { listChips } from './cdev/chip.js';
import { CdevBinding } from './cdev-binding.js';
import type { GpioBinding } from './gpio.js';
import { OnoffBinding } from './onoff-binding.js';

export type GpioBackendSetting = 'auto' | 'cdev' | 'sysfs';

/** ROOMBOX_GPIO resolved: auto means the character device whenever the kernel offers one. */
export function chooseGpioBackend(setting: GpioBackendSetting, devDir = '/dev'): 'cdev' | 'sysfs' {
  if (setting !== 'auto') return setting;
  return listChips(devDir).length > 0 ? 'cdev' : 'sysfs';
}

/** The real GPIO binding for a setting (the sim board has its own). */
export function createGpioBinding(setting: GpioBackendSetting, log?: HardwareLog, opts: { devDir?: string; sysGpio?: string } = {}): GpioBinding {
  return chooseGpioBackend(setting, opts.devDir) === 'cdev' ? new CdevBinding(log, opts.devDir) : new OnoffBinding(log, opts.sysGpio, opts.devDir);
}
