import type { Clock } from '../core/clock.js';
import type { Level } from '../hal/gpio/gpio.js';

/**
 * A bank of simulated GPIO lines. Outputs are driven by the box; inputs rest at their pull level
 * and fault injection (`sim fault`) moves them as an external chip would.
 */
export class SimLines {
  private readonly levels = new Map<number, Level>();
  private readonly failures = new Map<number, { code: string; count: number }>();
  private readonly listeners = new Map<number, Set<() => void>>();

  /** Sets the level an undriven input rests at (its pull-up or pull-down). */
  pull(bcm: number, level: Level): void {
    if (!this.levels.has(bcm)) this.levels.set(bcm, level);
  }

  read(bcm: number): Level {
    return this.levels.get(bcm) ?? 0;
  }

  /** The box drives an output; an injected failure throws instead and the level stays. */
  drive(bcm: number, level: Level): void {
    const f = this.failures.get(bcm);
    if (f && f.count > 0) {
      f.count--;
      throw Object.assign(new Error(`GPIO${bcm}: ${f.code}`), { code: f.code });
    }
    this.set(bcm, level);
  }

  /**
   * The next `count` times the box drives `bcm`, the kernel refuses (EBUSY: another consumer
   * holds the line; EIO): the write throws and the level does not change.
   */
  failNext(bcm: number, code: string, count = 1): void {
    this.failures.set(bcm, { code, count });
  }

  /** Something outside the box (an amp's fault pin) moves an input. */
  inject(bcm: number, level: Level): void {
    this.set(bcm, level);
  }

  /**
   * The input chatters: it toggles `toggles` times, one every `periodMs` of the clock (an amp that
   * trips and recovers over and over, a loose contact), then rests at `rest`. Returns a function
   * that stops it early (the line then keeps its level).
   */
  chatter(bcm: number, opts: { clock: Clock; periodMs: number; toggles: number; rest: Level }): () => void {
    let left = opts.toggles;
    const timer = opts.clock.setInterval(() => {
      if (--left <= 0) {
        opts.clock.clear(timer);
        return this.inject(bcm, opts.rest);
      }
      this.inject(bcm, this.read(bcm) === 1 ? 0 : 1);
    }, opts.periodMs);
    return () => opts.clock.clear(timer);
  }

  onChange(bcm: number, fn: () => void): () => void {
    let set = this.listeners.get(bcm);
    if (!set) this.listeners.set(bcm, (set = new Set()));
    set.add(fn);
    return () => set!.delete(fn);
  }

  snapshot(): { line: number; value: Level }[] {
    return [...this.levels].sort((a, b) => a[0] - b[0]).map(([line, value]) => ({ line, value }));
  }

  private set(bcm: number, level: Level): void {
    const old = this.levels.get(bcm);
    this.levels.set(bcm, level);
    if (old !== level) for (const fn of this.listeners.get(bcm) ?? []) fn();
  }
}
