// Loudness throughput: `roombox loudness`'s analysis (WAV read, decode, K-weighting, gating,
// range, 4x true peak) on a long stereo 48 kHz file, against Debian's ffmpeg measuring the same
// file with `-af ebur128=peak=true` in the same run. Both are timed end to end on the file; ours
// in this process (the CLI adds node's start-up, about 0.3 s, once per invocation).
// The ratio is of CPU time (user + system, ffmpeg's from bash's `time`, all its threads): on a
// machine shared with other work, wall time says more about the neighbours than about either
// program. Wall times are printed beside it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyseFile } from '../firmware/capture/loudness/analyse-file.js';
import { LoudnessMeter } from '../firmware/capture/loudness/loudness-meter.js';
import { Meter } from '../firmware/capture/meter.js';
import { emitRow, median, printTable, round, type BenchRow } from './stats.js';

const RATE = 48000;
const CHANNELS = 2;
const SECONDS = Number(process.env.BENCH_LOUDNESS_SECONDS ?? 600);
const RUNS = Number(process.env.BENCH_LOUDNESS_RUNS ?? 3);

/** Programme-like 16-bit stereo WAV: tones under a slow level envelope, and noise. */
function makeWav(seconds: number): Buffer {
  const frames = seconds * RATE;
  const buf = Buffer.alloc(44 + frames * CHANNELS * 2);
  buf.write('RIFF', 0, 'latin1');
  buf.writeUInt32LE(buf.length - 8, 4);
  buf.write('WAVEfmt ', 8, 'latin1');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(CHANNELS, 22);
  buf.writeUInt32LE(RATE, 24);
  buf.writeUInt32LE(RATE * CHANNELS * 2, 28);
  buf.writeUInt16LE(CHANNELS * 2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36, 'latin1');
  buf.writeUInt32LE(frames * CHANNELS * 2, 40);
  let seed = 12345;
  const noise = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff - 0.5) * 2000;
  for (let f = 0; f < frames; f++) {
    const t = f / RATE;
    const env = 0.3 + 0.7 * (0.5 + 0.5 * Math.sin(2 * Math.PI * 0.02 * t));
    buf.writeInt16LE(Math.round(env * (8000 * Math.sin(2 * Math.PI * 440 * t)) + noise()), 44 + f * 4);
    buf.writeInt16LE(Math.round(env * (6000 * Math.sin(2 * Math.PI * 997 * t)) + noise()), 44 + f * 4 + 2);
  }
  return buf;
}

interface Timing {
  /** CPU time, user + system, ms. */
  cpu: number;
  wall: number;
  integrated: number;
}

async function timeOurs(file: string): Promise<Timing> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = await analyseFile(file);
  const c = process.cpuUsage(c0);
  const wall = performance.now() - t0;
  if (Math.abs(r.seconds - SECONDS) > 0.01) throw new Error(`measured ${r.seconds} s of ${SECONDS}`);
  return { cpu: (c.user + c.system) / 1000, wall, integrated: r.integratedLufs };
}

function timeFfmpeg(file: string): Timing {
  const t0 = performance.now();
  const script = `TIMEFORMAT='CPU %U %S'; time ffmpeg -nostdin -hide_banner -nostats -i "$1" -af ebur128=peak=true -f null - 2>&1`;
  const r = spawnSync('bash', ['-c', script, 'bench', file], { encoding: 'utf8', maxBuffer: 16 << 20 });
  const wall = performance.now() - t0;
  const out = r.stdout + r.stderr;
  const m = /I:\s+(-?[\d.]+) LUFS/.exec(out.slice(out.lastIndexOf('Summary:')));
  const cpu = /CPU (\d+\.\d+) (\d+\.\d+)/.exec(r.stderr);
  if (r.status !== 0 || !m || !cpu) throw new Error(`ffmpeg failed: ${r.error?.message ?? out.slice(-300)}`);
  return { cpu: (Number(cpu[1]) + Number(cpu[2])) * 1000, wall, integrated: Number(m[1]) };
}

