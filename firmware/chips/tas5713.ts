import type { I2cBus } from '../hal/i2c/i2c.js';
import { clamp, type AmpChip } from './amp-chip.js';

export const TAS5713 = { ERROR: 0x02, SYS_CTRL2: 0x05, SOFT_MUTE: 0x06, MASTER_VOL: 0x07, OSC_TRIM: 0x1b, SHUTDOWN: 0x40, MUTE_ALL: 0x07 } as const;

/** Master volume register: 0.5 dB steps down from +24 dB (0x00), 0xF8 = -100 dB. */
export function tas5713VolumeReg(db: number): number {
  return clamp(Math.round((24 - db) * 2), 0, 0xf8);
}

/** TI TAS5713 (HiFiBerry Amp/Amp+ class) over raw I2C. */
export class Tas5713 implements AmpChip {
  readonly kind = 'tas5713';
  constructor(
    private readonly bus: I2cBus,
    private readonly addr: number,
  ) {}
  private w(reg: number, value: number): void {
    this.bus.writeByte(this.addr, reg, value);
  }
  async boot(): Promise<void> {
    this.w(TAS5713.SOFT_MUTE, TAS5713.MUTE_ALL);
    this.w(TAS5713.SYS_CTRL2, TAS5713.SHUTDOWN);
  }
  async powerUp(): Promise<void> {
    this.w(TAS5713.ERROR, 0x00);
    this.w(TAS5713.OSC_TRIM, 0x00);
    this.w(TAS5713.SOFT_MUTE, TAS5713.MUTE_ALL);
    this.w(TAS5713.SYS_CTRL2, 0x00);
  }
  async powerDown(): Promise<void> {
    this.w(TAS5713.SYS_CTRL2, TAS5713.SHUTDOWN);
  }
  async setMute(muted: boolean): Promise<void> {
    this.w(TAS5713.SOFT_MUTE, muted ? TAS5713.MUTE_ALL : 0x00);
  }
  async setVolumeDb(db: number): Promise<number> {
    const v = tas5713VolumeReg(db);
    this.w(TAS5713.MASTER_VOL, v);
    return 24 - 0.5 * v;
  }
  async probe(): Promise<string> {
    const err = this.bus.readByte(this.addr, TAS5713.ERROR);
    return `tas5713 at 0x${this.addr.toString(16)} answers (error status 0x${err.toString(16)})`;
  }
  async faults(): Promise<string[]> {
    const e = this.bus.readByte(this.addr, TAS5713.ERROR);
    return e === 0 ? [] : [`error status 0x${e.toString(16)}`];
  }
}
