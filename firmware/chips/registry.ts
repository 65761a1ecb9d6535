import type { I2cBus } from '../hal/i2c/i2c.js';
import { SimMax9744, SimPcm512x, SimTas5713, SimTpa2016, type SimChip } from '../sim/chips.js';
import { AlsaMixer } from './alsa-mixer.js';
import type { AmpChip } from './amp-chip.js';
import { GpioAmp } from './gpio-amp.js';
import { Max9744 } from './max9744.js';
import { Pcm512x } from './pcm512x.js';
import { Tas5713 } from './tas5713.js';
import { Tpa2016 } from './tpa2016.js';

/** What a driver is built from: its bus (I2C chips), its address, the zone's dB range, its mixer. */
export interface ChipParams {
  bus?: I2cBus;
  address?: number;
  volumeDb: { min: number; max: number };
  mixerCard?: number | string;
  mixerControl?: string;
}

export interface ChipEntry {
  /** How the chip is reached: over I2C (the profile gives bus and address), or not at all. */
  bus: 'i2c' | 'none' | 'alsa';
  /** The address the chip answers at unless straps move it (7-bit). */
  defaultAddress?: number;
  summary: string;
  create(p: ChipParams): AmpChip;
  /** The register model the sim board puts at the chip's address. */
  simModel?: () => SimChip;
}

/**
 * Every amp chip the firmware drives. The board schema's chip list is generated from this
 * (`npx tsx scripts/gen-board-schema.ts`), the zone hardware builds drivers from it and the sim
 * board its register models: adding a chip touches its driver, its sim model and this table.
 */
export const CHIPS = {
  pcm512x: {
    bus: 'i2c',
    defaultAddress: 0x4c,
    summary: 'TI PCM512x / TAS575x codec (0x4c or 0x4d by board)',
    create: (p) => new Pcm512x(p.bus!, p.address!),
    simModel: () => new SimPcm512x(),
  },
  tas5713: { bus: 'i2c', defaultAddress: 0x1b, summary: 'TI TAS5713 class-D amp', create: (p) => new Tas5713(p.bus!, p.address!), simModel: () => new SimTas5713() },
  max9744: { bus: 'i2c', defaultAddress: 0x4b, summary: 'Maxim MAX9744 class-D amp (write-only volume)', create: (p) => new Max9744(p.bus!, p.address!, p.volumeDb), simModel: () => new SimMax9744() },
  tpa2016: { bus: 'i2c', defaultAddress: 0x58, summary: 'TI TPA2016 class-D amp with AGC', create: (p) => new Tpa2016(p.bus!, p.address!), simModel: () => new SimTpa2016() },
  gpio: { bus: 'none', summary: 'an amp driven by its GPIO lines alone (no volume)', create: () => new GpioAmp() },
  'alsa-mixer': { bus: 'alsa', summary: "volume through an ALSA mixer control (the codec's driver owns the chip)", create: (p) => new AlsaMixer(p.mixerCard!, p.mixerControl!) },
} as const satisfies Record<string, ChipEntry>;

export type ChipKind = keyof typeof CHIPS;
export const CHIP_KINDS = Object.keys(CHIPS) as ChipKind[];
export const I2C_CHIP_KINDS = CHIP_KINDS.filter((k) => CHIPS[k].bus === 'i2c');

/** The register model of a chip kind for the sim board, if it has one. */
export function simModel(kind: string): SimChip | undefined {
  const entry = (CHIPS as Record<string, ChipEntry>)[kind];
  return entry?.simModel?.();
}
