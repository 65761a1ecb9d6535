import type { Clock } from '../core/clock.js';
import type { MeterWindow } from './meter.js';

export type InputAlarm = 'silence' | 'quiet' | 'clip' | 'absent' | null;

export interface AlarmOptions {
  /** ROOMBOX_SILENCE_DBFS: every channel's RMS must be under this ... */
  silenceDbfs: number;
  /** ... for this long (ROOMBOX_SILENCE_S in ms) to raise the silence alarm. */
  silenceMs: number;
  /** ROOMBOX_QUIET_LUFS: short-term loudness under this for silenceMs raises the quiet alarm (undefined: never). */
  quietLufs?: number;
  /** A clip alarm holds this long after the last full-scale sample, so it does not flicker. */
  clipHoldMs: number;
  clock: Clock;
  onChange: (next: InputAlarm, previous: InputAlarm) => void;
}

/**
 * The alarm of one input, from its meter windows and its presence. One alarm at a time, the most
 * urgent first: absent (the device vanished), then clip, then silence, then quiet (there is
 * signal, but the room is too quiet to be heard: short-term loudness under ROOMBOX_QUIET_LUFS).
 */
export class AlarmTracker {
  private silentSince?: number;
  private quietSince?: number;
  private lastClipAt?: number;
  private absent = false;
  private current: InputAlarm = null;

  constructor(private readonly opts: AlarmOptions) {}

  get alarm(): InputAlarm {
    return this.current;
  }

  /** Judges one finished meter window, with the short-term loudness at its end, at the clock's current time. */
  window(w: MeterWindow, shortTermLufs = -Infinity): void {
    const now = this.opts.clock.now();
    const silent = w.rmsDbfs.every((db) => db < this.opts.silenceDbfs);
    if (!silent) this.silentSince = undefined;
    else this.silentSince ??= now;
    const quiet = this.opts.quietLufs !== undefined && shortTermLufs < this.opts.quietLufs;
    if (!quiet) this.quietSince = undefined;
    else this.quietSince ??= now;
    if (w.clipped.some((n) => n > 0)) this.lastClipAt = now;
    this.update();
  }

  setAbsent(absent: boolean): void {
    this.absent = absent;
    this.silentSince = undefined;
    this.quietSince = undefined;
    this.lastClipAt = undefined;
    this.update();
  }

  private update(): void {
    const now = this.opts.clock.now();
    const clip = this.lastClipAt !== undefined && now - this.lastClipAt < this.opts.clipHoldMs;
    const silence = this.silentSince !== undefined && now - this.silentSince >= this.opts.silenceMs;
    const quiet = this.quietSince !== undefined && now - this.quietSince >= this.opts.silenceMs;
    const next: InputAlarm = this.absent ? 'absent' : clip ? 'clip' : silence ? 'silence' : quiet ? 'quiet' : null;
    if (next === this.current) return;
    const previous = this.current;
    this.current = next;
    this.opts.onChange(next, previous);
  }
}
