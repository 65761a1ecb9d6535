import type { InputState, Levels } from '../api/index.js';
import type { InputProfile } from '../board/profile.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { EventBus } from '../core/bus.js';
import type { Logger } from '../core/logger.js';
import { AlarmTracker, type InputAlarm } from './alarms.js';
import type { ResolvedInput } from './match.js';
import { loudnessFields, type LoudnessFields } from './loudness/levels-fields.js';
import { LoudnessMeter } from './loudness/loudness-meter.js';
import { Meter, type MeterWindow } from './meter.js';
import type { CaptureSource, SourceFactory } from './source.js';

export type { InputState };
/** One level report: P/input/<i>/levels. */
export type LevelsReport = Levels;

export interface InputOptions {
  profile: InputProfile;
  clock: Clock;
  bus: EventBus;
  log: Logger;
  sourceFactory: SourceFactory;
  /** ROOMBOX_LEVELS_HZ; 0 still meters (for the alarms) but reports nothing. */
  levelsHz: number;
  silenceDbfs: number;
  silenceS: number;
  /** ROOMBOX_QUIET_LUFS; undefined: no quiet alarm. */
  quietLufs?: number;
  /** Called with each new state (retained publish). */
  onState(state: InputState): void;
  /** Called with each level report (QoS 0 publish). */
  onLevels(report: LevelsReport): void;
  /** Delay before retrying a present device whose capture failed. */
  retryMs?: number;
}

/** Another consumer of an input's samples (the recorder), fed after the meter. */
export interface AudioTap {
  /** Interleaved PCM in the input's format; only valid during the call. */
  audio(data: Uint8Array, frames: number): void;
  /** The stream broke: samples were lost, or the capture closed. */
  gap(): void;
}

export const CLIP_HOLD_MS = 2000;
const ALARM_WINDOW_HZ = 10;

/**
 * One capture input: follows its device's presence, keeps a capture open while it is present
 * (reopening after failures), meters it and raises its alarms.
 */
export class CaptureInput {
  readonly name: string;
  private readonly meter: Meter;
  /** EBU R128 loudness; integrated, range and true peak count from the capture's last (re)open. */
  readonly loudness: LoudnessMeter;
  private readonly alarms: AlarmTracker;
  private source?: CaptureSource;
  private retryTimer?: TimerHandle;
  private where?: ResolvedInput;
  private stopped = false;
  private st: InputState;
  private readonly taps: AudioTap[] = [];
  /** Fields other features add to the retained state (recording). */
  private extra: Record<string, unknown> = {};
  lastLevels?: LevelsReport;
  overruns = 0;
  failures = 0;
  lastError?: string;

  constructor(private readonly opts: InputOptions) {
    const p = opts.profile;
    this.name = p.name;
    this.st = { present: false, capturing: false, card: null, device: null, rate: p.rate, channels: p.channels, format: p.format, alarm: null, pcm: null };
    const hz = opts.levelsHz > 0 ? opts.levelsHz : ALARM_WINDOW_HZ;
    this.meter = new Meter({ channels: p.channels, format: p.format, windowFrames: Math.max(1, Math.round(p.rate / hz)), onWindow: (w) => this.onWindow(w) });
    this.loudness = new LoudnessMeter({ rate: p.rate, channels: p.channels });
    this.alarms = new AlarmTracker({
      silenceDbfs: opts.silenceDbfs,
      quietLufs: opts.quietLufs,
      silenceMs: opts.silenceS * 1000,
      clipHoldMs: CLIP_HOLD_MS,
      clock: opts.clock,
      onChange: (next, previous) => this.onAlarm(next, previous),
    });
  }

  get state(): InputState {
    return { ...this.st, ...this.extra };
  }

  addTap(tap: AudioTap): void {
    this.taps.push(tap);
  }

  /** Merges fields into the retained state and publishes it. */
  extendState(fields: Record<string, unknown>): void {
    this.extra = { ...this.extra, ...fields };
    this.publishState();
  }

  /** Publishes the state as it is (safe mode: nothing opened, not capturing). */
  announce(): void {
    this.publishState();
  }

  /** The first look at the device: absent at start is reported like an unplug. */
  begin(where: ResolvedInput | undefined): void {
    if (where) this.present(where);
    else {
      this.opts.bus.emit('box.event', { type: 'input_absent', input: this.name });
      this.opts.log.warn({ input: this.name }, 'capture device absent');
      this.alarms.setAbsent(true);
    }
  }

