import { ManualClock } from '../../firmware/core/clock.js';
import type { TimerHandle } from '../../firmware/core/clock.js';
import { Changes } from './wait.js';

/**
 * A ManualClock that shows what is scheduled on it: a test waits for the code under test to set
 * the timer it expects (after a socket closed, say) instead of sleeping, and can prove that
 * nothing is left to fire.
 */
export class WatchedClock extends ManualClock {
  private readonly live = new Map<number, number>();
  private readonly changes = new Changes();

  override setTimeout(fn: () => void, ms: number): TimerHandle {
    const handle: TimerHandle = super.setTimeout(() => {
      this.live.delete(handle.id);
      fn();
    }, ms);
    this.live.set(handle.id, ms);
    this.changes.changed();
    return handle;
  }

  override setInterval(fn: () => void, ms: number): TimerHandle {
    const handle = super.setInterval(fn, ms);
    this.live.set(handle.id, ms);
    this.changes.changed();
    return handle;
  }

  override clear(handle: TimerHandle): void {
    super.clear(handle);
    this.live.delete(handle.id);
  }

  /** The delays of the timers still to fire, as they were set. */
  pending(): number[] {
    return [...this.live.values()];
  }

  /** Resolves once a timer of `ms` is pending (already, or when set). */
  scheduled(ms: number, timeoutMs = 10_000): Promise<void> {
    return this.changes.until(() => this.pending().includes(ms), timeoutMs, `a ${ms} ms timer`);
  }
}
