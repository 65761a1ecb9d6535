// The recorder's encoder choice (docs/performance.md#recording): CPU of Debian's `flac` fed on
// stdin (as firmware/recording/flac-encoder.ts runs it) against libflacjs, libFLAC built to
// WebAssembly, in process. libflacjs is not a dependency: `npm install --no-save libflacjs@5.6.0`
// first to include it. BENCH_FLAC_S seconds (300) of stereo 48 kHz S16, 20 ms chunks, best of 3.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const S = Number(process.env.BENCH_FLAC_S ?? 300);
const RATE = 48000;
const CH = 2;
const CHUNK = RATE / 50;

const frames = S * RATE;
const pcm = new Int16Array(frames * CH);
let seed = 1;
const noise = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) - 0.5;
for (let f = 0; f < frames; f++) {
  const v = 3000 * Math.sin((2 * Math.PI * 440 * f) / RATE) + 300 * noise();
  pcm[2 * f] = v;
  pcm[2 * f + 1] = v * 0.8;
}
const bytes = Buffer.from(pcm.buffer);
const chunkBytes = CHUNK * CH * 2;

interface Result {
  ours: number;
  encoder: number;
  out: number;
}

async function cli(level: number): Promise<Result> {
  const c0 = process.cpuUsage();
  // bash's `times` reports the CPU of the finished flac child.
  const p = spawn('bash', ['-c', `stdbuf -o0 flac --silent --force-raw-format --endian=little --sign=signed --channels=${CH} --bps=16 --sample-rate=${RATE} -${level} --no-padding --no-seektable -o - - 2>/dev/null; times >&2`], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = 0;
  let err = '';
  p.stdout.on('data', (d: Buffer) => (out += d.length));
  p.stderr.on('data', (d: Buffer) => (err += d));
  for (let o = 0; o < bytes.length; o += chunkBytes) {
    if (!p.stdin.write(bytes.subarray(o, o + chunkBytes))) await new Promise((r) => p.stdin.once('drain', r));
  }
  p.stdin.end();
  await new Promise((r) => p.once('close', r));
  const c = process.cpuUsage(c0);
  const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s/.exec(err.trim().split('\n')[1] ?? '');
  if (!m) throw new Error(`no times from bash: ${err}`);
  const encoder = (Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000;
  return { ours: (c.user + c.system) / 1000, encoder, out };
}

type Flac = {
  isReady(): boolean;
  onready: (() => void) | undefined;
  create_libflac_encoder(rate: number, ch: number, bps: number, level: number, total: number, verify: boolean, block: number): number;
  init_encoder_stream(enc: number, write: (d: Uint8Array) => void): number;
  FLAC__stream_encoder_process_interleaved(enc: number, buf: Int32Array, frames: number): boolean;
  FLAC__stream_encoder_finish(enc: number): boolean;
  FLAC__stream_encoder_delete(enc: number): void;
};

function loadLibflacjs(): Flac | undefined {
  try {
    // Its emscripten loader fetches the .wasm with fetch() when there is one, which fails on a path.
    delete (globalThis as { fetch?: unknown }).fetch;
    return createRequire(import.meta.url)('libflacjs/dist/libflac.wasm.js') as Flac;
  } catch {
    return undefined;
  }
}

async function wasm(Flac: Flac, level: number): Promise<Result> {
  if (!Flac.isReady()) await new Promise<void>((r) => (Flac.onready = () => r()));
  const c0 = process.cpuUsage();
  const enc = Flac.create_libflac_encoder(RATE, CH, 16, level, 0, false, 0);
  let out = 0;
  Flac.init_encoder_stream(enc, (d) => (out += d.length));
  const i32 = new Int32Array(CHUNK * CH);
  for (let o = 0; o < pcm.length; o += CHUNK * CH) {
    const n = Math.min(CHUNK * CH, pcm.length - o);
    for (let i = 0; i < n; i++) i32[i] = pcm[o + i]!;
    Flac.FLAC__stream_encoder_process_interleaved(enc, i32, n / CH);
  }
  Flac.FLAC__stream_encoder_finish(enc);
  Flac.FLAC__stream_encoder_delete(enc);
  const c = process.cpuUsage(c0);
  return { ours: (c.user + c.system) / 1000, encoder: 0, out };
}

const flacjs = loadLibflacjs();
if (!flacjs) console.log('libflacjs not installed: only the flac CLI is measured (npm install --no-save libflacjs@5.6.0 to compare)');
for (const level of [0, 5]) {
  const candidates: [string, () => Promise<Result>][] = [[`flac CLI on stdin -${level}`, () => cli(level)]];
  if (flacjs) candidates.push([`libflacjs (wasm) -${level}`, () => wasm(flacjs, level)]);
  for (const [name, run] of candidates) {
    const runs: Result[] = [];
    for (let i = 0; i < 3; i++) runs.push(await run());
    runs.sort((a, b) => a.ours + a.encoder - (b.ours + b.encoder));
    const r = runs[0]!;
    const total = r.ours + r.encoder;
    console.log(`${name}: ${total.toFixed(0)} ms CPU for ${S} s (node ${r.ours.toFixed(0)} + encoder ${r.encoder.toFixed(0)}) = ${((100 * total) / (S * 1000)).toFixed(2)} % of a core, ${(r.out / S / 1024).toFixed(1)} KiB/s`);
  }
}
