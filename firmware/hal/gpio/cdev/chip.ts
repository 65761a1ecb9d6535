import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Level } from '../gpio.js';
import { GpioChipNotFoundError, GpioConfigError, GpioError, GpioLineBusyError, GpioLineNotFoundError } from '../errors.js';
import { cdevAddon, type CdevAddon, type RawEdgeEvent } from './addon.js';

/** The consumer label the kernel shows for our lines (`gpioinfo`, other programs' EBUSY). */
export const CONSUMER = 'roombox';

export type Bias = 'as-is' | 'pull-up' | 'pull-down' | 'disabled';
export type Drive = 'push-pull' | 'open-drain' | 'open-source';
export type Edge = 'none' | 'rising' | 'falling' | 'both';

export interface ChipInfo {
  /** /dev/gpiochipN */
  path: string;
  /** gpiochipN */
  name: string;
  /** The driver's label, e.g. pinctrl-bcm2711, pinctrl-rp1, gpio-sim.0-node0. */
  label: string;
  lines: number;
}

export interface LineInfo {
  offset: number;
  /** As the device tree names it (GPIO17 on a Raspberry Pi), '' when unnamed. */
  name: string;
  /** Who holds it, '' when free (or when the holder gave no label). */
  consumer: string;
  used: boolean;
  direction: 'in' | 'out';
  activeLow: boolean;
  bias: Bias;
  drive: Drive;
  edge: Edge;
  debounceUs: number;
}

export interface LineConfig {
  direction: 'in' | 'out';
  bias?: Bias;
  /** Outputs only. */
  drive?: Drive;
  activeLow?: boolean;
  /** Inputs only: which edges onEdge() reports. */
  edge?: Edge;
  /** Inputs only: the kernel reports an edge after the level held this long (microseconds). */
  debounceUs?: number;
  /** Outputs only: the level from the moment of the request, one for all lines or one per line. */
  output?: Level | Level[];
}

export interface EdgeEvent extends RawEdgeEvent {
  /** The line's level after the edge (logical: active-low applied). */
  value: Level;
}

function decodeInfo(a: CdevAddon, raw: ReturnType<CdevAddon['lineInfo']>): LineInfo {
  const c = a.constants;
  const has = (bit: number) => (raw.flags & bit) !== 0;
  const rising = has(c.LINE_FLAG_EDGE_RISING);
  const falling = has(c.LINE_FLAG_EDGE_FALLING);
  return {
    offset: raw.offset,
    name: raw.name,
    consumer: raw.consumer,
    used: has(c.LINE_FLAG_USED),
    direction: has(c.LINE_FLAG_OUTPUT) ? 'out' : 'in',
    activeLow: has(c.LINE_FLAG_ACTIVE_LOW),
    bias: has(c.LINE_FLAG_BIAS_PULL_UP) ? 'pull-up' : has(c.LINE_FLAG_BIAS_PULL_DOWN) ? 'pull-down' : has(c.LINE_FLAG_BIAS_DISABLED) ? 'disabled' : 'as-is',
    drive: has(c.LINE_FLAG_OPEN_DRAIN) ? 'open-drain' : has(c.LINE_FLAG_OPEN_SOURCE) ? 'open-source' : 'push-pull',
    edge: rising && falling ? 'both' : rising ? 'rising' : falling ? 'falling' : 'none',
    debounceUs: raw.debouncePeriodUs,
  };
}

/** The request flags for a configuration, or a GpioConfigError naming what is wrong. */
export function lineFlags(config: LineConfig, constants: CdevAddon['constants']): number {
  const c = constants;
  const { direction, bias = 'as-is', drive, edge = 'none', debounceUs } = config;
  if (direction !== 'in' && direction !== 'out') throw new GpioConfigError(`direction must be 'in' or 'out', not '${String(direction)}'`);
  if (direction === 'in') {
    if (drive !== undefined) throw new GpioConfigError('drive applies to outputs only');
    if (config.output !== undefined) throw new GpioConfigError('an output level applies to outputs only');
  } else {
    if (edge !== 'none') throw new GpioConfigError('edge detection applies to inputs only');
    if (debounceUs !== undefined) throw new GpioConfigError('debounce applies to inputs only');
  }
  if (debounceUs !== undefined && !(Number.isInteger(debounceUs) && debounceUs >= 0 && debounceUs <= 0xffffffff)) {
    throw new GpioConfigError(`debounce must be a whole number of microseconds, not ${String(debounceUs)}`);
  }
  const biasFlag = { 'as-is': 0, 'pull-up': c.LINE_FLAG_BIAS_PULL_UP, 'pull-down': c.LINE_FLAG_BIAS_PULL_DOWN, disabled: c.LINE_FLAG_BIAS_DISABLED }[bias];
  if (biasFlag === undefined) throw new GpioConfigError(`bias must be as-is, pull-up, pull-down or disabled, not '${String(bias)}'`);
  const driveFlag = { 'push-pull': 0, 'open-drain': c.LINE_FLAG_OPEN_DRAIN, 'open-source': c.LINE_FLAG_OPEN_SOURCE }[drive ?? 'push-pull'];
  if (driveFlag === undefined) throw new GpioConfigError(`drive must be push-pull, open-drain or open-source, not '${String(drive)}'`);
  const edgeFlag = { none: 0, rising: c.LINE_FLAG_EDGE_RISING, falling: c.LINE_FLAG_EDGE_FALLING, both: c.LINE_FLAG_EDGE_RISING | c.LINE_FLAG_EDGE_FALLING }[edge];
  if (edgeFlag === undefined) throw new GpioConfigError(`edge must be none, rising, falling or both, not '${String(edge)}'`);
  return (direction === 'in' ? c.LINE_FLAG_INPUT : c.LINE_FLAG_OUTPUT) | biasFlag | driveFlag | edgeFlag | (config.activeLow ? c.LINE_FLAG_ACTIVE_LOW : 0);
}

