import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where a segment goes: `<room>/<YYYY-MM-DD>/<HH-MM-SS>.flac`, UTC, the time being that of its
 * first sample. Should that name be taken (a restart within the same second), `-1`, `-2`...
 * follow the seconds.
 */
export function segmentPath(dir: string, room: string, startMs: number): string {
  const iso = new Date(Math.floor(startMs)).toISOString();
  const day = iso.slice(0, 10);
  const time = iso.slice(11, 19).replace(/:/g, '-');
  const base = join(room, day, time);
  if (!existsSync(join(dir, `${base}.flac`))) return `${base}.flac`;
  for (let n = 1; ; n++) if (!existsSync(join(dir, `${base}-${n}.flac`))) return `${base}-${n}.flac`;
}

/**
 * SReview's `parse_re` for this layout (its named groups: room, year, month, day, hour, minute,
 * second). Perl and JavaScript read it the same way; docs/capture.md shows it.
 */
export const SREVIEW_PARSE_RE = String.raw`.*\/(?<room>[^\/]+)\/(?<year>\d{4})-(?<month>\d{2})-(?<day>\d{2})\/(?<hour>\d{2})-(?<minute>\d{2})-(?<second>\d{2})(-\d+)?\.flac$`;

/** ISO 8601 UTC with microseconds: a segment's first sample, finer than one sample at 48 kHz. */
export function isoMicro(ms: number): string {
  const whole = Math.floor(ms);
  const micro = Math.min(999, Math.round((ms - whole) * 1000));
  return `${new Date(whole).toISOString().slice(0, 23)}${String(micro).padStart(3, '0')}Z`;
}

/** Samples since midnight UTC of the start's day (BWF's time reference). */
export function timeReference(ms: number, rate: number): number {
  const midnight = Math.floor(ms / 86_400_000) * 86_400_000;
  return Math.round(((ms - midnight) / 1000) * rate);
}
