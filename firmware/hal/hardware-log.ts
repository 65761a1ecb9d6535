/** One hardware operation, in the order it happened: a line change or an I2C write. */
export type HardwareEntry =
  | { seq: number; t: number; kind: 'line'; line: number; value: 0 | 1; dir: 'out' | 'in' }
  | { seq: number; t: number; kind: 'i2c'; bus: number; addr: number; reg: number | null; value: number; width: 'byte' | 'word' | 'block' | 'send' };

type NewEntry = HardwareEntry extends infer E ? (E extends HardwareEntry ? Omit<E, 'seq' | 't'> : never) : never;

/**
 * An ordered log of every line change and register write, kept by the hardware layer for the
 * `gpio` diagnostics and for tests that check exact power sequences.
 */
export class HardwareLog {
  private readonly ring: HardwareEntry[] = [];
  private seq = 0;
  private readonly listeners: ((e: HardwareEntry) => void)[] = [];

  constructor(
    private readonly now: () => number = Date.now,
    private readonly capacity = 500,
  ) {}

  add(entry: NewEntry): void {
    const e = { seq: ++this.seq, t: this.now(), ...entry } as HardwareEntry;
    this.ring.push(e);
    if (this.ring.length > this.capacity) this.ring.shift();
    for (const fn of this.listeners) fn(e);
  }

  onEntry(fn: (e: HardwareEntry) => void): void {
    this.listeners.push(fn);
  }

  /** Entries with seq greater than `after`, oldest first. */
  since(after: number): HardwareEntry[] {
    return this.ring.filter((e) => e.seq > after);
  }

  recent(n: number): HardwareEntry[] {
    return this.ring.slice(-Math.max(0, n));
  }

  get lastSeq(): number {
    return this.seq;
  }
}

/** One entry as a short line: `line 17 <- 1` or `i2c 1:0x4c reg 0x3d <- 0x3c`. */
export function formatEntry(e: HardwareEntry): string {
  if (e.kind === 'line') return `#${e.seq} line ${e.line} ${e.dir === 'out' ? '<-' : '->'} ${e.value}`;
  const reg = e.reg === null ? '' : ` reg 0x${e.reg.toString(16).padStart(2, '0')}`;
  return `#${e.seq} i2c ${e.bus}:0x${e.addr.toString(16).padStart(2, '0')}${reg} <- 0x${e.value.toString(16).padStart(2, '0')}`;
}
