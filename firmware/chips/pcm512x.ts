import type { I2cBus } from '../hal/i2c/i2c.js';
import { clamp, type AmpChip } from './amp-chip.js';

export const PCM512X = {
  PAGE: 0x00,
  RESET: 0x01,
  POWER: 0x02,
  MUTE: 0x03,
  VOL_LEFT: 0x3d,
  VOL_RIGHT: 0x3e,
  STANDBY: 0x10,
  MUTE_BOTH: 0x11,
} as const;

/** Register value for a gain: dB = 24 - 0.5 x value, 0x00..0xFE (+24 .. -103 dB). */
export function pcm512xVolumeReg(db: number): number {
  return clamp(Math.round(48 - 2 * db), 0, 0xfe);
}

/**
 * TI PCM512x / TAS5754M / TAS5756M over raw I2C (a board without the codec's overlay; with the
 * overlay the kernel owns the address and the alsa-mixer driver is the one to use).
 */
export class Pcm512x implements AmpChip {
  readonly kind = 'pcm512x';
  constructor(
    private readonly bus: I2cBus,
    private readonly addr: number,
  ) {}

  private w(reg: number, value: number): void {
    this.bus.writeByte(this.addr, reg, value);
  }

  async boot(): Promise<void> {
    this.w(PCM512X.PAGE, 0);
    this.w(PCM512X.MUTE, PCM512X.MUTE_BOTH);
    this.w(PCM512X.POWER, PCM512X.STANDBY);
  }
  async powerUp(): Promise<void> {
    this.w(PCM512X.PAGE, 0);
    this.w(PCM512X.MUTE, PCM512X.MUTE_BOTH);
    this.w(PCM512X.POWER, 0x00);
  }
  async powerDown(): Promise<void> {
    this.w(PCM512X.POWER, PCM512X.STANDBY);
  }
  async setMute(muted: boolean): Promise<void> {
    this.w(PCM512X.MUTE, muted ? PCM512X.MUTE_BOTH : 0x00);
  }
  async setVolumeDb(db: number): Promise<number> {
    const v = pcm512xVolumeReg(db);
    this.w(PCM512X.VOL_LEFT, v);
    this.w(PCM512X.VOL_RIGHT, v);
    return 24 - 0.5 * v;
  }
  async probe(): Promise<string> {
    const page = this.bus.readByte(this.addr, PCM512X.PAGE);
    return `pcm512x at 0x${this.addr.toString(16)} answers (page ${page})`;
  }
}
