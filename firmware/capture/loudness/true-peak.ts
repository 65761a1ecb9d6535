/**
 * True peak by BS.1770 Annex 2: oversample with the Annex's 48-tap, 4-phase interpolating FIR and
 * take the largest magnitude. Phase p of the filter gives the signal a quarter sample further on
 * than phase p-1, so 2x oversampling (96 kHz and up) uses phases 0 and 2, and from 192 kHz the
 * samples themselves are enough (the Annex: "proportionately less over-sampling").
 */
const PHASES: readonly (readonly number[])[] = [
  [0.001708984375, 0.010986328125, -0.0196533203125, 0.033203125, -0.0594482421875, 0.1373291015625, 0.97216796875, -0.102294921875, 0.047607421875, -0.0266113281250, 0.014892578125, -0.00830078125],
  [-0.0291748046875, 0.029296875, -0.0517578125, 0.089111328125, -0.16650390625, 0.465087890625, 0.77978515625, -0.2003173828125, 0.1015625, -0.0582275390625, 0.0330810546875, -0.0189208984375],
  [-0.0189208984375, 0.0330810546875, -0.0582275390625, 0.1015625, -0.2003173828125, 0.77978515625, 0.465087890625, -0.16650390625, 0.089111328125, -0.0517578125, 0.029296875, -0.0291748046875],
  [-0.00830078125, 0.014892578125, -0.0266113281250, 0.047607421875, -0.102294921875, 0.97216796875, 0.1373291015625, -0.0594482421875, 0.033203125, -0.0196533203125, 0.010986328125, 0.001708984375],
];
export const TRUE_PEAK_TAPS = 12;
/** History each channel keeps between chunks: the taps that reach back before the chunk. */
export const TRUE_PEAK_HISTORY = TRUE_PEAK_TAPS - 1;

export function oversamplingFactor(rate: number): 1 | 2 | 4 {
  return rate < 96000 ? 4 : rate < 192000 ? 2 : 1;
}

/**
 * The largest |output| of any phase stays within this many times the largest |input| under the
 * taps (the sum of the largest phase's |coefficients|, about 2.0). Samples so small that even
 * this bound cannot beat the peak found so far need no filtering: after a loud passage most of
 * a programme is skipped at the cost of one comparison per sample.
 */
export const TRUE_PEAK_GAIN_BOUND = Math.max(...PHASES.map((p) => p.reduce((s, c) => s + Math.abs(c), 0)));
/** Outputs judged together by that bound. */
const SKIP_BLOCK = 32;

/*
 * A tighter bound for each output, for smooth signals (a steady tone, most of a programme's
 * energy), where the first one never skips: the output of phase p at n is exactly
 *   w_p * x[n-6] + v_p * x[n-5] + sum_j h_p[j] * r_j,
 * where r_j is how far x[n-j] lies from the straight line through x[n-6] and x[n-5]. |r_j| is at
 * most C_j = |(6-j)(5-j)|/2 times the largest second difference |x[k] - 2x[k-1] + x[k-2]| among
 * the taps (D2). With w_p, v_p >= 0 (checked below) the output is then at most
 *   W_p * max(|x[n-6]|, |x[n-5]|) + K_p * D2,   W_p = w_p + v_p, K_p = sum_j |h_p[j]| C_j.
 * An output whose bound cannot beat the peak so far is not computed: it could not have raised
 * the maximum, so the result is the one the full filter gives. For a 1 kHz tone at 48 kHz, D2
 * is 1.7 % of the amplitude and all but the outputs near the sine's crests are skipped.
 */
interface PairBound {
  W: number;
  K: number;
}
function pairBound(h: readonly number[]): PairBound {
  const w = h.reduce((s, c, j) => s + c * (1 - (6 - j)), 0);
  const v = h.reduce((s, c, j) => s + c * (6 - j), 0);
  if (!(w >= 0 && v >= 0)) throw new Error('true-peak bound: the line weights must not be negative');
  return { W: w + v, K: h.reduce((s, c, j) => s + (Math.abs(c) * Math.abs((6 - j) * (5 - j))) / 2, 0) };
}
// Phases 0 and 3 mirror each other, as do 1 and 2: one bound per pair (the 2x filter uses 0 and 2).
const BOUND_A = pairBound(PHASES[0]!);
const BOUND_B = pairBound(PHASES[1]!);
/**
 * Rounding: the filter's sums (about 30 roundings of terms within twice the window's largest
 * magnitude) and the bound's own arithmetic stay far under a billionth of that magnitude.
 */
