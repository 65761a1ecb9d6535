import type { ZoneProfile } from '../board/profile.js';
import { volumeToDb, type AmpChip } from '../chips/amp-chip.js';
import type { Clock } from '../core/clock.js';
import type { ActiveLine } from '../hal/gpio/gpio.js';
import type { StateStore } from '../store/state-store.js';

export type Power = 'on' | 'standby' | 'off';
export type Mode = 'auto' | 'manual';

/** The retained state of a zone, exactly as CONTRACT section 3 names it. */
export interface ZoneState {
  power: Power;
  mode: Mode;
  playing: boolean;
  volume: number;
  volume_db: number | null;
  mute: boolean;
  max_volume: number;
  fault: boolean;
}

/** What a zone remembers across restarts, under `zone.<name>` in the state store. */
export interface SavedZone {
  volume: number;
  mode: Mode;
  mute: boolean;
  power: Power;
}

export interface ZoneLines {
  enable?: ActiveLine;
  mute?: ActiveLine;
  fault?: ActiveLine;
  reset?: ActiveLine;
}

export interface ZoneOptions {
  profile: ZoneProfile;
  chip: AmpChip;
  lines: ZoneLines;
  clock: Clock;
  store: StateStore;
  /** The cap: ROOMBOX_ZONE_<ZONE>_MAX_VOLUME, else the profile's. */
  maxVolume: number;
  idleS: number;
  onState(state: ZoneState): void;
  onEvent(type: string, detail?: Record<string, unknown>): void;
  onError(what: string, err: unknown): void;
}

/** Refused because the amp's fault line is active. */
export class ZoneFaultError extends Error {}

/** Time the chip's soft mute takes to ramp down before the hard mute and the enable line. */
export const SOFT_MUTE_MS = 20;
/** Volume ramps move at most this many steps of the 0-100 scale per RAMP_INTERVAL_MS. */
export const RAMP_STEP = 5;
export const RAMP_INTERVAL_MS = 10;
/** After an automatic power change, the next one waits this long (no flapping on a reopen). */
export const COOLDOWN_MS = 3000;

/**
 * One amplified zone: power state machine, pop-free sequencing, volume with cap and ramp,
 * auto power from playback with hysteresis, fault handling. Every hardware sequence runs on
 * one queue so two never interleave; a fault jumps the queue and cancels what is in flight.
 */
export class Zone {
  readonly name: string;
  private power: Power = 'off';
  private mode: Mode = 'auto';
  private playing = false;
  private volume: number;
  private volumeDb: number | null = null;
  private mute = false;
  private fault = false;
  /** Volume last sent to the volume path (differs from `volume` during a ramp). */
  private appliedVolume?: number;
  private queue: Promise<unknown> = Promise.resolve();
  /** Bumped by a fault or stop: a sequence in flight sees it changed and stops touching the amp. */
  private generation = 0;
  private lastPlayingAt: number;
  private lastAutoChangeAt = -Infinity;
  private autoPending = false;
  private stopped = false;
  private unwatchFault?: () => void;

  /**
   * The volume path, one method: sets the zone's 0-100 volume somewhere and returns the dB
   * applied. The chip by default; a player integration may redirect it (the chip then stays
   * at the profile's fixed gain).
   */
  volumePath: (volume: number) => Promise<number | null>;
  /** Set when a music player owns mute (VOLUME_SYNC=player): mute commands go there instead. */
  mutePath?: (mute: boolean) => Promise<void>;
  /** A player owns the volume: no ramps (the player has its own), commands go straight through. */
  volumeOwnedElsewhere = false;

  constructor(private readonly o: ZoneOptions) {
    this.name = o.profile.name;
    this.volume = Math.min(o.profile.defaultVolume ?? 30, o.maxVolume);
    this.lastPlayingAt = o.clock.now();
    this.volumePath = (v) => o.chip.setVolumeDb(volumeToDb(v, o.profile.volumeDb));
  }

  get state(): ZoneState {
    return { power: this.power, mode: this.mode, playing: this.playing, volume: this.volume, volume_db: this.volumeDb, mute: this.mute, max_volume: this.o.maxVolume, fault: this.fault };
  }

