import type { Levels } from '../../api/input.js';
import { FLOOR_DBFS } from '../meter.js';
import type { LoudnessMeter } from './loudness-meter.js';

/** The loudness part of P/input/<i>/levels: one value per input (loudness sums the channels). */
export type LoudnessFields = Pick<Levels, 'momentary_lufs' | 'short_term_lufs' | 'integrated_lufs' | 'lra_lu' | 'true_peak_dbtp'>;

export function loudnessFields(m: LoudnessMeter): LoudnessFields {
  const integrated = m.integratedLufs;
  return {
    momentary_lufs: floored(m.momentaryLufs),
    short_term_lufs: floored(m.shortTermLufs),
    integrated_lufs: Number.isFinite(integrated) ? round1(integrated) : null,
    lra_lu: round1(m.loudnessRangeLu),
    true_peak_dbtp: floored(m.truePeakDbtp),
  };
}

function floored(x: number): number {
  return round1(Math.max(FLOOR_DBFS, x));
}

function round1(x: number): number {
  return Math.round(x * 10) / 10 + 0;
}
