import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { GpioBackendError } from '../errors.js';

/** What the kernel tells about a chip (GPIO_GET_CHIPINFO_IOCTL). */
export interface RawChipInfo {
  name: string;
  label: string;
  lines: number;
}

/** What the kernel tells about a line (GPIO_V2_GET_LINEINFO_IOCTL). */
export interface RawLineInfo {
  offset: number;
  name: string;
  consumer: string;
  flags: number;
  debouncePeriodUs: number;
}

export interface RawEdgeEvent {
  offset: number;
  edge: 'rising' | 'falling';
  /** CLOCK_MONOTONIC, as the kernel stamped the edge. */
  timestampNs: bigint;
  seqno: number;
  lineSeqno: number;
}

/** The Node-API addon built from gpio_cdev.c (node-gyp, at `npm ci`). File descriptors are numbers. */
export interface CdevAddon {
  openChip(path: string): number;
  closeFd(fd: number): void;
  chipInfo(fd: number): RawChipInfo;
  lineInfo(fd: number, offset: number): RawLineInfo;
  requestLines(
    fd: number,
    req: { offsets: number[]; consumer: string; flags: number; debouncePeriodUs?: number; outputValues?: number[]; eventBufferSize?: number },
  ): number;
  getValues(fd: number, count: number): number[];
  setValues(fd: number, values: (number | null)[]): void;
  watch(fd: number, cb: (err: Error | null, events: RawEdgeEvent[]) => void): object;
  unwatch(handle: object): void;
  constants: Record<
    | 'LINE_FLAG_USED'
    | 'LINE_FLAG_ACTIVE_LOW'
    | 'LINE_FLAG_INPUT'
    | 'LINE_FLAG_OUTPUT'
    | 'LINE_FLAG_EDGE_RISING'
    | 'LINE_FLAG_EDGE_FALLING'
    | 'LINE_FLAG_OPEN_DRAIN'
    | 'LINE_FLAG_OPEN_SOURCE'
    | 'LINE_FLAG_BIAS_PULL_UP'
    | 'LINE_FLAG_BIAS_PULL_DOWN'
    | 'LINE_FLAG_BIAS_DISABLED'
    | 'LINES_MAX'
    | 'MAX_NAME_SIZE',
    number
  >;
}

/**
 * Where node-gyp puts it: beside this file in the source tree and in dist/. The bundled firmware
 * (dist/firmware/main.js and its chunks/) runs this code from another folder: from there it is
 * under hal/gpio/cdev/ of the folder that holds main.js.
 */
export function addonPath(moduleUrl = import.meta.url): string {
  const candidates = ['./build/Release/gpio_cdev.node', './hal/gpio/cdev/build/Release/gpio_cdev.node', '../hal/gpio/cdev/build/Release/gpio_cdev.node'].map((rel) => fileURLToPath(new URL(rel, moduleUrl)));
  return candidates.find((file) => existsSync(file)) ?? candidates[0]!;
}

let addon: CdevAddon | undefined;

/** The addon, loaded on first use (the sim board and the sysfs backend never need it). */
export function cdevAddon(): CdevAddon {
  if (addon) return addon;
  try {
    addon = createRequire(import.meta.url)(addonPath()) as CdevAddon;
  } catch (err) {
    throw new GpioBackendError(`the GPIO character-device addon is not built (${(err as Error).message.split('\n')[0]}): run npm ci, or set ROOMBOX_GPIO=sysfs`);
  }
  return addon;
}