/** The live path: S16 periods of 20 ms as a capture delivers them, into the loudness meter or the peak/RMS meter. */
/** CPU ms for the whole buffer. */
function timeLive(pcm: Buffer, which: 'loudness' | 'meter'): number {
  const period = (RATE / 50) * CHANNELS * 2;
  const loudness = new LoudnessMeter({ rate: RATE, channels: CHANNELS });
  const meter = new Meter({ channels: CHANNELS, format: 'S16_LE', windowFrames: RATE / 10, onWindow: () => {} });
  const c0 = process.cpuUsage();
  for (let o = 0; o + period <= pcm.length; o += period) {
    const chunk = pcm.subarray(o, o + period);
    if (which === 'loudness') loudness.pushPcm(chunk, RATE / 50, 'S16_LE');
    else meter.push(chunk);
  }
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

const dir = mkdtempSync(join(tmpdir(), 'roombox-bench-loudness-'));
try {
  const file = join(dir, 'programme.wav');
  writeFileSync(file, makeWav(SECONDS));
  await timeOurs(file); // warm-up (JIT, page cache)
  timeFfmpeg(file);
  const ours: Timing[] = [];
  const theirs: Timing[] = [];
  for (let i = 0; i < RUNS; i++) {
    // Alternating, so both see the same machine load.
    ours.push(await timeOurs(file));
    theirs.push(timeFfmpeg(file));
  }
  const agree = { ours: ours[0]!.integrated, ffmpeg: theirs[0]!.integrated };
  if (Math.abs(agree.ours - agree.ffmpeg) > 0.15) throw new Error(`integrated loudness disagrees: ours ${agree.ours.toFixed(2)}, ffmpeg ${agree.ffmpeg}`);
  const cpu = (t: Timing[]) => median(t.map((x) => x.cpu));
  const wall = (t: Timing[]) => median(t.map((x) => x.wall));
  const oursX = (SECONDS * 1000) / cpu(ours);
  const ffX = (SECONDS * 1000) / cpu(theirs);
  const row: BenchRow = {
    name: `loudness, ${SECONDS} s 48 kHz stereo S16 WAV (x real time per CPU second)`,
    ours: `${round(oursX, 0)}x (CPU ${round(cpu(ours), 0)} ms, wall ${round(wall(ours), 0)} ms)`,
    reference: `ffmpeg ebur128=peak=true: ${round(ffX, 0)}x (CPU ${round(cpu(theirs), 0)} ms, wall ${round(wall(theirs), 0)} ms)`,
    ratio: oursX / ffX,
    target: '>= 1 (as fast as ffmpeg)',
    met: oursX >= ffX,
  };
  const pcm = readFileSync(file).subarray(44);
  timeLive(pcm, 'loudness');
  timeLive(pcm, 'meter');
  const live = median(Array.from({ length: RUNS }, () => timeLive(pcm, 'loudness')));
  const meterMs = median(Array.from({ length: RUNS }, () => timeLive(pcm, 'meter')));
  const liveRow: BenchRow = {
    name: 'live loudness of one stereo 48 kHz S16 input (% of a core)',
    ours: `${round((100 * live) / (SECONDS * 1000), 3)} % (${round((SECONDS * 1000) / live, 0)}x real time)`,
    reference: `peak/RMS meter: ${round((100 * meterMs) / (SECONDS * 1000), 3)} %`,
    ratio: live / meterMs,
    target: 'info',
    met: true,
  };
  printTable([row, liveRow]);
  console.log(`ratio (ours / ffmpeg, CPU time): ${row.ratio.toFixed(2)}; by wall time: ${(wall(theirs) / wall(ours)).toFixed(2)}; integrated: ours ${agree.ours.toFixed(2)} LUFS, ffmpeg ${agree.ffmpeg} LUFS`);
  emitRow(row);
  emitRow(liveRow);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
