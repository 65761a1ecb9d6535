import type { ChipKind } from '../chips/registry.js';

/** Types of a board profile, as board/profile.schema.json defines it. */
export interface GpioLineSpec {
  /** A BCM GPIO number, or a line name as the device tree gives it (`GPIO17`). */
  line: number | string;
  active: 'high' | 'low';
}

export type { ChipKind };

export interface AmpSpec {
  chip: ChipKind;
  bus?: number;
  address?: number;
  mixerCard?: number | string;
  mixerControl?: string;
}

export interface ZoneProfile {
  name: string;
  label?: string;
  playback: { card: number | string; device: number; subdevice?: number };
  amp: AmpSpec;
  gpio: { enable?: GpioLineSpec; mute?: GpioLineSpec; fault?: GpioLineSpec; reset?: GpioLineSpec };
  settleMs: number;
  volumeDb: { min: number; max: number };
  fixedGainDb?: number;
  maxVolume: number;
  defaultVolume?: number;
}

export interface InputMatch {
  cardId?: string;
  usbId?: string;
  anyUsb?: true;
  pcm?: string;
  device?: number;
}

export interface InputProfile {
  name: string;
  label?: string;
  /** The room name of its recordings (directory and SReview room); default: the input's name. */
  room?: string;
  match: InputMatch;
  rate: number;
  channels: number;
  format: 'S16_LE' | 'S32_LE';
}

export interface BoardProfile {
  name: string;
  description: string;
  sources?: string[];
  simulated?: boolean;
  hatProduct?: string;
  zones: ZoneProfile[];
  inputs: InputProfile[];
}
