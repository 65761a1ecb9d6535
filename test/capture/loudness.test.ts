import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LoudnessMeter } from '../../firmware/capture/loudness/loudness-meter.js';
import { highpassStage, shelfStage } from '../../firmware/capture/loudness/k-weighting.js';
import { phaseOutputs, TRUE_PEAK_HISTORY, truePeakOf } from '../../firmware/capture/loudness/true-peak.js';
import { analyseFile } from '../../firmware/capture/loudness/analyse-file.js';
import { TECH_3341_LOUDNESS, TECH_3341_TRUE_PEAK_SINES, TECH_3342, toneSegments, toWav, truePeakBurst, truePeakSine, type Signal } from './ebu-signals.js';

/** Feeds a signal in chunks of `chunk` frames (a capture's 20 ms period by default). */
function measure(sig: Signal, chunk = Math.round(sig.rate / 50)): LoudnessMeter {
  const m = new LoudnessMeter({ rate: sig.rate, channels: sig.channels });
  const frames = sig.samples.length / sig.channels;
  for (let f = 0; f < frames; f += chunk) m.push(sig.samples, Math.min(chunk, frames - f), f);
  return m;
}

const near = (actual: number, expected: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual.toFixed(3)}, expected ${expected} ±${tolerance}`);
/** Tech 3341's true-peak tolerance: +0.2 / -0.4 dB. */
const truePeakWithin = (actual: number, expected: number, what: string) =>
  assert.ok(actual <= expected + 0.2 && actual >= expected - 0.4, `${what}: ${actual.toFixed(3)} dBTP, expected ${expected} +0.2/-0.4`);

describe('loudness: EBU Tech 3341 and 3342 test signals, synthesised from their definitions', { timeout: 120_000 }, () => {
  it('K-weighting at 48 kHz is the filter BS.1770 publishes', () => {
    const s = shelfStage(48000);
    const h = highpassStage(48000);
    const published = [
      [s.b0, 1.53512485958697], [s.b1, -2.69169618940638], [s.b2, 1.19839281085285], [s.a1, -1.69065929318241], [s.a2, 0.73248077421585],
      [h.b0, 1], [h.b1, -2], [h.b2, 1], [h.a1, -1.99004745483398], [h.a2, 0.99007225036621],
    ];
    for (const [ours, theirs] of published) near(ours!, theirs!, 1e-9, 'coefficient');
  });

  for (const c of TECH_3341_LOUDNESS) {
    it(`Tech 3341 case ${c.case}: integrated ${c.integrated} LUFS ±0.1`, () => {
      const m = measure(toneSegments(c.segments));
      near(m.integratedLufs, c.integrated, 0.1, 'integrated');
      if (c.momentaryShortTerm !== undefined) {
        near(m.momentaryLufs, c.momentaryShortTerm, 0.1, 'momentary');
        near(m.shortTermLufs, c.momentaryShortTerm, 0.1, 'short-term');
        near(m.maxMomentaryLufs, c.momentaryShortTerm, 0.1, 'max momentary');
        near(m.maxShortTermLufs, c.momentaryShortTerm, 0.1, 'max short-term');
      }
    });
  }

  /** Short-term and momentary as a live meter shows them: read after every 100 ms of signal. */
  const timeline = (sig: Signal) => {
    const m = new LoudnessMeter({ rate: sig.rate, channels: sig.channels });
    const step = sig.rate / 10;
    const points: { t: number; momentary: number; shortTerm: number }[] = [];
    for (let f = 0; f + step <= sig.samples.length / 2; f += step) {
      m.push(sig.samples, step, f);
      points.push({ t: (f + step) / sig.rate, momentary: m.momentaryLufs, shortTerm: m.shortTermLufs });
    }
    return points;
  };
  const SILENT = -Infinity;

  it('Tech 3341 case 9: -20 dBFS 1.34 s and -30 dBFS 1.66 s, five times: short-term -23.0 ±0.1 from 3 s on', () => {
    const sig = toneSegments(Array.from({ length: 5 }, () => [[1.34, -20], [1.66, -30]] as [number, number][]).flat());
    const after3 = timeline(sig).filter((p) => p.t >= 3 - 1e-9);
    assert.ok(after3.length > 100);
    for (const p of after3) near(p.shortTerm, -23, 0.1, `S at ${p.t.toFixed(1)} s`);
  });

  it('Tech 3341 case 12: -20 dBFS 0.18 s and -30 dBFS 0.22 s, 25 times: momentary -23.0 ±0.1 from 1 s on', () => {
    const sig = toneSegments(Array.from({ length: 25 }, () => [[0.18, -20], [0.22, -30]] as [number, number][]).flat());
    const after1 = timeline(sig).filter((p) => p.t >= 1 - 1e-9);
    assert.ok(after1.length > 80);
    for (const p of after1) near(p.momentary, -23, 0.1, `M at ${p.t.toFixed(1)} s`);
  });

  it('Tech 3341 case 10 (file-based): a 3 s tone at -23 dBFS after i x 0.15 s of silence: max short-term -23.0 ±0.1 for each i', () => {
    for (let i = 0; i < 20; i++) near(measure(toneSegments([[i * 0.15, SILENT], [3, -23], [1, SILENT]])).maxShortTermLufs, -23, 0.1, `segment ${i}`);
  });

  it('Tech 3341 case 13 (file-based): a 400 ms tone at -23 dBFS after i x 20 ms of silence: max momentary -23.0 ±0.1 for each i', () => {
    for (let i = 0; i < 20; i++) near(measure(toneSegments([[i * 0.02, SILENT], [0.4, -23], [1, SILENT]])).maxMomentaryLufs, -23, 0.1, `segment ${i}`);
  });

  it('Tech 3341 case 6: 5.0 channels, the surrounds weighted 1.41, integrated -23 LUFS ±0.1', () => {
    const rate = 48000;
    const levels = [-28, -28, -24, -30, -30]; // L R C Ls Rs
    const frames = 20 * rate;
    const samples = new Float32Array(frames * 5);
    for (let f = 0; f < frames; f++) for (let c = 0; c < 5; c++) samples[5 * f + c] = 10 ** (levels[c]! / 20) * Math.sin((2 * Math.PI * 1000 * f) / rate);
    near(measure({ rate, channels: 5, samples }).integratedLufs, -23, 0.1, 'integrated');
  });

  for (const rate of [44100, 32000, 96000]) {
    it(`case 1 at ${rate} Hz (coefficients derived for the rate): -23 LUFS ±0.1`, () => {
      const m = measure(toneSegments([[20, -23]], rate));
      near(m.integratedLufs, -23, 0.1, 'integrated');
      near(m.shortTermLufs, -23, 0.1, 'short-term');
    });
  }

  for (const c of TECH_3342) {
    it(`Tech 3342 case ${c.case}: tones at ${c.levels.join(', ')} dBFS, LRA ${c.lra} LU ±1`, () => {
      near(measure(toneSegments(c.levels.map((l) => [20, l]))).loudnessRangeLu, c.lra, 1, 'LRA');
    });
  }

  it("the true-peak filter's mirrored-pair shortcut gives what the Annex 2 table gives, phase by phase", () => {
    let seed = 3;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff - 0.5) * 2;
    for (let trial = 0; trial < 200; trial++) {
      const frames = 1 + (trial % 40);
      const line = Float64Array.from({ length: TRUE_PEAK_HISTORY + frames }, rnd);
      let direct = 0;
      for (let n = TRUE_PEAK_HISTORY; n < line.length; n++) for (const y of phaseOutputs(line, n)) direct = Math.max(direct, Math.abs(y));
      near(truePeakOf(line, frames, 4), direct, 1e-12, `4x, trial ${trial}`);
      let twoX = 0;
      for (let n = TRUE_PEAK_HISTORY; n < line.length; n++) {
        const y = phaseOutputs(line, n);
        twoX = Math.max(twoX, Math.abs(y[0]!), Math.abs(y[2]!));
      }
      near(truePeakOf(line, frames, 2), twoX, 1e-12, `2x, trial ${trial}`);
    }
  });

  it('the true peak skips only outputs that cannot raise it: smooth, bright, noisy and stepped signals streamed in periods', () => {
    const rate = 48000;
    const period = 480;
    let seed = 11;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff - 0.5) * 2;
    const tone = (hz: number, amp: number, noise = 0, phase = 0) => (n: number) => amp * Math.sin((2 * Math.PI * hz * n) / rate + phase) + noise * rnd();
    const signals: [string, (n: number) => number][] = [
      ['1 kHz at -20 dBFS, 16-bit', (n) => Math.round(3276.8 * Math.sin((2 * Math.PI * 1000 * n) / rate)) / 32768],
      ['50 Hz', tone(50, 0.5)],
      ['997 Hz, phase 1', tone(997, 0.9, 0, 1)],
      ['5 kHz', tone(5000, 0.7)],
      ['fs/4 at 45 degrees', tone(12000, 0.5, 0, Math.PI / 4)],
      ['19 kHz', tone(19000, 0.3)],
      ['440 Hz with noise', tone(440, 0.25, 0.01)],
      ['two tones', (n) => tone(440, 0.3)(n) + tone(3000, 0.1)(n)],
      ['loud, quiet, then louder', (n) => (n < 9600 ? tone(1000, 0.5)(n) : n < 19200 ? tone(1000, 0.05)(n) : tone(1000, 0.6)(n))],
      ['chirp 20 Hz to 20 kHz', (n) => 0.5 * Math.sin(2 * Math.PI * (20 * n + (19980 * n * n) / (2 * 28800)) / rate)],
    ];
    for (const [name, sig] of signals) {
      const line = new Float64Array(TRUE_PEAK_HISTORY + period);
      let ours4 = 0, ours2 = 0, direct4 = 0, direct2 = 0;
      for (let start = 0; start < 28800; start += period) {
        for (let i = 0; i < period; i++) line[TRUE_PEAK_HISTORY + i] = sig(start + i);
        for (let n = TRUE_PEAK_HISTORY; n < line.length; n++) {
          const y = phaseOutputs(line, n).map(Math.abs);
          direct4 = Math.max(direct4, ...y);
          direct2 = Math.max(direct2, y[0]!, y[2]!);
        }
        ours4 = truePeakOf(line, period, 4, ours4);
        ours2 = truePeakOf(line, period, 2, ours2);
        near(ours4, direct4, 1e-12, `${name}, 4x, to frame ${start + period}`);
        near(ours2, direct2, 1e-12, `${name}, 2x, to frame ${start + period}`);
        line.copyWithin(0, period, period + TRUE_PEAK_HISTORY);
      }
    }
  });

  for (const c of TECH_3341_TRUE_PEAK_SINES) {
    it(`Tech 3341 case ${c.case}: fs/${c.divisor} at ${c.amplitude} FFS, phase ${c.phase} degrees: ${c.dbtp} dBTP +0.2/-0.4`, () => {
      truePeakWithin(measure(truePeakSine(c.divisor, c.amplitude, c.phase)).truePeakDbtp, c.dbtp, `case ${c.case}`);
    });
  }

  for (const offset of [0, 1, 2, 3]) {
    it(`Tech 3341 case ${20 + offset}: one fs/4 period in an fs/6 sine, taken down from 4 fs at offset ${offset}: 0 dBTP +0.2/-0.4`, () => {
      const sig = truePeakBurst(offset);
      const m = measure(sig);
      truePeakWithin(m.truePeakDbtp, 0, `case ${20 + offset}`);
      if (offset === 2) assert.ok(m.samplePeakDbfs < -2, `the samples alone miss the peak (${m.samplePeakDbfs.toFixed(2)} dBFS): the oversampling finds it`);
    });
  }

  it("stereo's two-channel loop gives exactly what the one-channel-at-a-time loop gives", () => {
    const stereo = toneSegments([[3, -30], [4, -12], [2, -50]], 48000, 997);
    let seed = 5;
    for (let i = 1; i < stereo.samples.length; i += 2) stereo.samples[i] = 0.2 * Math.sin(i / 37) + ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff - 0.5) * 0.01;
    const frames = stereo.samples.length / 2;
    // Three channels weigh 1, 1, 1 (L R C): a silent third channel adds nothing, and the meter takes the general loop.
    const three = new Float32Array(frames * 3);
    for (let f = 0; f < frames; f++) {
      three[3 * f] = stereo.samples[2 * f]!;
      three[3 * f + 1] = stereo.samples[2 * f + 1]!;
    }
    const a = measure(stereo);
    const b = measure({ ...stereo, channels: 3, samples: three });
    for (const k of ['integratedLufs', 'loudnessRangeLu', 'truePeakDbtp', 'maxMomentaryLufs', 'maxShortTermLufs', 'samplePeakDbfs', 'momentaryLufs', 'shortTermLufs'] as const) assert.equal(a[k], b[k], k);
  });

  it('gives the same figures however the stream is cut into chunks', () => {
    const sig = toneSegments([[5, -30], [5, -18], [3, -40]], 44100, 997);
    const whole = measure(sig, sig.samples.length / 2);
    for (const chunk of [1, 7, 441, 1000, 4410, 4411]) {
      const m = measure(sig, chunk);
      for (const k of ['integratedLufs', 'loudnessRangeLu', 'truePeakDbtp', 'maxMomentaryLufs', 'maxShortTermLufs', 'samplePeakDbfs'] as const) near(m[k], whole[k], 1e-9, `${k} with chunks of ${chunk}`);
    }
  });

  it('integer PCM as a capture delivers it (S16, S32, aligned or not) measures as the float samples do', () => {
    const sig = toneSegments([[4, -23]]);
    const reference = measure(sig);
    for (const [format, bytes, fs] of [['S16_LE', 2, 32768], ['S32_LE', 4, 2 ** 31]] as const) {
      for (const misalign of [0, 1]) {
        const raw = Buffer.alloc(misalign + sig.samples.length * bytes);
        for (let i = 0; i < sig.samples.length; i++) {
          const v = Math.round(sig.samples[i]! * fs);
          if (bytes === 2) raw.writeInt16LE(v, misalign + 2 * i);
          else raw.writeInt32LE(Math.min(fs - 1, v), misalign + 4 * i);
        }
        const m = new LoudnessMeter({ rate: 48000, channels: 2 });
        const period = 960 * 2 * bytes;
        for (let o = misalign; o < raw.length; o += period) m.pushPcm(raw.subarray(o, o + period), 960, format);
        near(m.integratedLufs, reference.integratedLufs, 0.001, `${format} misaligned by ${misalign}: integrated`);
        near(m.truePeakDbtp, reference.truePeakDbtp, 0.001, `${format} misaligned by ${misalign}: true peak`);
      }
    }
  });

  it('reset() starts the measurement again: integrated, range and peaks forget what came before', () => {
    const m = measure(toneSegments([[10, -10]]));
    m.reset();
    const quiet = toneSegments([[10, -30]]);
    m.push(quiet.samples);
    near(m.integratedLufs, -30, 0.1, 'integrated after reset');
    near(m.truePeakDbtp, -30, 0.1, 'true peak after reset');
    near(m.maxShortTermLufs, -30, 0.1, 'max short-term after reset');
    assert.equal(m.loudnessRangeLu < 0.5, true);
  });

  it('digital silence: no integrated loudness (nothing passes the -70 LUFS gate), no range, no peak', () => {
    const m = new LoudnessMeter({ rate: 48000, channels: 2 });
    m.push(new Float32Array(48000 * 2 * 5));
    assert.equal(m.integratedLufs, -Infinity);
    assert.equal(m.loudnessRangeLu, 0);
    assert.equal(m.truePeakDbtp, -Infinity);
    assert.equal(m.shortTermLufs, -Infinity);
  });
});

/** Programme-like material: three tones whose levels move, plus noise, different per channel. */
function programme(seconds: number, rate: number): Signal {
  const frames = seconds * rate;
  const samples = new Float32Array(frames * 2);
  let seed = 7;
  const noise = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff - 0.5) * 0.05;
  for (let f = 0; f < frames; f++) {
    const t = f / rate;
    const env = 10 ** ((-12 * (0.5 + 0.5 * Math.sin(2 * Math.PI * 0.05 * t))) / 20);
    samples[2 * f] = env * (0.3 * Math.sin(2 * Math.PI * 220 * t) + 0.1 * Math.sin(2 * Math.PI * 3150 * t)) + noise();
    samples[2 * f + 1] = env * (0.25 * Math.sin(2 * Math.PI * 60 * t) + 0.15 * Math.sin(2 * Math.PI * 9000 * t)) + noise();
  }
  return { rate, channels: 2, samples };
}

interface FfmpegFigures {
  integrated: number;
  lra: number;
  truePeak: number;
  maxMomentary: number;
  maxShortTerm: number;
}

/** Debian's ffmpeg, `-af ebur128=peak=true` with its per-100 ms log for the maxima. */
function ffmpegEbur128(file: string): FfmpegFigures {
  const r = spawnSync('ffmpeg', ['-nostdin', '-hide_banner', '-nostats', '-v', 'verbose', '-i', file, '-af', 'ebur128=peak=true:framelog=verbose', '-f', 'null', '-'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `ffmpeg failed: ${r.error?.message ?? r.stderr.slice(-500)}`);
  const summary = r.stderr.slice(r.stderr.lastIndexOf('Summary:'));
  const pick = (re: RegExp) => {
    const m = re.exec(summary);
    assert.ok(m, `ffmpeg summary lacks ${re}: ${summary}`);
    return Number(m[1]);
  };
  let maxM = -Infinity;
  let maxS = -Infinity;
  for (const m of r.stderr.matchAll(/ M:\s*(-?[\d.]+) S:\s*(-?[\d.]+)/g)) {
    maxM = Math.max(maxM, Number(m[1]));
    maxS = Math.max(maxS, Number(m[2]));
  }
  return { integrated: pick(/I:\s+(-?[\d.]+) LUFS/), lra: pick(/LRA:\s+(-?[\d.]+) LU/), truePeak: pick(/Peak:\s+(-?[\d.]+) dBFS/), maxMomentary: maxM, maxShortTerm: maxS };
}

describe('loudness: cross-checked against ffmpeg -af ebur128=peak=true on the same files', { timeout: 300_000 }, () => {
  const cases: { name: string; sig: Signal; encoding: 's16' | 's24' | 'f32' }[] = [
    { name: 'Tech 3341 case 3', sig: toneSegments([[10, -36], [60, -23], [10, -36]]), encoding: 's16' },
    { name: 'Tech 3341 case 5', sig: toneSegments([[20, -26], [20.1, -20], [20, -26]]), encoding: 's24' },
    { name: 'Tech 3342 case 4', sig: toneSegments([20, 20, 20, 20, 20].map((s, i) => [s, [-50, -35, -20, -35, -50][i]!])), encoding: 's16' },
    { name: 'Tech 3341 case 19 (true peak above full scale, float)', sig: truePeakSine(4, 1.41, 45, 48000, 5), encoding: 'f32' },
    { name: 'programme-like, 48 kHz', sig: programme(60, 48000), encoding: 's24' },
    { name: 'programme-like, 44.1 kHz', sig: programme(40, 44100), encoding: 's16' },
  ];
  for (const c of cases) {
    it(`${c.name}: integrated, range, true peak and maxima agree with ffmpeg`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'roombox-loudness-'));
      try {
        const file = join(dir, 'signal.wav');
        writeFileSync(file, toWav(c.sig, c.encoding));
        const ours = await analyseFile(file);
        const theirs = ffmpegEbur128(file);
        // ffmpeg prints one decimal: its rounding adds 0.05 to each tolerance.
        near(ours.integratedLufs, theirs.integrated, 0.15, 'integrated vs ffmpeg');
        near(ours.loudnessRangeLu, theirs.lra, 0.25, 'LRA vs ffmpeg');
        near(ours.truePeakDbtp, theirs.truePeak, 0.25, 'true peak vs ffmpeg');
        near(ours.maxMomentaryLufs, theirs.maxMomentary, 0.15, 'max momentary vs ffmpeg');
        near(ours.maxShortTermLufs, theirs.maxShortTerm, 0.15, 'max short-term vs ffmpeg');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
