// Meter throughput: how many times faster than real time the meter processes 48 kHz stereo S16,
// against `sox -n stats` on the same file in the same run. Both read the samples once; ours is fed
// in 20 ms periods as a capture delivers them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Meter } from '../firmware/capture/meter.js';
import { emitRow, median, printTable, round, type BenchRow } from './stats.js';

const RATE = 48000;
const CHANNELS = 2;
const SECONDS = Number(process.env.BENCH_METER_SECONDS ?? 120);
const RUNS = Number(process.env.BENCH_METER_RUNS ?? 5);

/** Programme-like test audio: two tones and noise, different per channel. */
function makeAudio(seconds: number): Buffer {
  const frames = seconds * RATE;
  const buf = Buffer.alloc(frames * CHANNELS * 2);
  let seed = 12345;
  const noise = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff - 0.5) * 2000;
  for (let f = 0; f < frames; f++) {
    const t = f / RATE;
    buf.writeInt16LE(Math.round(8000 * Math.sin(2 * Math.PI * 440 * t) + noise()), f * 4);
    buf.writeInt16LE(Math.round(6000 * Math.sin(2 * Math.PI * 997 * t) + noise()), f * 4 + 2);
  }
  return buf;
}

function timeOurs(data: Buffer): number {
  let windows = 0;
  const meter = new Meter({ channels: CHANNELS, format: 'S16_LE', windowFrames: RATE / 10, onWindow: () => windows++ });
  const period = (RATE / 50) * CHANNELS * 2;
  const t0 = performance.now();
  for (let o = 0; o < data.length; o += period) meter.push(data.subarray(o, o + period));
  const ms = performance.now() - t0;
  if (windows !== SECONDS * 10) throw new Error(`expected ${SECONDS * 10} windows, got ${windows}`);
  return ms;
}

function timeSox(file: string): number {
  const t0 = performance.now();
  const r = spawnSync('sox', ['-t', 'raw', '-r', String(RATE), '-e', 'signed', '-b', '16', '-c', String(CHANNELS), '-L', file, '-n', 'stats'], { encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0 || !/Pk lev dB/.test(r.stderr)) throw new Error(`sox failed: ${r.error?.message ?? r.stderr}`);
  return ms;
}

const dir = mkdtempSync(join(tmpdir(), 'roombox-bench-meter-'));
try {
  const file = join(dir, 'audio.raw');
  writeFileSync(file, makeAudio(SECONDS));
  const data = readFileSync(file);
  timeOurs(data); // warm-up (JIT)
  const ours = median(Array.from({ length: RUNS }, () => timeOurs(data)));
  const sox = median(Array.from({ length: RUNS }, () => timeSox(file)));
  const oursX = (SECONDS * 1000) / ours;
  const soxX = (SECONDS * 1000) / sox;
  const row: BenchRow = {
    name: `meter, ${SECONDS} s of 48 kHz stereo S16 (x real time)`,
    ours: `${round(oursX, 0)}x (${round(ours, 1)} ms)`,
    reference: `sox -n stats: ${round(soxX, 0)}x (${round(sox, 1)} ms)`,
    ratio: oursX / soxX,
    target: '>= 1 (as fast as sox)',
    met: oursX >= soxX,
  };
  printTable([row]);
  console.log(`ratio (meter speed / sox stats speed): ${row.ratio.toFixed(2)}`);
  console.log(`share of one core at 48 kHz stereo: ${round(100 / oursX, 3)} %`);
  emitRow(row);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
