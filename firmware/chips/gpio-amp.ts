import type { AmpChip } from './amp-chip.js';

/**
 * TPA3116/TPA3118-class boards: no bus at all. SDZ (enable), MUTE and FAULTZ are the zone's
 * GPIO lines; gain is set by resistors on the board, so there is no volume to set.
 */
export class GpioAmp implements AmpChip {
  readonly kind = 'gpio';
  async boot(): Promise<void> {}
  async powerUp(): Promise<void> {}
  async powerDown(): Promise<void> {}
  async setMute(): Promise<void> {}
  async setVolumeDb(): Promise<null> {
    return null;
  }
  async probe(): Promise<string> {
    return 'GPIO-only amplifier (no bus to ask)';
  }
}
