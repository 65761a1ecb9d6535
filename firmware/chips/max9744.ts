import type { I2cBus } from '../hal/i2c/i2c.js';
import { clamp, type AmpChip } from './amp-chip.js';

/**
 * Volume code for a gain: codes 1..63 spread evenly over the profile's dB range (0 is mute).
 * The datasheet's code-to-dB table is not linear; this keeps the ends right and the order.
 */
export function max9744Code(db: number, range: { min: number; max: number }): number {
  return clamp(Math.round(1 + ((db - range.min) / (range.max - range.min)) * 62), 1, 63);
}
export function max9744CodeDb(code: number, range: { min: number; max: number }): number {
  return Math.round((range.min + ((code - 1) / 62) * (range.max - range.min)) * 10) / 10;
}

/**
 * Maxim MAX9744: write-only, so the driver keeps a shadow of the volume and presence is only
 * an acknowledge. While muted, volume changes go to the shadow only (code 0 is the chip's mute).
 */
export class Max9744 implements AmpChip {
  readonly kind = 'max9744';
  /** The volume code the chip should hold when not muted. */
  shadow = 0;
  private muted = true;
  constructor(
    private readonly bus: I2cBus,
    private readonly addr: number,
    private readonly range: { min: number; max: number },
  ) {}
  private sendCurrent(): void {
    this.bus.sendByte(this.addr, this.muted ? 0 : this.shadow);
  }
  async boot(): Promise<void> {
    this.muted = true;
    this.sendCurrent();
  }
  /** The chip wakes at code 40: put it back to what the driver wants at once. */
  async powerUp(): Promise<void> {
    this.sendCurrent();
  }
  async powerDown(): Promise<void> {}
  async setMute(muted: boolean): Promise<void> {
    this.muted = muted;
    this.sendCurrent();
  }
  async setVolumeDb(db: number): Promise<number> {
    this.shadow = max9744Code(db, this.range);
    if (!this.muted) this.sendCurrent();
    return max9744CodeDb(this.shadow, this.range);
  }
  async probe(): Promise<string> {
    this.sendCurrent();
    return `max9744 at 0x${this.addr.toString(16)} acknowledges (write-only; shadow code ${this.shadow})`;
  }
}
