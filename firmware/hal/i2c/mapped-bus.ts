import type { HardwareLog } from '../hardware-log.js';
import { mapI2cError, RETRYABLE } from './errors.js';
import type { I2cBus, RawI2cBus } from './i2c.js';

export const I2C_ATTEMPTS = 3;

/**
 * Wraps a binding's raw bus: typed errors, a bounded number of attempts for failures a retry
 * can fix (never for a missing bus or a busy address), and every write in the hardware log.
 */
export class MappedI2cBus implements I2cBus {
  constructor(
    private readonly raw: RawI2cBus,
    private readonly log?: HardwareLog,
    private readonly attempts = I2C_ATTEMPTS,
  ) {}

  get bus(): number {
    return this.raw.bus;
  }

  private run<T>(addr: number | undefined, fn: () => T): T {
    for (let attempt = 1; ; attempt++) {
      try {
        return fn();
      } catch (err) {
        const code = (err as NodeJS.ErrnoException)?.code ?? '';
        if (attempt < this.attempts && RETRYABLE.has(code)) continue;
        throw mapI2cError(err, this.raw.bus, addr);
      }
    }
  }

  readByte(addr: number, reg: number): number {
    return this.run(addr, () => this.raw.readByte(addr, reg));
  }
  writeByte(addr: number, reg: number, value: number): void {
    this.run(addr, () => this.raw.writeByte(addr, reg, value));
    this.log?.add({ kind: 'i2c', bus: this.bus, addr, reg, value, width: 'byte' });
  }
  readWord(addr: number, reg: number): number {
    return this.run(addr, () => this.raw.readWord(addr, reg));
  }
  writeWord(addr: number, reg: number, value: number): void {
    this.run(addr, () => this.raw.writeWord(addr, reg, value));
    this.log?.add({ kind: 'i2c', bus: this.bus, addr, reg, value, width: 'word' });
  }
  readBlock(addr: number, reg: number, length: number): Buffer {
    return this.run(addr, () => this.raw.readBlock(addr, reg, length));
  }
  writeBlock(addr: number, reg: number, data: Buffer): void {
    this.run(addr, () => this.raw.writeBlock(addr, reg, data));
    data.forEach((value, i) => this.log?.add({ kind: 'i2c', bus: this.bus, addr, reg: reg + i, value, width: 'block' }));
  }
  sendByte(addr: number, value: number): void {
    this.run(addr, () => this.raw.sendByte(addr, value));
    this.log?.add({ kind: 'i2c', bus: this.bus, addr, reg: null, value, width: 'send' });
  }
  scan(): number[] {
    return this.run(undefined, () => this.raw.scan());
  }
  close(): void {
    this.raw.close();
  }
}
