/**
 * The EBU loudness test signals, synthesised from their published definitions (EBU Tech 3341
 * table 1, cases 1-6, 9, 10, 12, 13 and 15-23; EBU Tech 3342 table 1, cases 1-4) rather than read
 * from the EBU's files. Interleaved float samples, full scale 1.0.
 */
export interface Signal {
  rate: number;
  channels: number;
  samples: Float32Array;
}

/** Stereo 1 kHz sine segments, [seconds, dBFS peak per channel (-Infinity: silence)], phase continuous across segments. */
export function toneSegments(segments: [number, number][], rate = 48000, hz = 1000): Signal {
  const frames = segments.reduce((n, [s]) => n + Math.round(s * rate), 0);
  const samples = new Float32Array(frames * 2);
  let f = 0;
  for (const [seconds, dbfs] of segments) {
    const a = 10 ** (dbfs / 20);
    for (let end = f + Math.round(seconds * rate); f < end; f++) samples[2 * f] = samples[2 * f + 1] = a * Math.sin((2 * Math.PI * hz * f) / rate);
  }
  return { rate, channels: 2, samples };
}

/** Tech 3341 cases 1-5 with their expected integrated (and, for 1-2, momentary and short-term) loudness. */
export const TECH_3341_LOUDNESS: { case: number; segments: [number, number][]; integrated: number; momentaryShortTerm?: number }[] = [
  { case: 1, segments: [[20, -23]], integrated: -23, momentaryShortTerm: -23 },
  { case: 2, segments: [[20, -33]], integrated: -33, momentaryShortTerm: -33 },
  { case: 3, segments: [[10, -36], [60, -23], [10, -36]], integrated: -23 },
  { case: 4, segments: [[10, -72], [10, -36], [60, -23], [10, -36], [10, -72]], integrated: -23 },
  { case: 5, segments: [[20, -26], [20.1, -20], [20, -26]], integrated: -23 },
];

/** Tech 3342 cases 1-4: 20 s tones at these levels, and the loudness range they give. */
export const TECH_3342: { case: number; levels: number[]; lra: number }[] = [
  { case: 1, levels: [-20, -30], lra: 10 },
  { case: 2, levels: [-20, -15], lra: 5 },
  { case: 3, levels: [-40, -20], lra: 20 },
  { case: 4, levels: [-50, -35, -20, -35, -50], lra: 15 },
];

/** A linear fade over `ms` at both ends, as the true-peak cases ask. */
function taper(samples: Float32Array, channels: number, rate: number, ms: number): void {
  const frames = samples.length / channels;
  const n = Math.round((rate * ms) / 1000);
  for (let i = 0; i < n; i++) {
    const g = i / n;
    for (let c = 0; c < channels; c++) {
      samples[i * channels + c]! *= g;
      samples[(frames - 1 - i) * channels + c]! *= g;
    }
  }
}

/** Tech 3341 cases 15-19: a stereo sine at fs/divisor, amplitude (full scale 1.0), phase in degrees; 10 ms tapers. */
export function truePeakSine(divisor: number, amplitude: number, phaseDeg: number, rate = 48000, seconds = 1): Signal {
  const frames = Math.round(rate * seconds);
  const samples = new Float32Array(frames * 2);
  const phase = (phaseDeg * Math.PI) / 180;
  for (let f = 0; f < frames; f++) samples[2 * f] = samples[2 * f + 1] = amplitude * Math.sin((2 * Math.PI * f) / divisor + phase);
  taper(samples, 2, rate, 10);
  return { rate, channels: 2, samples };
}

export const TECH_3341_TRUE_PEAK_SINES: { case: number; divisor: number; amplitude: number; phase: number; dbtp: number }[] = [
  { case: 15, divisor: 4, amplitude: 0.5, phase: 0, dbtp: -6 },
  { case: 16, divisor: 4, amplitude: 0.5, phase: 45, dbtp: -6 },
  { case: 17, divisor: 6, amplitude: 0.5, phase: 60, dbtp: -6 },
  { case: 18, divisor: 8, amplitude: 0.5, phase: 67.5, dbtp: -6 },
  { case: 19, divisor: 4, amplitude: 1.41, phase: 45, dbtp: 3 },
];

