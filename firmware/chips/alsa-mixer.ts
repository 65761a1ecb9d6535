import { execFile } from 'node:child_process';
import type { AmpChip } from './amp-chip.js';

export type Runner = (args: string[]) => Promise<string>;

export const amixer: Runner = (args) =>
  new Promise((resolve, reject) =>
    execFile('amixer', args, { timeout: 5000 }, (err, stdout, stderr) => (err ? reject(new Error(`amixer ${args.join(' ')}: ${(stderr || err.message).trim()}`)) : resolve(stdout))),
  );

/** The dB values amixer prints for a control, e.g. `Front Left: Playback 207 [81%] [-20.00dB] [on]`. */
export function parseAmixerDb(output: string): number[] {
  return [...output.matchAll(/\[(-?\d+(?:\.\d+)?)dB\]/g)].map((m) => Number(m[1]));
}

/**
 * A codec that a kernel overlay owns (pcm512x on IQaudio and HiFiBerry boards): volume and mute
 * go through the ALSA mixer control with amixer; power stays with the zone's GPIO lines.
 */
export class AlsaMixer implements AmpChip {
  readonly kind = 'alsa-mixer';
  constructor(
    private readonly card: number | string,
    private readonly control: string,
    private readonly run: Runner = amixer,
  ) {}
  private args(...rest: string[]): string[] {
    return ['-c', String(this.card), ...rest];
  }
  async boot(): Promise<void> {
    await this.setMute(true);
  }
  async powerUp(): Promise<void> {}
  async powerDown(): Promise<void> {}
  async setMute(muted: boolean): Promise<void> {
    // Not every volume control has a switch; the mute line still does the job then.
    await this.run(this.args('-q', 'sset', this.control, muted ? 'mute' : 'unmute')).catch(() => {});
  }
  async setVolumeDb(db: number): Promise<number | null> {
    await this.run(this.args('-q', 'sset', this.control, `${db.toFixed(2)}dB`));
    const applied = parseAmixerDb(await this.run(this.args('sget', this.control)));
    return applied[0] ?? null;
  }
  async probe(): Promise<string> {
    const out = await this.run(this.args('sget', this.control));
    return `ALSA mixer card ${this.card} '${this.control}' at ${parseAmixerDb(out)[0] ?? '?'} dB`;
  }
}
