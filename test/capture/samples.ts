import type { SampleFormat } from '../../firmware/capture/meter.js';
import { FULL_SCALE } from '../../firmware/capture/meter.js';

/** Interleaved little-endian PCM of a sine at `dbfs` (or at `ratio` of full scale) on every channel. */
export function sinePcm(opts: { dbfs?: number; ratio?: number; hz?: number; rate?: number; channels?: number; frames: number; format?: SampleFormat }): Buffer {
  const { dbfs = 0, ratio, hz = 1000, rate = 48000, channels = 2, frames, format = 'S16_LE' } = opts;
  const fs = FULL_SCALE[format];
  const amp = Math.min(fs - 1, fs * (ratio ?? 10 ** (dbfs / 20)));
  const width = format === 'S16_LE' ? 2 : 4;
  const buf = Buffer.alloc(frames * channels * width);
  for (let f = 0; f < frames; f++) {
    const v = Math.round(amp * Math.sin((2 * Math.PI * hz * f) / rate));
    for (let c = 0; c < channels; c++) {
      const o = (f * channels + c) * width;
      if (width === 2) buf.writeInt16LE(v, o);
      else buf.writeInt32LE(v, o);
    }
  }
  return buf;
}
