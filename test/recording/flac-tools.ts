import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

/** Decodes a FLAC file with Debian's `flac` into interleaved S16 samples. */
export function decodeS16(file: string): Int16Array {
  const raw = execFileSync('flac', ['-d', '-s', '-c', '--force-raw-format', '--endian=little', '--sign=signed', file], { maxBuffer: 1 << 30 });
  return new Int16Array(raw.buffer, raw.byteOffset, raw.length / 2);
}

/** `flac -t`: the file decodes without an error (and its MD5, when set, matches). */
export function flacTest(file: string): { ok: boolean; output: string } {
  const r = spawnSync('flac', ['-t', '-s', file], { encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

export function tags(file: string): Record<string, string> {
  const out = execFileSync('metaflac', ['--export-tags-to=-', file], { encoding: 'utf8' });
  return Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

export function totalSamples(file: string): number {
  return Number(execFileSync('metaflac', ['--show-total-samples', file], { encoding: 'utf8' }).trim());
}

/** Every .flac under dir, relative, sorted (the names sort in time order). */
export function listFlac(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((p) => p.endsWith('.flac')).sort();
}

/** Peak of a stretch of one channel, dBFS (full scale 32768). */
export function peakDbfs(s: Int16Array, channels: number, from: number, to: number): number {
  let max = 0;
  for (let f = from; f < to; f++) max = Math.max(max, Math.abs(s[f * channels]!));
  return 20 * Math.log10(max / 32768);
}
