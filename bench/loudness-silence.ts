// `npx tsx bench/loudness-silence.ts` (row `loudness-silence` of `npm run bench`): CPU time of the
// live loudness meter on a stereo 48 kHz input that has gone silent after a tone (the case the
// silence alarm is for), against the same meter on the tone itself, alternating in one run. The
// filter state decaying into the subnormal range once made silence about 25 times as costly.
import { LoudnessMeter } from '../firmware/capture/loudness/loudness-meter.js';
import { emitRow, median, round } from './stats.js';

const RATE = 48000;
const SECONDS = Number(process.env.BENCH_SILENCE_S ?? 30);
const tone = new Float32Array(2 * RATE);
for (let i = 0; i < RATE; i++) tone[2 * i] = tone[2 * i + 1] = 0.5 * Math.sin((2 * Math.PI * 997 * i) / RATE);
const silence = new Float32Array(2 * RATE);

/** CPU milliseconds per second of audio, per second metered. */
function meter(afterTone: boolean): number[] {
  const m = new LoudnessMeter({ rate: RATE, channels: 2 });
  m.push(tone); // both start from a playing input
  const costs: number[] = [];
  for (let s = 0; s < SECONDS; s++) {
    const t = process.cpuUsage();
    m.push(afterTone ? silence : tone);
    const used = process.cpuUsage(t);
    costs.push((used.user + used.system) / 1000);
  }
  return costs;
}

meter(false); // warm-up: the JIT compiles the hot loop once for both
const silent: number[] = [];
const playing: number[] = [];
for (let round_ = 0; round_ < 3; round_++) {
  silent.push(...meter(true));
  playing.push(...meter(false));
}
const ours = median(silent);
const ref = median(playing);
emitRow({
  name: 'live loudness on an input gone silent (CPU per second of audio)',
  ours: `${round(ours, 2)} ms`,
  reference: `${round(ref, 2)} ms on the tone before it`,
  ratio: ours / ref,
  target: '<= 1.5x',
  met: ours / ref <= 1.5,
});
