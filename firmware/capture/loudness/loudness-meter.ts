import { FULL_SCALE, type SampleFormat } from '../meter.js';
import { energyToLufs, GatedHistogram } from './gating.js';
import { channelWeights, highpassStage, shelfStage } from './k-weighting.js';
import { oversamplingFactor, TRUE_PEAK_HISTORY, truePeakOf } from './true-peak.js';

/** BS.1770 integrated loudness: blocks 10 LU under the absolute-gated mean are left out. */
export const INTEGRATED_RELATIVE_GATE_LU = -10;
/** EBU Tech 3342 loudness range: the relative gate is 20 LU under. */
export const RANGE_RELATIVE_GATE_LU = -20;
/**
 * The windows slide in steps of 10 ms: momentary and short-term loudness (and their maxima) are
 * fresh to 10 ms, so a file-based maximum finds a 400 ms event wherever it starts (EBU Tech 3341
 * case 13). Every 10th step (100 ms) gives a gating block: 400 ms blocks with 75 % overlap for
 * the integrated loudness, 3 s windows at 10 Hz for the loudness range.
 */
const STEPS_PER_SECOND = 100;
const MOMENTARY_STEPS = 40;
const SHORT_TERM_STEPS = 300;
const STEPS_PER_GATING_BLOCK = 10;

export interface LoudnessOptions {
  rate: number;
  channels: number;
}

/**
 * EBU R128 / ITU-R BS.1770-4 loudness of one multichannel stream, fed interleaved float samples
 * (full scale = 1.0) in chunks of any size: K-weighting, momentary (400 ms) and short-term (3 s)
 * loudness every 10 ms, integrated loudness (absolute and relative gates), loudness range (Tech
 * 3342), true peak (Annex 2, 4x) and sample peak, all since construction or reset().
 *
 * The windows start filled with silence, as a meter switched on in a quiet room; the integrated
 * loudness and the loudness range take only complete 400 ms and 3 s windows. Every buffer is
 * made in the constructor (pushPcm's conversion buffer on its first call, or a larger period):
 * the per-sample loops allocate nothing.
 */
/** Filter state this close to zero is zero (see channelPiece). */
const TINY = 1e-20;

export class LoudnessMeter {
  readonly rate: number;
  readonly channels: number;
  readonly stepFrames: number;
  private readonly weights: Float64Array;
  private readonly factor: 1 | 2 | 4;
  // K-weighting coefficients (stage 2's numerator is 1, -2, 1).
  private readonly sb0: number;
  private readonly sb1: number;
  private readonly sb2: number;
  private readonly sa1: number;
  private readonly sa2: number;
  private readonly ha1: number;
  private readonly ha2: number;
  /** Per channel: the two stages' two state variables. */
  private readonly filterState: Float64Array;
  /** Per channel: TRUE_PEAK_HISTORY earlier samples, then the piece being processed. */
  private readonly lines: Float64Array[];
  private readonly sumSquares: Float64Array;
  private readonly samplePeaks: Float64Array;
  private readonly truePeaks: Float64Array;
  private framesInStep = 0;
  /** The last SHORT_TERM_STEPS steps' weighted mean squares. */
  private readonly ring = new Float64Array(SHORT_TERM_STEPS);
  private ringPos = 0;
  private steps = 0;
  private momentaryEnergy = 0;
  private shortTermEnergy = 0;
  private maxMomentaryEnergy = 0;
  private maxShortTermEnergy = 0;
  private readonly blocks = new GatedHistogram();
  private readonly shortTerms = new GatedHistogram();
  private convert = new Float32Array(0);