const isLevel = (v: unknown): v is Level => v === 0 || v === 1;

/** The /dev/gpiochipN paths, in chip-number order. */
export function listChips(devDir = '/dev'): string[] {
  let entries: string[];
  try {
    entries = readdirSync(devDir);
  } catch {
    return [];
  }
  return entries
    .filter((e) => /^gpiochip\d+$/.test(e))
    .sort((a, b) => Number(a.slice(8)) - Number(b.slice(8)))
    .map((e) => join(devDir, e));
}

/**
 * One GPIO chip of the kernel's character device (uAPI v2). Holds the chip's file descriptor
 * until close(); line requests made from it live on after it is closed.
 */
export class GpioChip {
  private fd: number | undefined;
  readonly info: ChipInfo;

  private constructor(
    private readonly addon: CdevAddon,
    readonly path: string,
  ) {
    try {
      this.fd = addon.openChip(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
      const why: Record<string, string> = {
        ENOENT: 'no such device (is the GPIO controller enabled?)',
        ENOTTY: 'not a GPIO chip',
        EACCES: 'permission denied (the box user needs the gpio group)',
      };
      throw new GpioChipNotFoundError(path, why[code] ?? (err as Error).message, code);
    }
    const raw = addon.chipInfo(this.fd);
    this.info = { path, name: raw.name || basename(path), label: raw.label, lines: raw.lines };
  }

  /** Opens /dev/gpiochipN (or a bare `gpiochipN`, or a number N). */
  static open(chip: string | number): GpioChip {
    const path = typeof chip === 'number' ? `/dev/gpiochip${chip}` : chip.includes('/') ? chip : `/dev/${chip}`;
    return new GpioChip(cdevAddon(), path);
  }

  private get handle(): number {
    if (this.fd === undefined) throw new GpioError(`${this.path} is closed`, 'EBADF');
    return this.fd;
  }

  private checkOffset(offset: number): void {
    if (!Number.isInteger(offset) || offset < 0 || offset >= this.info.lines) {
      throw new GpioLineNotFoundError(offset, `${this.info.name} [${this.info.label}] has lines 0-${this.info.lines - 1}`);
    }
  }

  lineInfo(offset: number): LineInfo {
    this.checkOffset(offset);
    return decodeInfo(this.addon, this.addon.lineInfo(this.handle, offset));
  }

  lines(): LineInfo[] {
    return Array.from({ length: this.info.lines }, (_, i) => this.lineInfo(i));
  }

  /** The offset of the line with this name on this chip, or undefined. */
  findLine(name: string): number | undefined {
    for (let i = 0; i < this.info.lines; i++) if (this.addon.lineInfo(this.handle, i).name === name) return i;
    return undefined;
  }

  /**
   * Requests lines for this process with one configuration. A line someone else holds gives
   * GpioLineBusyError naming the holder.
   */
  request(offsets: number | number[], config: LineConfig, consumer = CONSUMER): LineRequest {
    const list = Array.isArray(offsets) ? offsets : [offsets];
    const max = this.addon.constants.LINES_MAX;
    if (list.length === 0 || list.length > max) throw new GpioConfigError(`a request holds 1-${max} lines, not ${list.length}`);
    if (new Set(list).size !== list.length) throw new GpioConfigError(`offsets ${list.join(', ')} name a line twice`);
    list.forEach((o) => this.checkOffset(o));
    const flags = lineFlags(config, this.addon.constants);
    let outputValues: number[] | undefined;
    if (config.output !== undefined) {
      const values = Array.isArray(config.output) ? config.output : list.map(() => config.output as Level);
      if (values.length !== list.length || !values.every(isLevel)) throw new GpioConfigError(`output must be 0 or 1 (one level, or one per line), not ${JSON.stringify(config.output)}`);
      outputValues = values;
    }
    if (consumer.length === 0 || Buffer.byteLength(consumer) >= this.addon.constants.MAX_NAME_SIZE) {
      throw new GpioConfigError(`consumer label must be 1-${this.addon.constants.MAX_NAME_SIZE - 1} bytes`);
    }
    let fd: number;
    try {
      fd = this.addon.requestLines(this.handle, { offsets: list, consumer, flags, debouncePeriodUs: config.debounceUs, outputValues });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EBUSY') {
        const held = list.map((o) => this.lineInfo(o)).find((l) => l.used) ?? this.lineInfo(list[0]!);
        throw new GpioLineBusyError(held.name || held.offset, `${this.info.name} [${this.info.label}]`, held.consumer);
      }
      throw new GpioError(`${this.info.name}: request of line ${list.join(', ')} failed: ${(err as Error).message}`, code ?? 'EIO');
    }
    return new LineRequest(this.addon, fd, this.info, list, config);
  }

  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    this.addon.closeFd(fd);
  }
}