const ROUNDING_MARGIN = 1e-9;

/**
 * The larger of `peak` and the largest interpolated magnitude over
 * `line[TRUE_PEAK_HISTORY .. TRUE_PEAK_HISTORY + frames)`, where the TRUE_PEAK_HISTORY values
 * before that are the previous samples of the same channel.
 */
export function truePeakOf(line: Float64Array, frames: number, factor: 1 | 2 | 4, peak = 0): number {
  let max = peak;
  const end = TRUE_PEAK_HISTORY + frames;
  if (factor === 1) {
    for (let n = TRUE_PEAK_HISTORY; n < end; n++) {
      const a = Math.abs(line[n]!);
      if (a > max) max = a;
    }
    return max;
  }
  let bright = false;
  for (let from = TRUE_PEAK_HISTORY; from < end; from += SKIP_BLOCK) {
    const to = Math.min(end, from + SKIP_BLOCK);
    let bound = 0;
    for (let k = from - TRUE_PEAK_HISTORY; k < to; k++) {
      const a = Math.abs(line[k]!);
      if (a > bound) bound = a;
    }
    if (bound * TRUE_PEAK_GAIN_BOUND <= max) continue;
    // Once a block of this piece is too bright for the bound, the rest of it is not measured.
    if (bright) max = interpolatedPeak(line, from, to, factor, max, Infinity, 0);
    else {
      const curve = secondDifferenceBound(line, from, to, max);
      bright = curve === Infinity;
      max = interpolatedPeak(line, from, to, factor, max, curve, bound * ROUNDING_MARGIN);
    }
  }
  return max;
}

/**
 * The largest |x[k] - 2x[k-1] + x[k-2]| under the taps of outputs [from, to), or Infinity as soon
 * as one is so large that the per-output bound would skip little (a noisy or bright signal): the
 * pass stops early and the filter runs on every output, as without the bound.
 */
function secondDifferenceBound(line: Float64Array, from: number, to: number, max: number): number {
  const useless = max / (4 * BOUND_B.K);
  let d2 = 0;
  let x2 = line[from - TRUE_PEAK_HISTORY]!;
  let x1 = line[from - TRUE_PEAK_HISTORY + 1]!;
  for (let k = from - TRUE_PEAK_HISTORY + 2; k < to; k++) {
    const x = line[k]!;
    let d = x - 2 * x1 + x2;
    if (d < 0) d = -d;
    if (d > d2) {
      if (d >= useless) return Infinity;
      d2 = d;
    }
    x2 = x1;
    x1 = x;
  }
  return d2;
}

/** Below this, max(|x[n-6]|, |x[n-5]|) proves that no phase's output at n can exceed `max`. */
function skipBelow(max: number, curve: number, margin: number): number {
  return Math.min((max - BOUND_A.K * curve - margin) / BOUND_A.W, (max - BOUND_B.K * curve - margin) / BOUND_B.W);
}

/*
 * Phase 3 is phase 0 reversed and phase 2 is phase 1 reversed, so each mirrored pair shares its
 * work: with s_j = x[n-j] + x[n-11+j] and d_j = x[n-j] - x[n-11+j] (j = 0..5), phase p's output
 * is S + D and its mirror's S - D, where S and D take the half sums and half differences of the
 * mirrored coefficients. The larger magnitude of the two is |S| + |D|: 24 multiplications per
 * sample instead of 48.
 */
const half = (p: readonly number[], sign: 1 | -1) => Array.from({ length: 6 }, (_, j) => (p[j]! + sign * p[11 - j]!) / 2);
const [PS0, PS1, PS2, PS3, PS4, PS5] = half(PHASES[0]!, 1) as [number, number, number, number, number, number];
const [PD0, PD1, PD2, PD3, PD4, PD5] = half(PHASES[0]!, -1) as [number, number, number, number, number, number];
const [QS0, QS1, QS2, QS3, QS4, QS5] = half(PHASES[1]!, 1) as [number, number, number, number, number, number];
const [QD0, QD1, QD2, QD3, QD4, QD5] = half(PHASES[1]!, -1) as [number, number, number, number, number, number];

/**
 * The FIR over outputs [from, to): the largest magnitude of its phases, or `peak` if larger.
 * `curve` is the largest second difference among the block's samples (see skipBelow).
 */