  /** Discovery saw the device (or not) on this scan. */
  update(where: ResolvedInput | undefined): void {
    if (this.stopped) return;
    const same = where && this.where && where.pcm === this.where.pcm && where.card === this.where.card;
    if (same) return;
    if (this.where) this.absent();
    if (where) this.present(where);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) this.opts.clock.clear(this.retryTimer);
    await this.closeSource();
  }

  private present(where: ResolvedInput): void {
    this.where = where;
    Object.assign(this.st, { present: true, card: where.card ?? null, device: where.card === undefined ? null : where.device, pcm: where.pcm });
    this.opts.bus.emit('box.event', { type: 'input_present', input: this.name, detail: { card: this.st.card, card_id: where.cardId, device: this.st.device, pcm: where.pcm } });
    this.alarms.setAbsent(false);
    this.opts.log.info({ input: this.name, pcm: where.pcm, card: where.card }, 'capture device present');
    this.publishState();
    this.openSource();
  }

  private absent(): void {
    this.where = undefined;
    if (this.retryTimer) this.opts.clock.clear(this.retryTimer);
    this.retryTimer = undefined;
    void this.closeSource();
    Object.assign(this.st, { present: false, capturing: false, card: null, device: null, pcm: null });
    this.opts.bus.emit('box.event', { type: 'input_absent', input: this.name });
    this.opts.log.warn({ input: this.name }, 'capture device absent');
    this.alarms.setAbsent(true);
    this.publishState();
  }

  private openSource(): void {
    if (!this.where || this.stopped) return;
    this.meter.reset();
    this.loudness.reset();
    const pcm = this.where.pcm;
    let source: CaptureSource | undefined;
    try {
      source = this.opts.sourceFactory(this.opts.profile, pcm, {
        audio: (data, frames) => {
          if (this.source !== source) return;
          if (!this.st.capturing) {
            this.st.capturing = true;
            this.publishState();
          }
          // Loudness first: a window the meter completes reports loudness up to its end.
          this.loudness.pushPcm(data, frames, this.opts.profile.format);
          this.meter.push(data, frames);
          for (const t of this.taps) t.audio(data, frames);
        },
        overrun: () => {
          this.overruns++;
          for (const t of this.taps) t.gap();
        },
        failed: (message) => {
          if (this.source !== source) return;
          this.onFailure(message);
        },
      });
    } catch (err) {
      this.onFailure((err as Error).message);
      return;
    }
    this.source = source;
  }

  private onFailure(message: string): void {
    this.failures++;
    this.lastError = message;
    this.opts.log.warn({ input: this.name, err: message }, 'capture failed');
    void this.closeSource();
    if (this.st.capturing) {
      this.st.capturing = false;
      this.publishState();
    }
    if (this.where && !this.stopped && !this.retryTimer) {
      this.retryTimer = this.opts.clock.setTimeout(() => {
        this.retryTimer = undefined;
        if (!this.source) this.openSource();
      }, this.opts.retryMs ?? 2000);
    }
  }

  private async closeSource(): Promise<void> {
    const s = this.source;
    this.source = undefined;
    this.meter.reset();
    for (const t of this.taps) t.gap();
    if (s) await s.close();
  }

  private onWindow(w: MeterWindow): void {
    const report: LevelsReport = {
      ts: new Date(this.opts.clock.now()).toISOString(),
      peak_dbfs: w.peakDbfs.map(round1),
      rms_dbfs: w.rmsDbfs.map(round1),
      clipped: w.clipped,
      ...loudnessFields(this.loudness),
    };
    this.lastLevels = report;
    this.alarms.window(w, this.loudness.shortTermLufs);
    if (this.opts.levelsHz > 0) this.opts.onLevels(report);
  }

  private onAlarm(next: InputAlarm, previous: InputAlarm): void {
    this.st.alarm = next;
    if (next === 'silence') {
      this.opts.bus.emit('box.event', { type: 'alarm_silence', input: this.name, detail: { threshold_dbfs: this.opts.silenceDbfs, hold_s: this.opts.silenceS } });
    } else if (next === 'quiet') {
      this.opts.bus.emit('box.event', { type: 'alarm_quiet', input: this.name, detail: { threshold_lufs: this.opts.quietLufs, hold_s: this.opts.silenceS, short_term_lufs: this.lastLevels?.short_term_lufs } });
    } else if (next === 'clip') {
      this.opts.bus.emit('box.event', { type: 'alarm_clip', input: this.name, detail: { clipped: this.lastLevels?.clipped } });
    } else if (next === null && previous !== null) {
      this.opts.bus.emit('box.event', { type: 'alarm_cleared', input: this.name, detail: { alarm: previous } });
    }
    this.opts.log.info({ input: this.name, alarm: next, previous }, 'input alarm changed');
    this.publishState();
  }


  private publishState(): void {
    this.opts.onState(this.state);
  }
}

/** One decimal place: the meters' resolution in reports (and -0 shown as 0). */
export function round1(db: number): number {
  return Math.round(db * 10) / 10 + 0;
}
