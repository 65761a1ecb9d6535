/** The GPIO interface of the hardware layer (the node-serialport binding pattern). */
export type Level = 0 | 1;

export interface LineOptions {
  direction: 'in' | 'out';
  /** Level driven as soon as an output line is opened. */
  initial?: Level;
  /** Inputs: report edges only after the level held this long. */
  debounceMs?: number;
}

export interface GpioLine {
  /** BCM GPIO number. */
  readonly bcm: number;
  read(): Level;
  write(value: Level): void;
  /** Calls fn with the new level on every (debounced) edge; returns the unwatch function. */
  watch(fn: (value: Level) => void): () => void;
  close(): void;
}

export interface GpioBinding {
  readonly kind: 'onoff' | 'sim';
  open(bcm: number, opts: LineOptions): GpioLine;
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