function interpolatedPeak(line: Float64Array, from: number, to: number, factor: 2 | 4, peak: number, curve: number, margin: number): number {
  let max = peak;
  let skip = skipBelow(max, curve, margin);
  if (factor === 2) {
    const [a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11] = PHASES[0] as number[];
    const [c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11] = PHASES[2] as number[];
    for (let n = from; n < to; n++) {
      const x5 = line[n - 5]!, x6 = line[n - 6]!;
      if ((x5 < 0 ? -x5 : x5) <= skip && (x6 < 0 ? -x6 : x6) <= skip) continue;
      const x0 = line[n]!, x1 = line[n - 1]!, x2 = line[n - 2]!, x3 = line[n - 3]!, x4 = line[n - 4]!;
      const x7 = line[n - 7]!, x8 = line[n - 8]!, x9 = line[n - 9]!, x10 = line[n - 10]!, x11 = line[n - 11]!;
      const before = max;
      let y = a0! * x0 + a1! * x1 + a2! * x2 + a3! * x3 + a4! * x4 + a5! * x5 + a6! * x6 + a7! * x7 + a8! * x8 + a9! * x9 + a10! * x10 + a11! * x11;
      if (y < 0) y = -y;
      if (y > max) max = y;
      y = c0! * x0 + c1! * x1 + c2! * x2 + c3! * x3 + c4! * x4 + c5! * x5 + c6! * x6 + c7! * x7 + c8! * x8 + c9! * x9 + c10! * x10 + c11! * x11;
      if (y < 0) y = -y;
      if (y > max) max = y;
      if (max !== before) skip = skipBelow(max, curve, margin);
    }
    return max;
  }
  const ps0 = PS0, ps1 = PS1, ps2 = PS2, ps3 = PS3, ps4 = PS4, ps5 = PS5;
  const pd0 = PD0, pd1 = PD1, pd2 = PD2, pd3 = PD3, pd4 = PD4, pd5 = PD5;
  const qs0 = QS0, qs1 = QS1, qs2 = QS2, qs3 = QS3, qs4 = QS4, qs5 = QS5;
  const qd0 = QD0, qd1 = QD1, qd2 = QD2, qd3 = QD3, qd4 = QD4, qd5 = QD5;
  for (let n = from; n < to; n++) {
    const x5 = line[n - 5]!, x6 = line[n - 6]!;
    if ((x5 < 0 ? -x5 : x5) <= skip && (x6 < 0 ? -x6 : x6) <= skip) continue;
    const x0 = line[n]!, x1 = line[n - 1]!, x2 = line[n - 2]!, x3 = line[n - 3]!, x4 = line[n - 4]!;
    const x7 = line[n - 7]!, x8 = line[n - 8]!, x9 = line[n - 9]!, x10 = line[n - 10]!, x11 = line[n - 11]!;
    const s0 = x0 + x11, s1 = x1 + x10, s2 = x2 + x9, s3 = x3 + x8, s4 = x4 + x7, s5 = x5 + x6;
    const d0 = x0 - x11, d1 = x1 - x10, d2 = x2 - x9, d3 = x3 - x8, d4 = x4 - x7, d5 = x5 - x6;
    const sa = ps0 * s0 + ps1 * s1 + ps2 * s2 + ps3 * s3 + ps4 * s4 + ps5 * s5;
    const da = pd0 * d0 + pd1 * d1 + pd2 * d2 + pd3 * d3 + pd4 * d4 + pd5 * d5;
    const sb = qs0 * s0 + qs1 * s1 + qs2 * s2 + qs3 * s3 + qs4 * s4 + qs5 * s5;
    const db = qd0 * d0 + qd1 * d1 + qd2 * d2 + qd3 * d3 + qd4 * d4 + qd5 * d5;
    const ya = (sa < 0 ? -sa : sa) + (da < 0 ? -da : da);
    const yb = (sb < 0 ? -sb : sb) + (db < 0 ? -db : db);
    if (ya > max || yb > max) {
      max = ya > yb ? ya : yb;
      skip = skipBelow(max, curve, margin);
    }
  }
  return max;
}

/** Each phase's output at one position of `line`, straight from the published table (for tests). */
export function phaseOutputs(line: Float64Array, n: number): number[] {
  return PHASES.map((h) => h.reduce((acc, c, j) => acc + c * line[n - j]!, 0));
}
