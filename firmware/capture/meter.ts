export type SampleFormat = 'S16_LE' | 'S32_LE';

/** Levels of one report window, per channel. */
export interface MeterWindow {
  /** Peak in dBFS, floored at FLOOR_DBFS. */
  peakDbfs: number[];
  /** RMS in dBFS, floored at FLOOR_DBFS. */
  rmsDbfs: number[];
  /** Samples at full scale (the most positive or most negative code). */
  clipped: number[];
  frames: number;
}

/** The floor for digital silence: JSON has no -Infinity. */
export const FLOOR_DBFS = -120;

/** Full scale: 2^15 for S16 and 2^31 for S32 (as GStreamer's level; sox and ffmpeg use 2^15-1). */
export const FULL_SCALE: Record<SampleFormat, number> = { S16_LE: 32768, S32_LE: 2 ** 31 };
export const BYTES_PER_SAMPLE: Record<SampleFormat, number> = { S16_LE: 2, S32_LE: 4 };

export interface MeterOptions {
  channels: number;
  format: SampleFormat;
  /** Frames per report window (rate / ROOMBOX_LEVELS_HZ). */
  windowFrames: number;
  onWindow: (w: MeterWindow) => void;
}

/**
 * Peak, RMS and full-scale count per channel over fixed windows of frames, fed with interleaved
 * little-endian PCM in chunks of any size. The per-sample loop allocates nothing: state lives in
 * typed arrays made once; only a finished window (a few per second) allocates its result.
 */
export class Meter {
  readonly channels: number;
  readonly format: SampleFormat;
  readonly windowFrames: number;
  private readonly onWindow: (w: MeterWindow) => void;
  private readonly peak: Float64Array;
  private readonly sumSq: Float64Array;
  private readonly clip: Float64Array;
  private framesInWindow = 0;
  private readonly hi: number;
  private readonly lo: number;
  private readonly fullScale: number;
  private readonly frameBytes: number;
  /** Holds a chunk whose byte offset does not suit a typed-array view; grown, never shrunk. */
  private scratch = new ArrayBuffer(0);

  constructor(opts: MeterOptions) {
    if (!Number.isInteger(opts.channels) || opts.channels < 1) throw new Error(`channels must be a positive integer, got ${opts.channels}`);
    if (!Number.isInteger(opts.windowFrames) || opts.windowFrames < 1) throw new Error(`windowFrames must be a positive integer, got ${opts.windowFrames}`);
    this.channels = opts.channels;
    this.format = opts.format;
    this.windowFrames = opts.windowFrames;
    this.onWindow = opts.onWindow;
    this.peak = new Float64Array(this.channels);
    this.sumSq = new Float64Array(this.channels);
    this.clip = new Float64Array(this.channels);
    this.fullScale = FULL_SCALE[opts.format];
    this.hi = this.fullScale - 1;
    this.lo = -this.fullScale;
    this.frameBytes = BYTES_PER_SAMPLE[opts.format] * this.channels;
  }

  /** Meters the first `frames` frames of `data` (all of it by default); a partial frame at the end is ignored. */
  push(data: Uint8Array, frames = Math.floor(data.byteLength / this.frameBytes)): void {
    frames = Math.min(frames, Math.floor(data.byteLength / this.frameBytes));
    if (frames <= 0) return;
    const samples = this.view(data, frames * this.channels);
    let offset = 0;
    while (frames > 0) {
      const n = Math.min(frames, this.windowFrames - this.framesInWindow);
      this.accumulate(samples, offset, n);
      offset += n * this.channels;
      frames -= n;
      this.framesInWindow += n;
      if (this.framesInWindow === this.windowFrames) this.flush();
    }
  }

  /** Drops the window in progress (after a gap in the stream: stale samples must not count). */
  reset(): void {
    this.peak.fill(0);
    this.sumSq.fill(0);
    this.clip.fill(0);
    this.framesInWindow = 0;
  }

  private view(data: Uint8Array, count: number): Int16Array | Int32Array {
    const width = BYTES_PER_SAMPLE[this.format];
    let buffer: ArrayBufferLike = data.buffer;
    let byteOffset = data.byteOffset;
    if (byteOffset % width !== 0) {
      if (this.scratch.byteLength < count * width) this.scratch = new ArrayBuffer(count * width);
      new Uint8Array(this.scratch, 0, count * width).set(data.subarray(0, count * width));
      buffer = this.scratch;
      byteOffset = 0;
    }
    return width === 2 ? new Int16Array(buffer, byteOffset, count) : new Int32Array(buffer, byteOffset, count);
  }

  private accumulate(s: Int16Array | Int32Array, offset: number, frames: number): void {
    const ch = this.channels;
    const hi = this.hi;
    const lo = this.lo;
    for (let c = 0; c < ch; c++) {
      let peak = this.peak[c]!;
      let sum = 0;
      let clip = 0;
      const end = offset + frames * ch;
      for (let i = offset + c; i < end; i += ch) {
        const v = s[i]!;
        const a = v < 0 ? -v : v;
        if (a > peak) peak = a;
        sum += v * v;
        if (v >= hi || v <= lo) clip++;
      }
      this.peak[c] = peak;
      this.sumSq[c]! += sum;
      this.clip[c]! += clip;
    }
  }

  private flush(): void {
    const n = this.framesInWindow;
    const w: MeterWindow = { peakDbfs: [], rmsDbfs: [], clipped: [], frames: n };
    for (let c = 0; c < this.channels; c++) {
      w.peakDbfs.push(toDbfs(this.peak[c]! / this.fullScale));
      w.rmsDbfs.push(toDbfs(Math.sqrt(this.sumSq[c]! / n) / this.fullScale));
      w.clipped.push(this.clip[c]!);
    }
    this.reset();
    this.onWindow(w);
  }
}

/** 20 log10(ratio), floored at FLOOR_DBFS. */
export function toDbfs(ratio: number): number {
  if (!(ratio > 0)) return FLOOR_DBFS;
  return Math.max(FLOOR_DBFS, 20 * Math.log10(ratio));
}