  constructor(opts: LoudnessOptions) {
    if (!Number.isInteger(opts.channels) || opts.channels < 1) throw new Error(`channels must be a positive integer, got ${opts.channels}`);
    if (!(opts.rate >= 8000 && opts.rate <= 768000)) throw new Error(`sample rate must be 8000-768000 Hz, got ${opts.rate}`);
    this.rate = opts.rate;
    this.channels = opts.channels;
    this.stepFrames = Math.round(opts.rate / STEPS_PER_SECOND);
    this.weights = channelWeights(opts.channels);
    this.factor = oversamplingFactor(opts.rate);
    const shelf = shelfStage(opts.rate);
    const hp = highpassStage(opts.rate);
    this.sb0 = shelf.b0;
    this.sb1 = shelf.b1;
    this.sb2 = shelf.b2;
    this.sa1 = shelf.a1;
    this.sa2 = shelf.a2;
    this.ha1 = hp.a1;
    this.ha2 = hp.a2;
    this.filterState = new Float64Array(opts.channels * 4);
    this.lines = Array.from({ length: opts.channels }, () => new Float64Array(TRUE_PEAK_HISTORY + this.stepFrames));
    this.sumSquares = new Float64Array(opts.channels);
    this.samplePeaks = new Float64Array(opts.channels);
    this.truePeaks = new Float64Array(opts.channels);
  }

  /** Back to a meter just switched on. */
  reset(): void {
    this.filterState.fill(0);
    for (const l of this.lines) l.fill(0);
    this.sumSquares.fill(0);
    this.samplePeaks.fill(0);
    this.truePeaks.fill(0);
    this.framesInStep = 0;
    this.ring.fill(0);
    this.ringPos = 0;
    this.steps = 0;
    this.momentaryEnergy = this.shortTermEnergy = this.maxMomentaryEnergy = this.maxShortTermEnergy = 0;
    this.blocks.reset();
    this.shortTerms.reset();
  }

  /** Meters `frames` interleaved frames of float samples starting at frame `fromFrame`. */
  push(samples: Float32Array, frames = Math.floor(samples.length / this.channels), fromFrame = 0): void {
    this.pushInterleaved(samples, 1, frames, fromFrame * this.channels);
  }

  /**
   * Meters interleaved little-endian integer PCM as a capture delivers it. Each channel's samples
   * go straight from the capture's buffer into the channel's filter line, scaled on the way: no
   * float copy of the whole period first (this runs for every period of every input, all day).
   */
  pushPcm(data: Uint8Array, frames: number, format: SampleFormat): void {
    const width = format === 'S16_LE' ? 2 : 4;
    frames = Math.min(frames, Math.floor(data.byteLength / (width * this.channels)));
    const count = frames * this.channels;
    const scale = 1 / FULL_SCALE[format];
    if (data.byteOffset % width === 0) {
      const v = width === 2 ? new Int16Array(data.buffer, data.byteOffset, count) : new Int32Array(data.buffer, data.byteOffset, count);
      this.pushInterleaved(v, scale, frames, 0);
      return;
    }
    // A period at an odd byte offset (rare): through a float buffer kept for the next call.
    if (this.convert.length < count) this.convert = new Float32Array(count);
    const out = this.convert;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (width === 2) for (let i = 0; i < count; i++) out[i] = view.getInt16(2 * i, true) * scale;
    else for (let i = 0; i < count; i++) out[i] = view.getInt32(4 * i, true) * scale;
    this.push(out, frames);
  }

  /** `frames` interleaved frames of `samples` from index `offset`, each sample times `scale`. */
  private pushInterleaved(samples: Float32Array | Int16Array | Int32Array, scale: number, frames: number, offset: number): void {
    while (frames > 0) {
      const n = Math.min(frames, this.stepFrames - this.framesInStep);
      if (this.channels === 2) this.stereoPiece(samples, scale, offset, n);
      else for (let c = 0; c < this.channels; c++) this.channelPiece(samples, scale, offset + c, n, c);
      offset += n * this.channels;
      frames -= n;
      this.framesInStep += n;
      if (this.framesInStep === this.stepFrames) this.endStep();
    }
  }

