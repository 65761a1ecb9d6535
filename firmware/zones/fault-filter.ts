import type { Clock, TimerHandle } from '../core/clock.js';

/** A fault is raised once the line has stayed active this long ... */
export const FAULT_CONFIRM_MS = 20;
/** ... or once it has gone active this many times within CHATTER_WINDOW_MS (it chatters). */
export const CHATTER_ACTIVATIONS = 3;
export const CHATTER_WINDOW_MS = 1000;
/** A raised fault clears only after the line has stayed inactive this long. */
export const FAULT_CLEAR_MS = 1000;

/**
 * Turns the raw edges of an amp's fault line into "fault raised" and "fault cleared": quick to
 * raise, slow to clear. A trailing debounce (report once the level held N ms) never reports a
 * line that keeps toggling faster than N, and reports every toggle of a slower one; neither is
 * right for a protection input. Here a glitch shorter than FAULT_CONFIRM_MS is ignored, a
 * chattering line is a fault however fast it toggles, and a fault clears only after
 * FAULT_CLEAR_MS of quiet line, so one burst of chatter gives one raise and one clear.
 */
export class FaultFilter {
  private faulted = false;
  private active = false;
  private confirmTimer?: TimerHandle;
  private clearTimer?: TimerHandle;
  private activations: number[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly onChange: (faulted: boolean) => void,
  ) {}

  get fault(): boolean {
    return this.faulted;
  }

  /** The level at start: a line already active is a fault at once (no edge will come). */
  begin(active: boolean): void {
    this.active = active;
    if (active) this.raise();
  }

  /** The line's level after an edge (active or not). */
  level(active: boolean): void {
    if (active === this.active) return;
    this.active = active;
    if (active) {
      this.cancelClear();
      if (this.faulted) return;
      const now = this.clock.now();
      this.activations = this.activations.filter((t) => now - t < CHATTER_WINDOW_MS);
      this.activations.push(now);
      if (this.activations.length >= CHATTER_ACTIVATIONS) return this.raise();
      this.confirmTimer = this.clock.setTimeout(() => {
        this.confirmTimer = undefined;
        if (this.active) this.raise();
      }, FAULT_CONFIRM_MS);
      return;
    }
    this.cancelConfirm();
    if (!this.faulted) return;
    this.cancelClear();
    this.clearTimer = this.clock.setTimeout(() => {
      this.clearTimer = undefined;
      if (this.active || !this.faulted) return;
      this.faulted = false;
      this.activations = [];
      this.onChange(false);
    }, FAULT_CLEAR_MS);
  }

  stop(): void {
    this.cancelConfirm();
    this.cancelClear();
  }

  private raise(): void {
    this.cancelConfirm();
    if (this.faulted) return;
    this.faulted = true;
    this.activations = [];
    this.onChange(true);
  }

  private cancelConfirm(): void {
    if (this.confirmTimer) this.clock.clear(this.confirmTimer);
    this.confirmTimer = undefined;
  }

  private cancelClear(): void {
    if (this.clearTimer) this.clock.clear(this.clearTimer);
    this.clearTimer = undefined;
  }
}