/**
 * Tech 3341 cases 20-23: at 4 fs, a sine of fs/6 at 0.5 holding one period of fs/4 at 1.0 (both
 * starting at an upward zero crossing, so the phase is continuous on both sides), low-pass
 * filtered below fs/2 and taken down to fs at `offset` (0-3) samples of 4 fs.
 */
export function truePeakBurst(offset: number, rate = 48000, seconds = 1): Signal {
  const up = 4;
  const n = Math.round(rate * seconds) * up;
  const x = new Float64Array(n);
  const slow = 6 * up; // samples of 4 fs per period of fs/6
  const fast = 4 * up; // ... of fs/4
  const burstAt = Math.floor(n / 2 / slow) * slow;
  for (let i = 0; i < n; i++) {
    if (i >= burstAt && i < burstAt + fast) x[i] = Math.sin((2 * Math.PI * (i - burstAt)) / fast);
    else x[i] = 0.5 * Math.sin((2 * Math.PI * (i < burstAt ? i : i - fast)) / slow);
  }
  // Anti-aliasing: a Blackman-windowed sinc, cut-off 0.45 fs (of the 4 fs stream: 0.1125), 511 taps.
  const taps = 511;
  const half = (taps - 1) / 2;
  const cutoff = 0.45 / up;
  const h = new Float64Array(taps);
  let sum = 0;
  for (let k = 0; k < taps; k++) {
    const t = k - half;
    const sinc = t === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * t) / (Math.PI * t);
    const w = 0.42 - 0.5 * Math.cos((2 * Math.PI * k) / (taps - 1)) + 0.08 * Math.cos((4 * Math.PI * k) / (taps - 1));
    h[k] = sinc * w;
    sum += h[k]!;
  }
  for (let k = 0; k < taps; k++) h[k]! /= sum;
  const frames = Math.floor((n - offset) / up);
  const samples = new Float32Array(frames * 2);
  for (let f = 0; f < frames; f++) {
    const centre = f * up + offset;
    let y = 0;
    for (let k = 0; k < taps; k++) {
      const i = centre + k - half;
      if (i >= 0 && i < n) y += h[k]! * x[i]!;
    }
    samples[2 * f] = samples[2 * f + 1] = y;
  }
  taper(samples, 2, rate, 10);
  return { rate, channels: 2, samples };
}

/** Float samples as a WAV file: 16-bit or 24-bit integer PCM (rounded, clamped) or 32-bit float. */
export function toWav(sig: Signal, encoding: 's16' | 's24' | 'f32' = 's24'): Buffer {
  const bytes = encoding === 's16' ? 2 : encoding === 's24' ? 3 : 4;
  const count = sig.samples.length;
  const data = Buffer.alloc(count * bytes);
  for (let i = 0; i < count; i++) {
    const v = sig.samples[i]!;
    if (encoding === 'f32') data.writeFloatLE(v, 4 * i);
    else if (encoding === 's16') data.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(v * 32768))), 2 * i);
    else data.writeIntLE(Math.max(-8388608, Math.min(8388607, Math.round(v * 8388608))), 3 * i, 3);
  }
  const fmt = Buffer.alloc(24);
  fmt.write('fmt ', 0, 'latin1');
  fmt.writeUInt32LE(16, 4);
  fmt.writeUInt16LE(encoding === 'f32' ? 3 : 1, 8);
  fmt.writeUInt16LE(sig.channels, 10);
  fmt.writeUInt32LE(sig.rate, 12);
  fmt.writeUInt32LE(sig.rate * sig.channels * bytes, 16);
  fmt.writeUInt16LE(sig.channels * bytes, 20);
  fmt.writeUInt16LE(bytes * 8, 22);
  const riff = Buffer.alloc(12);
  riff.write('RIFF', 0, 'latin1');
  riff.writeUInt32LE(4 + fmt.length + 8 + data.length, 4);
  riff.write('WAVE', 8, 'latin1');
  const dataHead = Buffer.alloc(8);
  dataHead.write('data', 0, 'latin1');
  dataHead.writeUInt32LE(data.length, 4);
  return Buffer.concat([riff, fmt, dataHead, data]);
}
