/** The GPIO interface of the hardware layer (the node-serialport binding pattern). */
export type Level = 0 | 1;

/**
 * A line as a board profile gives it: a BCM GPIO number (an offset on the SoC's own chip), or a
 * line name such as `GPIO17`, found on whichever chip has a line of that name.
 */
export type LineRef = number | string;

/** A profile's line as people say it: `BCM 22`, or its name. */
export function lineLabel(line: LineRef): string {
  return typeof line === 'number' ? `BCM ${line}` : line;
}

export interface LineOptions {
  direction: 'in' | 'out';
  /** Level driven as soon as an output line is opened. */
  initial?: Level;
  /** Inputs: report edges only after the level held this long. */
  debounceMs?: number;
}

export interface GpioLine {
  /** The line's offset on its chip: the BCM GPIO number on a Raspberry Pi's SoC chip. */
  readonly bcm: number;
  /** Where the line is, for diagnostics: `gpiochip0 [pinctrl-bcm2711] line 17 "GPIO17"`. */
  readonly where: string;
  read(): Level;
  write(value: Level): void;
  /** Calls fn with the new level on every (debounced) edge; returns the unwatch function. */
  watch(fn: (value: Level) => void): () => void;
  close(): void;
}

export interface GpioBinding {
  /** The backend: `cdev` (character device), `onoff` (sysfs) or `sim`. */
  readonly kind: 'cdev' | 'onoff' | 'sim';
  open(line: LineRef, opts: LineOptions): GpioLine;
  /** The backend and the chips of the lines opened so far, for `gpio` and `selftest`. */
  describe(): { backend: string; chips: string[] };
}

/** A line with an active level: `assert(true)` drives it to the level where it does its job. */
export class ActiveLine {
  constructor(
    readonly line: GpioLine,
    readonly activeHigh: boolean,
  ) {}
  set(active: boolean): void {
    this.line.write(active === this.activeHigh ? 1 : 0);
  }
  get active(): boolean {
    return (this.line.read() === 1) === this.activeHigh;
  }
}
