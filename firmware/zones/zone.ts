import type { EventDetail, Mode, Power, ZoneEventType, ZoneState } from '../api/index.js';
import type { ZoneProfile } from '../board/profile.js';
import { volumeToDb, type AmpChip } from '../chips/amp-chip.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import { UserError } from '../core/errors.js';
import type { ActiveLine } from '../hal/gpio/gpio.js';
import { I2cNoAckError } from '../hal/i2c/errors.js';
import type { StateStore } from '../store/state-store.js';
import { FaultFilter } from './fault-filter.js';

export type { Mode, Power, ZoneState };

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
  onEvent<K extends ZoneEventType>(type: K, detail: EventDetail<K>): void;
  onError(what: string, err: unknown): void;
}

/** Refused because the amp's fault line is active. */
export class ZoneFaultError extends UserError {}
/** Refused because the box is in safe mode: the amp stays muted and off. */
export class ZoneSafeModeError extends UserError {}
/** Refused because the amp chip does not answer on its bus; the zone is left as it was. */
export class ZoneChipError extends UserError {}

/** While the chip does not answer it is tried again this often (and on every command that needs it). */
export const CHIP_RETRY_MS = 2000;

/** The failures that mean the chip stopped answering (not a wrong bus or a kernel-owned address). */
const chipSilent = (err: unknown): boolean => err instanceof I2cNoAckError;

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
  /** The fault line, as the FaultFilter judges it. */
  private lineFault = false;
  /** Why the chip is taken as not answering; null while it answers. */
  private chipError: string | null = null;
  /** Why the last power-up failed (the step and its error); null once one succeeds or power is turned off. */
  private powerUpError: string | null = null;
  private chipTimer?: TimerHandle;
  private chipRetryQueued = false;
  private faultFilter?: FaultFilter;
  /** Volume last sent to the volume path (differs from `volume` during a ramp). */
  private appliedVolume?: number;
  private queue: Promise<unknown> = Promise.resolve();
  /** Bumped by a fault or stop: a sequence in flight sees it changed and stops touching the amp. */
  private generation = 0;
  private lastPlayingAt: number;
  private lastAutoChangeAt = -Infinity;
  private autoPending = false;
  private stopped = false;
  /** Safe mode: the amp is held muted and off and every command is refused, until `release`. */
  private held = false;
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
  /** Called when a chip that stopped answering is back, before the volume goes through volumePath again. */
  onChipReset?: () => void;

  constructor(private readonly o: ZoneOptions) {
    this.name = o.profile.name;
    this.volume = Math.min(o.profile.defaultVolume ?? 30, o.maxVolume);
    this.lastPlayingAt = o.clock.now();
    this.volumePath = (v) => o.chip.setVolumeDb(volumeToDb(v, o.profile.volumeDb));
  }

  /**
   * `fault` is true while the fault line is active, the chip does not answer, or the last
   * power-up failed. `power` never reads standby or off while the enable line is on (during a
   * power-up's settle time it reads on: the amp is powered).
   */
  get state(): ZoneState {
    const power = this.power !== 'on' && this.enableOn() ? 'on' : this.power;
    return { power, mode: this.mode, playing: this.playing, volume: this.volume, volume_db: this.volumeDb, mute: this.mute || this.held, max_volume: this.o.maxVolume, fault: this.lineFault || this.chipError !== null || this.powerUpError !== null };
  }

  /** Why the last power-up failed, or null. */
  get powerUpProblem(): string | null {
    return this.powerUpError;
  }

  private enableOn(): boolean {
    try {
      return this.o.lines.enable?.active ?? false;
    } catch {
      return false;
    }
  }

  get faultLineActive(): boolean {
    return this.lineFault;
  }

  /** The last error of a chip that does not answer, or null. */
  get chipProblem(): string | null {
    return this.chipError;
  }

  /** True while safe mode holds the amp muted and off. */
  get heldSafe(): boolean {
    return this.held;
  }

  /**
   * Start: mute first, amp off, then restore the last volume, mode and mute (and manual power).
   * With `hold` (safe mode) the amp and its chip are left muted and off, nothing is restored
   * but the settings, and commands are refused until `release`.
   */
  async start(opts: { hold?: boolean } = {}): Promise<void> {
    const { lines, chip, store } = this.o;
    lines.mute?.set(true);
    // A chip that does not answer must not keep the lines (and the other zones) from a safe state.
    await chip.boot().catch((e) => this.chipFailed('chip boot', e));
    lines.enable?.set(false);
    lines.reset?.set(false);
    const saved = store.get<Partial<SavedZone>>(this.key);
    if (saved) {
      if (typeof saved.volume === 'number') this.volume = Math.min(Math.max(0, Math.round(saved.volume)), this.o.maxVolume);
      if (saved.mode === 'auto' || saved.mode === 'manual') this.mode = saved.mode;
      if (typeof saved.mute === 'boolean') this.mute = saved.mute;
    }
    this.held = opts.hold === true;
    this.power = this.mode === 'auto' && !this.held ? 'standby' : 'off';
    if (this.held) await this.holdSilent();
    else if (this.chipError === null) await this.applyVolume(this.volume).catch((e) => this.chipFailed('volume restore', e));
    const fault = lines.fault;
    if (fault) {
      const filter = (this.faultFilter = new FaultFilter(this.o.clock, (active) => this.onFaultLine(active)));
      this.unwatchFault = fault.line.watch((value) => filter.level((value === 1) === fault.activeHigh));
      filter.begin(fault.active);
    }
    if (!this.held) await this.restorePower(saved);
    this.publish();
  }

  private async restorePower(saved: Partial<SavedZone> | undefined): Promise<void> {
    const restore = !this.lineFault && this.chipError === null && this.mode === 'manual' && saved?.power === 'on';
    if (restore) await this.enqueue(() => this.powerUp('restored')).catch((e) => this.chipFailed('power restore', e));
  }

  /** Safe mode ends: the volume, auto standby and a manual power-on come back as after a normal start. */
  async release(): Promise<void> {
    await this.enqueue(async () => {
      if (!this.held || this.stopped) return;
      this.held = false;
      if (this.chipError === null) await this.applyVolume(this.volume).catch((e) => this.chipFailed('volume restore', e));
      if (this.mode === 'auto' && !this.lineFault) this.setPowerLabel('standby', 'restored');
    });
    await this.restorePower(this.o.store.get<Partial<SavedZone>>(this.key));
    this.publish();
  }

  /** SIGTERM: mute, amp off. Nothing runs on the amp after this. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.generation++;
    this.unwatchFault?.();
    this.faultFilter?.stop();
    if (this.chipTimer) this.o.clock.clear(this.chipTimer);
    const { lines, chip } = this.o;
    await chip.setMute(true).catch((e) => this.o.onError('soft mute on stop', e));
    lines.mute?.set(true);
    await chip.powerDown().catch((e) => this.o.onError('chip standby on stop', e));
    lines.enable?.set(false);
  }

  /** Safe mode at start: chip soft-muted and in standby (while it answers), mute line asserted, enable off. */
  private async holdSilent(): Promise<void> {
    const { lines, chip } = this.o;
    await this.chipIfAnswering(() => chip.setMute(true)).catch((e) => this.o.onError('soft mute in safe mode', e));
    lines.mute?.set(true);
    await this.chipIfAnswering(() => chip.powerDown()).catch((e) => this.o.onError('chip standby in safe mode', e));
    lines.enable?.set(false);
  }

  private safeModeRefusal(): ZoneSafeModeError {
    return new ZoneSafeModeError(`zone ${this.name}: refused in safe mode (amp held muted and off); nothing changed`);
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
    if (this.held) return Promise.reject(this.safeModeRefusal());
    if (this.lineFault && cmd !== 'off') return Promise.reject(new ZoneFaultError(`zone ${this.name}: amp fault is active; power stays off until the fault line clears`));
    return this.enqueue(async () => {
      const mode = this.mode;
      const needsChip = cmd === 'on' || (cmd === 'auto' && this.playing && this.power !== 'on');
      await this.withChip(
        needsChip,
        async () => {
          if (cmd === 'auto') {
            this.mode = 'auto';
            this.lastPlayingAt = this.o.clock.now();
            if (this.playing && this.power !== 'on') await this.powerUp('auto');
            else if (this.power === 'off') this.setPowerLabel('standby', 'auto');
          } else {
            this.mode = 'manual';
            if (cmd === 'on') await this.powerUp('command');
            else {
              await this.powerDown('off', 'command');
              this.clearPowerUpFault();
            }
          }
        },
        () => (this.mode = mode),
      );
      this.save();
      this.publish();
    });
  }

  /** The mode select: `manual` keeps the current power (standby reads as off outside auto). */
  setMode(mode: Mode): Promise<void> {
    if (this.held) return Promise.reject(this.safeModeRefusal());
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
    if (this.held) return Promise.reject(this.safeModeRefusal());
    const target = Math.min(Math.max(0, Math.round(requested)), this.o.maxVolume);
    return this.enqueue(async () => {
      const { volume, volumeDb } = this;
      await this.withChip(
        !this.volumeOwnedElsewhere,
        async () => {
          if (this.volumeOwnedElsewhere) {
            // The player's confirmation is the news: one that is unreachable leaves the number as it was.
            await this.applyVolume(target);
            this.volume = target;
          } else {
            this.volume = target;
            if (this.power === 'on' && !this.mute) await this.ramp(target);
            else await this.applyVolume(target);
          }
        },
        () => {
          this.volume = volume;
          this.volumeDb = volumeDb;
        },
      );
      this.save();
      this.publish();
      return target;
    });
  }

  setMute(mute: boolean): Promise<void> {
    if (this.held) return Promise.reject(this.safeModeRefusal());
    return this.enqueue(async () => {
      if (this.mutePath) {
        await this.mutePath(mute);
        this.mute = mute;
        this.save();
        return this.publish();
      }
      const before = this.mute;
      // Muting needs no chip: the mute line is already asserted while the chip does not answer.
      await this.withChip(
        this.power === 'on' && !mute,
        async () => {
          this.mute = mute;
          if (this.power !== 'on') return;
          if (mute) {
            if (this.chipError === null) await this.o.chip.setMute(true);
            this.o.lines.mute?.set(true);
          } else {
            await this.o.chip.setMute(false);
            this.o.lines.mute?.set(false);
          }
        },
        () => (this.mute = before),
      );
      this.save();
      this.publish();
    });
  }

  /**
   * The volume and mute a player reports (VOLUME_SYNC=player): shown as the zone's own, without
   * touching the chip, which stays at the profile's fixed gain. A player above the cap is shown
   * at the cap while it is being set back: the state never shows more than the cap.
   */
  mirror(volume: number | null, mute: boolean | null): void {
    void this.enqueue(async () => {
      if (volume !== null) this.volume = Math.min(volume, this.o.maxVolume);
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
    if (this.stopped || this.held) return;
    const now = this.o.clock.now();
    if (playing) this.lastPlayingAt = now;
    if (playing !== this.playing) {
      this.playing = playing;
      this.publish();
    }
    if (this.mode !== 'auto' || this.lineFault || this.autoPending) return;
    if (now - this.lastAutoChangeAt < COOLDOWN_MS) return;
    // A chip that does not answer is brought back by its own retry, which then lets this power up.
    // Nor after a failed power-up: the enable line is not toggled every cooldown; a command retries.
    const wantOn = playing && this.power !== 'on' && this.chipError === null && this.powerUpError === null;
    const wantStandby = !playing && this.power === 'on' && now - this.lastPlayingAt >= this.o.idleS * 1000;
    if (!wantOn && !wantStandby) return;
    this.autoPending = true;
    void this.enqueue(async () => {
      try {
        if (this.mode !== 'auto' || this.lineFault) return;
        if (wantOn) await this.powerUp('playback');
        else await this.powerDown('standby', 'idle');
        this.save();
        this.publish();
      } catch (err) {
        if (!chipSilent(err)) throw err;
        this.chipLost(err);
      } finally {
        // Also after a failure: a chip that does not answer is retried once per cooldown, not per poll.
        this.lastAutoChangeAt = this.o.clock.now();
        this.autoPending = false;
      }
    }).catch((e) => this.o.onError('automatic power change', e));
  }

  /** The fault line (filtered) changed: active = amp off and muted at once; cleared = report, stay off. */
  private onFaultLine(active: boolean): void {
    if (active === this.lineFault || this.stopped) return;
    if (active) {
      this.generation++;
      const { lines, chip } = this.o;
      lines.mute?.set(true);
      lines.enable?.set(false);
      if (this.chipError === null) chip.setMute(true).then(() => chip.powerDown()).catch((e) => this.chipFailed('chip shutdown on fault', e));
      const from = this.power;
      this.lineFault = true;
      this.power = 'off';
      this.mode = 'manual';
      this.appliedVolume = undefined;
      this.o.onEvent('amp_fault', { cause: 'line', line: lines.fault!.line.bcm });
      if (from !== 'off') this.o.onEvent('power_changed', { from, to: 'off', mode: this.mode, reason: 'fault' });
    } else {
      this.lineFault = false;
      this.o.onEvent('amp_fault_cleared', { cause: 'line', line: this.o.lines.fault!.line.bcm });
    }
    this.save();
    this.publish();
  }

  // ---- a chip that does not answer ----

  /**
   * Runs a command's hardware part. When it needs the chip and the chip was not answering, the
   * chip is tried again first; a chip that (still) does not answer rejects the command with
   * ZoneChipError and `undo` puts the zone's settings back, so the command changes nothing.
   */
  private async withChip(needsChip: boolean, fn: () => Promise<void>, undo: () => void): Promise<void> {
    if (needsChip && this.chipError !== null) await this.recoverChip();
    try {
      await fn();
    } catch (err) {
      if (!chipSilent(err)) throw err;
      undo();
      this.chipLost(err);
      throw this.chipRefusal();
    }
  }

  private chipRefusal(): ZoneChipError {
    return new ZoneChipError(`zone ${this.name}: the ${this.o.chip.kind} amp chip does not answer (${this.chipError}); nothing changed`);
  }

  /** A chip call outside a command failed: a silent chip becomes a fault, anything else is logged. */
  private chipFailed(what: string, err: unknown): void {
    if (chipSilent(err)) this.chipLost(err);
    else this.o.onError(what, err);
  }

  /**
   * The chip stopped answering: the amp is silenced by its mute line (its registers can no
   * longer be trusted: a chip that lost power comes back unmuted at its reset gain), the zone
   * reports a fault, and the chip is tried again every CHIP_RETRY_MS. Power and volume keep
   * their values: they are what the chip is given again when it answers.
   */
  private chipLost(err: unknown): void {
    if (this.stopped) return;
    const message = (err as Error).message;
    if (this.chipError !== null) {
      this.chipError = message;
      return;
    }
    this.chipError = message;
    this.appliedVolume = undefined;
    const { lines, chip, clock } = this.o;
    lines.mute?.set(true);
    if (this.power !== 'on' || !lines.mute) lines.enable?.set(false);
    this.o.onError('amp chip', err);
    this.o.onEvent('amp_fault', { cause: 'chip', chip: chip.kind, error: message });
    this.publish();
    this.chipTimer = clock.setInterval(() => {
      if (this.chipRetryQueued) return;
      this.chipRetryQueued = true;
      void this.enqueue(() => this.recoverChip())
        .catch(() => {})
        .finally(() => (this.chipRetryQueued = false));
    }, CHIP_RETRY_MS);
  }

  /**
   * On the queue: if the chip answers, give it the zone's whole state again (boot, power,
   * volume, mute, as after a reset) and clear the fault; otherwise throw ZoneChipError.
   */
  private async recoverChip(): Promise<void> {
    if (this.chipError === null || this.stopped) return;
    const gen = this.generation;
    const { lines, chip, clock, profile } = this.o;
    try {
      await chip.probe();
      lines.mute?.set(true);
      await chip.boot();
      if (this.power === 'on') {
        lines.enable?.set(true);
        await clock.sleep(profile.settleMs);
      } else lines.enable?.set(false);
      // A fault line during the settle time has already turned the amp off: leave the chip muted.
      const on = this.power === 'on' && gen === this.generation && !this.stopped;
      if (on) await chip.powerUp();
      this.onChipReset?.();
      await this.applyVolume(this.volume);
      if (on && !this.mute) {
        await chip.setMute(false);
        lines.mute?.set(false);
      }
    } catch (err) {
      if (!chipSilent(err)) this.o.onError('amp chip recovery', err);
      else this.chipError = (err as Error).message;
      throw this.chipRefusal();
    }
    if (this.chipTimer) clock.clear(this.chipTimer);
    this.chipTimer = undefined;
    this.chipError = null;
    this.o.onEvent('amp_fault_cleared', { cause: 'chip', chip: chip.kind });
    this.publish();
  }

  // ---- sequences (run on the queue) ----

  /**
   * Mute, enable, settle, chip up, volume, then (unless muted by the user) unmute. If any step
   * fails, the amp is made safe (mute line asserted, enable off) before the error goes on, and
   * the zone reports the failed step as a fault.
   */
  private async powerUp(reason: string): Promise<void> {
    if (this.power === 'on' || this.lineFault) return;
    const gen = this.generation;
    const { lines, chip, clock, profile } = this.o;
    let step = 'mute line';
    try {
      lines.mute?.set(true);
      step = 'chip soft mute';
      await chip.setMute(true);
      step = 'enable line';
      lines.enable?.set(true);
      step = 'settle';
      await clock.sleep(profile.settleMs);
      // A fault line or a stop during the settle time has already made the amp safe.
      if (gen !== this.generation) return;
      step = 'chip power-up';
      await chip.powerUp();
      step = 'volume';
      await this.applyVolume(this.volume);
      if (gen !== this.generation) return;
      if (!this.mute) {
        step = 'chip unmute';
        await chip.setMute(false);
        step = 'mute line release';
        lines.mute?.set(false);
      }
    } catch (err) {
      this.powerUpFailed(step, err);
      throw err;
    }
    this.clearPowerUpFault();
    this.setPowerLabel('on', reason);
  }

  /** Every line is tried even if another throws: mute first, then enable off. */
  private powerUpFailed(step: string, err: unknown): void {
    const { lines } = this.o;
    for (const [what, fn] of [
      ['mute line after a failed power-up', () => lines.mute?.set(true)],
      ['enable line after a failed power-up', () => lines.enable?.set(false)],
    ] as const) {
      try {
        fn();
      } catch (e) {
        this.o.onError(what, e);
      }
    }
    this.appliedVolume = undefined;
    // A chip that stopped answering is its own fault (chipLost), retried until it answers.
    if (chipSilent(err)) return;
    const error = (err as Error).message;
    this.powerUpError = `power-up failed at ${step}: ${error}`;
    this.o.onError(`power-up (${step})`, err);
    this.o.onEvent('amp_fault', { cause: 'power_up', step, error });
    // A power command set manual mode: outside auto, an amp that is not on reads off.
    if (this.mode === 'manual' && this.power === 'standby') this.setPowerLabel('off', 'fault');
    this.publish();
  }

  private clearPowerUpFault(): void {
    if (this.powerUpError === null) return;
    this.powerUpError = null;
    this.o.onEvent('amp_fault_cleared', { cause: 'power_up' });
  }

  /**
   * Soft mute, wait for its ramp, hard mute, chip standby, disable. The lines alone make the amp
   * safe, so a chip that does not answer does not stop a power-down (it becomes a fault).
   */
  private async powerDown(to: 'standby' | 'off', reason: string): Promise<void> {
    if (this.power !== 'on') {
      if (this.power !== to) this.setPowerLabel(to, reason);
      return;
    }
    const gen = this.generation;
    const { lines, chip, clock } = this.o;
    if (await this.chipIfAnswering(() => chip.setMute(true))) await clock.sleep(SOFT_MUTE_MS);
    if (gen !== this.generation) return;
    lines.mute?.set(true);
    await this.chipIfAnswering(() => chip.powerDown());
    lines.enable?.set(false);
    this.setPowerLabel(to, reason);
  }

  /** Runs a chip call unless the chip is known not to answer; false when it did not run or failed silent. */
  private async chipIfAnswering(fn: () => Promise<void>): Promise<boolean> {
    if (this.chipError !== null) return false;
    try {
      await fn();
      return true;
    } catch (err) {
      if (!chipSilent(err)) throw err;
      this.chipLost(err);
      return false;
    }
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
