import type { I2cBus } from '../hal/i2c/i2c.js';
import { clamp, type AmpChip } from './amp-chip.js';

export const TPA2016 = { SETUP: 0x01, GAIN: 0x05, R_EN: 0x80, L_EN: 0x40, SWS: 0x20, R_FAULT: 0x10, L_FAULT: 0x08, THERMAL: 0x04 } as const;

/** TI TPA2016: gain -28..+30 dB in 1 dB steps; mute by disabling both channels; readable fault bits. */
export class Tpa2016 implements AmpChip {
  readonly kind = 'tpa2016';
  private powered = false;
  private muted = true;
  constructor(
    private readonly bus: I2cBus,
    private readonly addr: number,
  ) {}
  private writeSetup(): void {
    const v = (this.powered ? 0 : TPA2016.SWS) | (this.muted ? 0 : TPA2016.R_EN | TPA2016.L_EN);
    this.bus.writeByte(this.addr, TPA2016.SETUP, v);
  }
  async boot(): Promise<void> {
    this.powered = false;
    this.muted = true;
    this.writeSetup();
  }
  async powerUp(): Promise<void> {
    this.powered = true;
    this.writeSetup();
  }
  async powerDown(): Promise<void> {
    this.powered = false;
    this.writeSetup();
  }
  async setMute(muted: boolean): Promise<void> {
    this.muted = muted;
    this.writeSetup();
  }
  async setVolumeDb(db: number): Promise<number> {
    const g = clamp(Math.round(db), -28, 30);
    this.bus.writeByte(this.addr, TPA2016.GAIN, g & 0x3f);
    return g;
  }
  async probe(): Promise<string> {
    const s = this.bus.readByte(this.addr, TPA2016.SETUP);
    return `tpa2016 at 0x${this.addr.toString(16)} answers (setup 0x${s.toString(16)})`;
  }
  async faults(): Promise<string[]> {
    const s = this.bus.readByte(this.addr, TPA2016.SETUP);
    const out: string[] = [];
    if (s & TPA2016.R_FAULT) out.push('right channel short');
    if (s & TPA2016.L_FAULT) out.push('left channel short');
    if (s & TPA2016.THERMAL) out.push('over temperature');
    return out;
  }
}
