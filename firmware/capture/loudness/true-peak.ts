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
  // Runs of blocks that need the filter go to it together (with the peak known at the run's start).
  let run = -1;
  for (let from = TRUE_PEAK_HISTORY; from < end; from += SKIP_BLOCK) {
    const to = Math.min(end, from + SKIP_BLOCK);
    let bound = 0;
    for (let k = from - TRUE_PEAK_HISTORY; k < to; k++) {
      const a = Math.abs(line[k]!);
      if (a > bound) bound = a;
    }
    const needed = bound * TRUE_PEAK_GAIN_BOUND > max;
    if (needed && run < 0) run = from;
    else if (!needed && run >= 0) {
      max = interpolatedPeak(line, run, from, factor, max);
      run = -1;
    }
  }
  return run >= 0 ? interpolatedPeak(line, run, end, factor, max) : max;
}

/** The FIR itself over outputs [from, to), unrolled by hand: 48 multiply-adds per sample at 4x. */
function interpolatedPeak(line: Float64Array, from: number, to: number, factor: 2 | 4, peak: number): number {
  let max = peak;
  const [p0, p1, p2, p3] = PHASES as [readonly number[], readonly number[], readonly number[], readonly number[]];
  const a0 = p0[0]!, a1 = p0[1]!, a2 = p0[2]!, a3 = p0[3]!, a4 = p0[4]!, a5 = p0[5]!, a6 = p0[6]!, a7 = p0[7]!, a8 = p0[8]!, a9 = p0[9]!, a10 = p0[10]!, a11 = p0[11]!;
  const b0 = p1[0]!, b1 = p1[1]!, b2 = p1[2]!, b3 = p1[3]!, b4 = p1[4]!, b5 = p1[5]!, b6 = p1[6]!, b7 = p1[7]!, b8 = p1[8]!, b9 = p1[9]!, b10 = p1[10]!, b11 = p1[11]!;
  const c0 = p2[0]!, c1 = p2[1]!, c2 = p2[2]!, c3 = p2[3]!, c4 = p2[4]!, c5 = p2[5]!, c6 = p2[6]!, c7 = p2[7]!, c8 = p2[8]!, c9 = p2[9]!, c10 = p2[10]!, c11 = p2[11]!;
  const d0 = p3[0]!, d1 = p3[1]!, d2 = p3[2]!, d3 = p3[3]!, d4 = p3[4]!, d5 = p3[5]!, d6 = p3[6]!, d7 = p3[7]!, d8 = p3[8]!, d9 = p3[9]!, d10 = p3[10]!, d11 = p3[11]!;
  for (let n = from; n < to; n++) {
    const x0 = line[n]!, x1 = line[n - 1]!, x2 = line[n - 2]!, x3 = line[n - 3]!, x4 = line[n - 4]!, x5 = line[n - 5]!;
    const x6 = line[n - 6]!, x7 = line[n - 7]!, x8 = line[n - 8]!, x9 = line[n - 9]!, x10 = line[n - 10]!, x11 = line[n - 11]!;
    let y = a0 * x0 + a1 * x1 + a2 * x2 + a3 * x3 + a4 * x4 + a5 * x5 + a6 * x6 + a7 * x7 + a8 * x8 + a9 * x9 + a10 * x10 + a11 * x11;
    if (y < 0) y = -y;
    if (y > max) max = y;
    y = c0 * x0 + c1 * x1 + c2 * x2 + c3 * x3 + c4 * x4 + c5 * x5 + c6 * x6 + c7 * x7 + c8 * x8 + c9 * x9 + c10 * x10 + c11 * x11;
    if (y < 0) y = -y;
    if (y > max) max = y;
    if (factor === 4) {
      y = b0 * x0 + b1 * x1 + b2 * x2 + b3 * x3 + b4 * x4 + b5 * x5 + b6 * x6 + b7 * x7 + b8 * x8 + b9 * x9 + b10 * x10 + b11 * x11;
      if (y < 0) y = -y;
      if (y > max) max = y;
      y = d0 * x0 + d1 * x1 + d2 * x2 + d3 * x3 + d4 * x4 + d5 * x5 + d6 * x6 + d7 * x7 + d8 * x8 + d9 * x9 + d10 * x10 + d11 * x11;
      if (y < 0) y = -y;
      if (y > max) max = y;
    }
  }
  return max;
}