/** Lines held by this process: read, drive, and edges from the kernel's event queue. */
export class LineRequest {
  private fd: number | undefined;
  private watcher: object | undefined;
  private readonly listeners = new Set<(e: EdgeEvent) => void>();

  constructor(
    private readonly addon: CdevAddon,
    fd: number,
    readonly chip: ChipInfo,
    readonly offsets: readonly number[],
    readonly config: Readonly<LineConfig>,
  ) {
    this.fd = fd;
  }

  private get handle(): number {
    if (this.fd === undefined) throw new GpioError(`request of ${this.chip.name} line ${this.offsets.join(', ')} is released`, 'EBADF');
    return this.fd;
  }

  get closed(): boolean {
    return this.fd === undefined;
  }

  /** Levels of every line, in request order (logical: active-low applied). */
  get(): Level[] {
    return this.addon.getValues(this.handle, this.offsets.length) as Level[];
  }

  /** Drives outputs: one level for every line, or one per line (null leaves that line alone). */
  set(values: Level | (Level | null)[]): void {
    const list = Array.isArray(values) ? values : this.offsets.map(() => values);
    if (list.length !== this.offsets.length || !list.every((v) => v === null || isLevel(v))) {
      throw new GpioConfigError(`values must be 0, 1 or null, one per line (${this.offsets.length}), not ${JSON.stringify(values)}`);
    }
    if (this.config.direction !== 'out') throw new GpioConfigError(`${this.chip.name} line ${this.offsets.join(', ')} is an input`);
    this.addon.setValues(this.handle, list);
  }

  /**
   * Calls fn on every edge the kernel queues for these lines (the request needs an `edge`). The
   * request's file descriptor is watched by libuv: nothing polls. Returns the unsubscribe function.
   */
  onEdge(fn: (e: EdgeEvent) => void): () => void {
    if ((this.config.edge ?? 'none') === 'none') throw new GpioConfigError(`${this.chip.name} line ${this.offsets.join(', ')} was requested without edge detection`);
    this.listeners.add(fn);
    this.watcher ??= this.addon.watch(this.handle, (err, events) => {
      if (err) {
        // The chip went away under the request: the addon has stopped watching.
        this.watcher = undefined;
        return;
      }
      for (const e of events) {
        const event: EdgeEvent = { ...e, value: e.edge === 'rising' ? 1 : 0 };
        for (const l of [...this.listeners]) l(event);
      }
    });
    return () => {
      this.listeners.delete(fn);
      if (this.listeners.size === 0) this.stopWatching();
    };
  }

  private stopWatching(): void {
    if (!this.watcher) return;
    this.addon.unwatch(this.watcher);
    this.watcher = undefined;
  }

  /** Releases the lines (the kernel then owns their state). */
  close(): void {
    if (this.fd === undefined) return;
    this.listeners.clear();
    this.stopWatching();
    const fd = this.fd;
    this.fd = undefined;
    this.addon.closeFd(fd);
  }
}

/** Where a named line is: the first chip (in chip-number order) with a line of that name. */
export function findLineByName(name: string, devDir = '/dev'): { chip: ChipInfo; offset: number } {
  const chips = listChips(devDir);
  if (chips.length === 0) throw new GpioLineNotFoundError(name, `no GPIO chips under ${devDir}`);
  const seen: string[] = [];
  for (const path of chips) {
    const chip = GpioChip.open(path);
    try {
      const offset = chip.findLine(name);
      if (offset !== undefined) return { chip: chip.info, offset };
      seen.push(`${chip.info.name} [${chip.info.label}]`);
    } finally {
      chip.close();
    }
  }
  throw new GpioLineNotFoundError(name, `no line has that name on ${seen.join(', ')}`);
}
