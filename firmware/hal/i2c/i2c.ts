/** The I2C interface of the hardware layer: SMBus transfers on one bus, by 7-bit address. */
export interface I2cBus {
  readonly bus: number;
  readByte(addr: number, reg: number): number;
  writeByte(addr: number, reg: number, value: number): void;
  readWord(addr: number, reg: number): number;
  writeWord(addr: number, reg: number, value: number): void;
  readBlock(addr: number, reg: number, length: number): Buffer;
  writeBlock(addr: number, reg: number, data: Buffer): void;
  /** A single data byte without a register (MAX9744 style). */
  sendByte(addr: number, value: number): void;
  /** Addresses that acknowledge, 0x03-0x77. */
  scan(): number[];
  close(): void;
}

/**
 * Raw access to one bus as the binding sees it: may throw Node-style errors with errno codes
 * (ENOENT, EBUSY, EIO, ENXIO, EREMOTEIO, ENODEV). `MappedI2cBus` turns those into typed errors.
 */
export type RawI2cBus = Omit<I2cBus, 'close'> & { close(): void };

export interface I2cBinding {
  readonly kind: 'i2c-bus' | 'sim';
  /** Opens a bus; throws I2cBusMissingError when it does not exist. */
  open(bus: number): I2cBus;
}
