/**
 * A chip driver: what the zone controller needs from an amplifier or codec. Lines (enable,
 * mute, fault) belong to the zone; the chip only speaks its own bus. Every call is ordered by
 * the zone; a driver never sleeps on its own.
 */
export interface AmpChip {
  readonly kind: string;
  /** At start, before anything else: soft mute and the lowest-power state the chip has. */
  boot(): Promise<void>;
  /** After the enable line and the settle time: out of standby, still muted. */
  powerUp(): Promise<void>;
  /** Before the enable line drops (soft mute has already been asked): standby. */
  powerDown(): Promise<void>;
  /** Soft mute of the chip (no-op where the chip has none). While muted, volume changes are remembered, not heard. */
  setMute(muted: boolean): Promise<void>;
  /** Sets the gain and returns the dB actually applied (null when the chip has no volume). */
  setVolumeDb(db: number): Promise<number | null>;
  /** Proves the chip answers (throws otherwise); the text says what it answered. */
  probe(): Promise<string>;
  /** Fault bits the chip can report, for diagnostics. */
  faults?(): Promise<string[]>;
}

/** Maps a 0-100 volume onto the profile's dB range, linearly in dB. */
export function volumeToDb(volume: number, range: { min: number; max: number }): number {
  const v = Math.min(100, Math.max(0, volume));
  return range.min + ((range.max - range.min) * v) / 100;
}

export const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