  /** Start: mute first, amp off, then restore the last volume, mode and mute (and manual power). */
  async start(): Promise<void> {
    const { lines, chip, store } = this.o;
    lines.mute?.set(true);
    // A chip that does not answer must not keep the lines (and the other zones) from a safe state.
    await chip.boot().catch((e) => this.o.onError('chip boot', e));
    lines.enable?.set(false);
    lines.reset?.set(false);
    const saved = store.get<Partial<SavedZone>>(this.key);
    if (saved) {
      if (typeof saved.volume === 'number') this.volume = Math.min(Math.max(0, Math.round(saved.volume)), this.o.maxVolume);
      if (saved.mode === 'auto' || saved.mode === 'manual') this.mode = saved.mode;
      if (typeof saved.mute === 'boolean') this.mute = saved.mute;
    }
    this.power = this.mode === 'auto' ? 'standby' : 'off';
    await this.applyVolume(this.volume).catch((e) => this.o.onError('volume restore', e));
    if (lines.fault) {
      this.unwatchFault = lines.fault.line.watch(() => this.onFaultLine());
      if (lines.fault.active) this.onFaultLine();
    }
    if (!this.fault && this.mode === 'manual' && saved?.power === 'on') await this.enqueue(() => this.powerUp('restored')).catch((e) => this.o.onError('power restore', e));
    this.publish();
  }

  /** SIGTERM: mute, amp off. Nothing runs on the amp after this. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.generation++;
    this.unwatchFault?.();
    const { lines, chip } = this.o;
    await chip.setMute(true).catch((e) => this.o.onError('soft mute on stop', e));
    lines.mute?.set(true);
    await chip.powerDown().catch((e) => this.o.onError('chip standby on stop', e));
    lines.enable?.set(false);
  }

  private get key(): string {
    return `zone.${this.name}`;
  }

  private save(): void {
    this.o.store.set(this.key, { volume: this.volume, mode: this.mode, mute: this.mute, power: this.power } satisfies SavedZone);
  }

  private publish(): void {
    this.o.onState(this.state);
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  // ---- commands ----

  /** `on`/`off` put the zone in manual mode with that power; `auto` hands power to playback. */
  setPower(cmd: 'on' | 'off' | 'auto'): Promise<void> {
    if (this.fault && cmd !== 'off') return Promise.reject(new ZoneFaultError(`zone ${this.name}: amp fault is active; power stays off until the fault line clears`));
    return this.enqueue(async () => {
      if (cmd === 'auto') {
        this.mode = 'auto';
        this.lastPlayingAt = this.o.clock.now();
        if (this.playing && this.power !== 'on') await this.powerUp('auto');
        else if (this.power === 'off') this.setPowerLabel('standby', 'auto');
      } else {
        this.mode = 'manual';
        if (cmd === 'on') await this.powerUp('command');
        else await this.powerDown('off', 'command');
      }
      this.save();
      this.publish();
    });
  }

  /** The mode select: `manual` keeps the current power (standby reads as off outside auto). */
  setMode(mode: Mode): Promise<void> {
    if (mode === 'auto') return this.setPower('auto');
    return this.enqueue(async () => {
      this.mode = 'manual';
      if (this.power === 'standby') this.setPowerLabel('off', 'mode');
      this.save();
      this.publish();
    });
  }

  /** Sets the volume, at the cap if above it; ramps while the amp is on and unmuted. */
  setVolume(requested: number): Promise<number> {
    const target = Math.min(Math.max(0, Math.round(requested)), this.o.maxVolume);
    return this.enqueue(async () => {
      if (this.volumeOwnedElsewhere) {
        // The player's confirmation is the news: one that is unreachable leaves the number as it was.
        await this.applyVolume(target);
        this.volume = target;
      } else {
        this.volume = target;
        if (this.power === 'on' && !this.mute) await this.ramp(target);
        else await this.applyVolume(target);
      }
      this.save();
      this.publish();
      return target;
    });
  }

  setMute(mute: boolean): Promise<void> {
    return this.enqueue(async () => {
      if (this.mutePath) {
        await this.mutePath(mute);
        this.mute = mute;
        this.save();
        return this.publish();
      }
      this.mute = mute;
      if (this.power === 'on') {
        if (mute) {
          await this.o.chip.setMute(true);
          this.o.lines.mute?.set(true);
        } else {
          await this.o.chip.setMute(false);
          this.o.lines.mute?.set(false);
        }
      }
      this.save();
      this.publish();
    });
  }

  /**
   * The volume and mute a player reports (VOLUME_SYNC=player): shown as the zone's own, without
   * touching the chip, which stays at the profile's fixed gain.
   */
  mirror(volume: number | null, mute: boolean | null): void {
    void this.enqueue(async () => {
      if (volume !== null) this.volume = volume;
      if (mute !== null) this.mute = mute;
      this.save();
      this.publish();
    });
  }

  /** Publishes the state again (something outside it, like the player's link, changed). */
  republish(): void {
    this.publish();
  }

