import { FLOOR_DBFS } from '../meter.js';
import type { LoudnessMeter } from './loudness-meter.js';

/** The loudness part of P/input/<i>/levels: one value per input (loudness sums the channels). */
export interface LoudnessFields {
  /** Momentary loudness (400 ms), LUFS, floored at -120 like the levels. */
  momentary_lufs: number;
  /** Short-term loudness (3 s), LUFS, floored at -120. */
  short_term_lufs: number;
  /** Integrated loudness since the capture (re)opened; null while nothing has passed the gates. */
  integrated_lufs: number | null;
  /** Loudness range (EBU Tech 3342) since the capture (re)opened, LU. */
  lra_lu: number;
  /** Highest true peak of any channel since the capture (re)opened, dBTP, floored at -120. */
  true_peak_dbtp: number;
}

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
