import type { RawI2cBus } from '../hal/i2c/i2c.js';
import type { SimChip } from './chips.js';

const errno = (code: string) => Object.assign(new Error(code), { code });

/**
 * Simulated I2C buses. Each address holds a simulated chip; an empty address does not
 * acknowledge (EREMOTEIO, as the Raspberry Pi's controller reports it). Faults can be injected:
 * the next n transfers to an address fail with a code, or an address is held by a "kernel driver".
 */
export class SimI2c {
  private readonly buses = new Map<number, Map<number, SimChip>>();
  private readonly failures = new Map<string, { code: string; count: number }>();
  /** Per `bus:addr:reg`: the next writes to that register fail. */
  private readonly registerFailures = new Map<string, { code: string; count: number; skip: number }>();
  private readonly busy = new Set<string>();
  /** Addresses whose chip has stopped answering, with the errno every transfer fails with. */
  private readonly silent = new Map<string, string>();

  attach(bus: number, addr: number, chip: SimChip): void {
    let b = this.buses.get(bus);
    if (!b) this.buses.set(bus, (b = new Map()));
    b.set(addr, chip);
  }

  chip(bus: number, addr: number): SimChip | undefined {
    return this.buses.get(bus)?.get(addr);
  }

  chips(): { bus: number; addr: number; chip: SimChip }[] {
    return [...this.buses].flatMap(([bus, m]) => [...m].map(([addr, chip]) => ({ bus, addr, chip })));
  }

  /** The next `count` transfers to bus:addr fail with `code` (EIO, EREMOTEIO, ...). */
  failNext(bus: number, addr: number, code: string, count = 1): void {
    this.failures.set(`${bus}:${addr}`, { code, count });
  }

  /**
   * After `skip` more writes to register `reg` of bus:addr, the next `count` fail with `code`;
   * other transfers go through: one step of a chip sequence fails (EIO three times is a chip
   * that stopped answering after the bus layer's retries; EINVAL an error no retry helps).
   */
  failWrite(bus: number, addr: number, reg: number, code: string, count = 1, skip = 0): void {
    this.registerFailures.set(`${bus}:${addr}:${reg}`, { code, count, skip });
  }

  /** A kernel driver holds bus:addr: every transfer fails with EBUSY. */
  holdByKernel(bus: number, addr: number): void {
    this.busy.add(`${bus}:${addr}`);
  }

  /**
   * The chip at bus:addr stops answering (lost power, a latched-up bus interface): every
   * transfer fails with `code` until `answerAgain`, and a scan no longer finds it.
   */
  stopAnswering(bus: number, addr: number, code: 'EIO' | 'EREMOTEIO'): void {
    this.silent.set(`${bus}:${addr}`, code);
  }

  answerAgain(bus: number, addr: number): void {
    this.silent.delete(`${bus}:${addr}`);
  }

  answering(bus: number, addr: number): boolean {
    return !this.silent.has(`${bus}:${addr}`);
  }

  addBus(bus: number): void {
    if (!this.buses.has(bus)) this.buses.set(bus, new Map());
  }

  bus(n: number): RawI2cBus | undefined {
    const chips = this.buses.get(n);
    if (!chips) return undefined;
    const dev = (addr: number): SimChip => {
      const key = `${n}:${addr}`;
      if (this.busy.has(key)) throw errno('EBUSY');
      const silent = this.silent.get(key);
      if (silent) throw errno(silent);
      const f = this.failures.get(key);
      if (f && f.count > 0) {
        f.count--;
        throw errno(f.code);
      }
      const chip = chips.get(addr);
      if (!chip) throw errno('EREMOTEIO');
      return chip;
    };
    const writable = (addr: number, reg: number): SimChip => {
      const chip = dev(addr);
      const f = this.registerFailures.get(`${n}:${addr}:${reg}`);
      if (f && f.skip > 0) f.skip--;
      else if (f && f.count > 0) {
        f.count--;
        throw errno(f.code);
      }
      return chip;
    };
    return {
      bus: n,
      readByte: (a, r) => dev(a).read(r),
      writeByte: (a, r, v) => writable(a, r).write(r, v & 0xff),
      readWord: (a, r) => {
        const d = dev(a);
        return d.read(r) | (d.read(r + 1) << 8);
      },
      writeWord: (a, r, v) => {
        const d = writable(a, r);
        d.write(r, v & 0xff);
        d.write(r + 1, (v >> 8) & 0xff);
      },
      readBlock: (a, r, len) => {
        const d = dev(a);
        return Buffer.from(Array.from({ length: len }, (_, i) => d.read(r + i)));
      },
      writeBlock: (a, r, data) => {
        const d = writable(a, r);
        data.forEach((v, i) => d.write(r + i, v));
      },
      sendByte: (a, v) => dev(a).send(v & 0xff),
      scan: () => [...chips.keys()].filter((a) => !this.busy.has(`${n}:${a}`) && !this.silent.has(`${n}:${a}`)).sort((x, y) => x - y),
      close: () => {},
    };
  }
}