  // ---- playback and faults ----

  /** Called by the detector on every poll with the OR of the playback sources. */
  onPlayback(playing: boolean): void {
    if (this.stopped) return;
    const now = this.o.clock.now();
    if (playing) this.lastPlayingAt = now;
    if (playing !== this.playing) {
      this.playing = playing;
      this.publish();
    }
    if (this.mode !== 'auto' || this.fault || this.autoPending) return;
    if (now - this.lastAutoChangeAt < COOLDOWN_MS) return;
    const wantOn = playing && this.power !== 'on';
    const wantStandby = !playing && this.power === 'on' && now - this.lastPlayingAt >= this.o.idleS * 1000;
    if (!wantOn && !wantStandby) return;
    this.autoPending = true;
    void this.enqueue(async () => {
      try {
        if (this.mode !== 'auto' || this.fault) return;
        if (wantOn) await this.powerUp('playback');
        else await this.powerDown('standby', 'idle');
        this.save();
        this.publish();
      } finally {
        // Also after a failure: a chip that does not answer is retried once per cooldown, not per poll.
        this.lastAutoChangeAt = this.o.clock.now();
        this.autoPending = false;
      }
    }).catch((e) => this.o.onError('automatic power change', e));
  }

  /** The fault line moved: active = amp off and muted at once; cleared = report, stay off. */
  private onFaultLine(): void {
    const active = this.o.lines.fault!.active;
    if (active === this.fault || this.stopped) return;
    if (active) {
      this.generation++;
      const { lines, chip } = this.o;
      lines.mute?.set(true);
      lines.enable?.set(false);
      chip.setMute(true).then(() => chip.powerDown()).catch((e) => this.o.onError('chip shutdown on fault', e));
      const from = this.power;
      this.fault = true;
      this.power = 'off';
      this.mode = 'manual';
      this.appliedVolume = undefined;
      this.o.onEvent('amp_fault', { line: lines.fault!.line.bcm });
      if (from !== 'off') this.o.onEvent('power_changed', { from, to: 'off', mode: this.mode, reason: 'fault' });
    } else {
      this.fault = false;
      this.o.onEvent('amp_fault_cleared', { line: this.o.lines.fault!.line.bcm });
    }
    this.save();
    this.publish();
  }

  // ---- sequences (run on the queue) ----

  /** Mute, enable, settle, chip up, volume, then (unless muted by the user) unmute. */
  private async powerUp(reason: string): Promise<void> {
    if (this.power === 'on' || this.fault) return;
    const gen = this.generation;
    const { lines, chip, clock, profile } = this.o;
    lines.mute?.set(true);
    await chip.setMute(true);
    lines.enable?.set(true);
    await clock.sleep(profile.settleMs);
    if (gen !== this.generation) return;
    await chip.powerUp();
    await this.applyVolume(this.volume);
    if (gen !== this.generation) return;
    if (!this.mute) {
      await chip.setMute(false);
      lines.mute?.set(false);
    }
    this.setPowerLabel('on', reason);
  }

  /** Soft mute, wait for its ramp, hard mute, chip standby, disable. */
  private async powerDown(to: 'standby' | 'off', reason: string): Promise<void> {
    if (this.power !== 'on') {
      if (this.power !== to) this.setPowerLabel(to, reason);
      return;
    }
    const gen = this.generation;
    const { lines, chip, clock } = this.o;
    await chip.setMute(true);
    await clock.sleep(SOFT_MUTE_MS);
    if (gen !== this.generation) return;
    lines.mute?.set(true);
    await chip.powerDown();
    lines.enable?.set(false);
    this.setPowerLabel(to, reason);
  }

  private setPowerLabel(to: Power, reason: string): void {
    const from = this.power;
    if (from === to) return;
    this.power = to;
    this.o.onEvent('power_changed', { from, to, mode: this.mode, reason });
  }

  private async ramp(target: number): Promise<void> {
    const gen = this.generation;
    let v = this.appliedVolume ?? target;
    if (v === target) return void (await this.applyVolume(target));
    while (v !== target) {
      v = v < target ? Math.min(target, v + RAMP_STEP) : Math.max(target, v - RAMP_STEP);
      await this.applyVolume(v);
      if (v !== target) await this.o.clock.sleep(RAMP_INTERVAL_MS);
      if (gen !== this.generation) return;
    }
  }

  /** The one place volume reaches the hardware (or wherever volumePath points). */
  private async applyVolume(volume: number): Promise<void> {
    this.volumeDb = await this.volumePath(volume);
    this.appliedVolume = volume;
  }
}