  /** One channel's share of a piece that stays inside the current step. */
  private channelPiece(samples: Float32Array | Int16Array | Int32Array, scale: number, first: number, frames: number, c: number): void {
    const ch = this.channels;
    const line = this.lines[c]!;
    const H = TRUE_PEAK_HISTORY;
    const st = this.filterState;
    const k = 4 * c;
    let s1 = st[k]!, s2 = st[k + 1]!, t1 = st[k + 2]!, t2 = st[k + 3]!;
    const b0 = this.sb0, b1 = this.sb1, b2 = this.sb2, a1 = this.sa1, a2 = this.sa2, h1 = this.ha1, h2 = this.ha2;
    let peak = 0;
    let sum = 0;
    // One pass per sample: into the true-peak line, the sample peak, and the two K-weighting stages.
    for (let i = 0, j = first; i < frames; i++, j += ch) {
      const x = samples[j]! * scale;
      line[H + i] = x;
      const a = x < 0 ? -x : x;
      if (a > peak) peak = a;
      const y1 = b0 * x + s1;
      s1 = b1 * x - a1 * y1 + s2;
      s2 = b2 * x - a2 * y1;
      const y2 = y1 + t1;
      t1 = -2 * y1 - h1 * y2 + t2;
      t2 = y1 - h2 * y2;
      sum += y2 * y2;
    }
    if (peak > this.samplePeaks[c]!) this.samplePeaks[c] = peak;
    // The waveform passes through its samples: the oversampled peak can never be below them.
    if (peak > this.truePeaks[c]!) this.truePeaks[c] = peak;
    // After a signal stops, the filter state decays towards the subnormal range, where every
    // multiplication takes about a hundred times as long on x86 and ARM without flush-to-zero:
    // a silent input would then cost more than a loud one. Below 1e-20 (-400 dBFS) it is zero.
    st[k] = flushTiny(s1);
    st[k + 1] = flushTiny(s2);
    st[k + 2] = flushTiny(t1);
    st[k + 3] = flushTiny(t2);
    this.sumSquares[c]! += sum;
    this.endPiece(c, frames);
  }

  /**
   * channelPiece for both channels of a stereo stream in one loop, with the same arithmetic per
   * channel: the two channels' filters are independent chains of multiply-adds, and interleaved
   * the CPU works on one while the other waits for its last result.
   */
  private stereoPiece(samples: Float32Array | Int16Array | Int32Array, scale: number, first: number, frames: number): void {
    const H = TRUE_PEAK_HISTORY;
    const left = this.lines[0]!, right = this.lines[1]!;
    const st = this.filterState;
    let s1 = st[0]!, s2 = st[1]!, t1 = st[2]!, t2 = st[3]!;
    let u1 = st[4]!, u2 = st[5]!, v1 = st[6]!, v2 = st[7]!;
    const b0 = this.sb0, b1 = this.sb1, b2 = this.sb2, a1 = this.sa1, a2 = this.sa2, h1 = this.ha1, h2 = this.ha2;
    let peakL = 0, peakR = 0, sumL = 0, sumR = 0;
    for (let i = 0, j = first; i < frames; i++, j += 2) {
      const x = samples[j]! * scale;
      const w = samples[j + 1]! * scale;
      left[H + i] = x;
      right[H + i] = w;
      const ax = x < 0 ? -x : x;
      const aw = w < 0 ? -w : w;
      if (ax > peakL) peakL = ax;
      if (aw > peakR) peakR = aw;
      const y1 = b0 * x + s1;
      const z1 = b0 * w + u1;
      s1 = b1 * x - a1 * y1 + s2;
      u1 = b1 * w - a1 * z1 + u2;
      s2 = b2 * x - a2 * y1;
      u2 = b2 * w - a2 * z1;
      const y2 = y1 + t1;
      const z2 = z1 + v1;
      t1 = -2 * y1 - h1 * y2 + t2;
      v1 = -2 * z1 - h1 * z2 + v2;
      t2 = y1 - h2 * y2;
      v2 = z1 - h2 * z2;
      sumL += y2 * y2;
      sumR += z2 * z2;
    }
    st[0] = flushTiny(s1);
    st[1] = flushTiny(s2);
    st[2] = flushTiny(t1);
    st[3] = flushTiny(t2);
    st[4] = flushTiny(u1);
    st[5] = flushTiny(u2);
    st[6] = flushTiny(v1);
    st[7] = flushTiny(v2);
    this.sumSquares[0]! += sumL;
    this.sumSquares[1]! += sumR;
    if (peakL > this.samplePeaks[0]!) this.samplePeaks[0] = peakL;
    if (peakR > this.samplePeaks[1]!) this.samplePeaks[1] = peakR;
    if (peakL > this.truePeaks[0]!) this.truePeaks[0] = peakL;
    if (peakR > this.truePeaks[1]!) this.truePeaks[1] = peakR;
    this.endPiece(0, frames);
    this.endPiece(1, frames);
  }

