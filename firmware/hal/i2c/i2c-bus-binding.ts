import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { HardwareLog } from '../hardware-log.js';
import { mapI2cError } from './errors.js';
import type { I2cBinding, I2cBus, RawI2cBus } from './i2c.js';
import { MappedI2cBus } from './mapped-bus.js';

/** The subset of i2c-bus's synchronous bus object used here. */
export interface I2cBusModuleBus {
  readByteSync(addr: number, cmd: number): number;
  writeByteSync(addr: number, cmd: number, byte: number): void;
  readWordSync(addr: number, cmd: number): number;
  writeWordSync(addr: number, cmd: number, word: number): void;
  readI2cBlockSync(addr: number, cmd: number, length: number, buffer: Buffer): number;
  writeI2cBlockSync(addr: number, cmd: number, length: number, buffer: Buffer): number;
  sendByteSync(addr: number, byte: number): void;
  scanSync(): number[];
  closeSync(): void;
}
export type I2cOpener = (bus: number) => I2cBusModuleBus;

const defaultOpener: I2cOpener = (bus) => (createRequire(import.meta.url)('i2c-bus') as { openSync(n: number): I2cBusModuleBus }).openSync(bus);

/**
 * The real binding over i2c-bus (synchronous calls: a transfer takes well under a millisecond,
 * and strict order of hardware operations matters more than yielding). i2c-bus opens
 * /dev/i2c-<n> lazily and its scan swallows every error, so a missing bus would scan as []:
 * the device node is checked first.
 */
export class I2cBusBinding implements I2cBinding {
  readonly kind = 'i2c-bus';
  constructor(
    private readonly log?: HardwareLog,
    private readonly opener: I2cOpener = defaultOpener,
    private readonly devPrefix = '/dev/i2c-',
  ) {}

  open(bus: number): I2cBus {
    if (!existsSync(`${this.devPrefix}${bus}`)) throw mapI2cError(Object.assign(new Error('missing'), { code: 'ENOENT' }), bus);
    let b: I2cBusModuleBus;
    try {
      b = this.opener(bus);
    } catch (err) {
      throw mapI2cError(err, bus);
    }
    const raw: RawI2cBus = {
      bus,
      readByte: (a, r) => b.readByteSync(a, r),
      writeByte: (a, r, v) => b.writeByteSync(a, r, v),
      readWord: (a, r) => b.readWordSync(a, r),
      writeWord: (a, r, v) => b.writeWordSync(a, r, v),
      readBlock: (a, r, n) => {
        const buf = Buffer.alloc(n);
        const got = b.readI2cBlockSync(a, r, n, buf);
        return buf.subarray(0, got);
      },
      writeBlock: (a, r, d) => void b.writeI2cBlockSync(a, r, d.length, d),
      sendByte: (a, v) => b.sendByteSync(a, v),
      scan: () => {
        if (!existsSync(`${this.devPrefix}${bus}`)) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
        return b.scanSync();
      },
      close: () => b.closeSync(),
    };
    return new MappedI2cBus(raw, this.log);
  }
}