  /** The channel's true peak over the piece now in its line, then the line's history moves up. */
  private endPiece(c: number, frames: number): void {
    const line = this.lines[c]!;
    this.truePeaks[c] = truePeakOf(line, frames, this.factor, this.truePeaks[c]);
    line.copyWithin(0, frames, frames + TRUE_PEAK_HISTORY);
  }

  private endStep(): void {
    let energy = 0;
    for (let c = 0; c < this.channels; c++) energy += this.weights[c]! * this.sumSquares[c]!;
    energy /= this.stepFrames;
    this.sumSquares.fill(0);
    this.framesInStep = 0;
    const ring = this.ring;
    ring[this.ringPos] = energy;
    this.ringPos = (this.ringPos + 1) % SHORT_TERM_STEPS;
    this.steps++;
    // Summed afresh every step (340 additions per 10 ms): no running sum to drift.
    let m = 0;
    let s = 0;
    for (let i = 1, pos = this.ringPos - 1; i <= SHORT_TERM_STEPS; i++, pos--) {
      if (pos < 0) pos += SHORT_TERM_STEPS;
      const e = ring[pos]!;
      if (i <= MOMENTARY_STEPS) m += e;
      s += e;
    }
    this.momentaryEnergy = m / MOMENTARY_STEPS;
    this.shortTermEnergy = s / SHORT_TERM_STEPS;
    if (this.momentaryEnergy > this.maxMomentaryEnergy) this.maxMomentaryEnergy = this.momentaryEnergy;
    if (this.shortTermEnergy > this.maxShortTermEnergy) this.maxShortTermEnergy = this.shortTermEnergy;
    if (this.steps % STEPS_PER_GATING_BLOCK === 0) {
      if (this.steps >= MOMENTARY_STEPS) this.blocks.add(this.momentaryEnergy);
      if (this.steps >= SHORT_TERM_STEPS) this.shortTerms.add(this.shortTermEnergy);
    }
  }

  /** Momentary loudness (400 ms) at the last 10 ms step, LUFS (-Infinity for silence). */
  get momentaryLufs(): number {
    return energyToLufs(this.momentaryEnergy);
  }

  /** Short-term loudness (3 s) at the last 10 ms step, LUFS. */
  get shortTermLufs(): number {
    return energyToLufs(this.shortTermEnergy);
  }

  get maxMomentaryLufs(): number {
    return energyToLufs(this.maxMomentaryEnergy);
  }

  get maxShortTermLufs(): number {
    return energyToLufs(this.maxShortTermEnergy);
  }

  /** Integrated (gated) loudness, LUFS; -Infinity while no 400 ms block has passed the gates. */
  get integratedLufs(): number {
    return this.blocks.gatedMean(INTEGRATED_RELATIVE_GATE_LU);
  }

  /** Loudness range (EBU Tech 3342), LU; 0 until a 3 s window has passed the gates. */
  get loudnessRangeLu(): number {
    return this.shortTerms.range(RANGE_RELATIVE_GATE_LU);
  }

  /** Highest true peak of any channel, dBTP. */
  get truePeakDbtp(): number {
    return toDb(Math.max(...this.truePeaks));
  }

  /** Highest sample magnitude of any channel, dBFS. */
  get samplePeakDbfs(): number {
    return toDb(Math.max(...this.samplePeaks));
  }

  /** Seconds metered since construction or reset (whole 10 ms steps). */
  get seconds(): number {
    return this.steps / STEPS_PER_SECOND;
  }
}

/** Filter state within TINY of zero is zero (see channelPiece). */
function flushTiny(x: number): number {
  return x < TINY && x > -TINY ? 0 : x;
}

function toDb(amplitude: number): number {
  return amplitude > 0 ? 20 * Math.log10(amplitude) : -Infinity;
}
