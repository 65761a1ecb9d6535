import type { Level } from '../hal/gpio/gpio.js';

/**
 * A bank of simulated GPIO lines. Outputs are driven by the box; inputs rest at their pull level
 * and fault injection (`sim fault`) moves them as an external chip would.
 */
export class SimLines {
  private readonly levels = new Map<number, Level>();
  private readonly listeners = new Map<number, Set<() => void>>();

  /** Sets the level an undriven input rests at (its pull-up or pull-down). */
  pull(bcm: number, level: Level): void {
    if (!this.levels.has(bcm)) this.levels.set(bcm, level);
  }

  read(bcm: number): Level {
    return this.levels.get(bcm) ?? 0;
  }

  /** The box drives an output. */
  drive(bcm: number, level: Level): void {
    this.set(bcm, level);
  }

  /** Something outside the box (an amp's fault pin) moves an input. */
  inject(bcm: number, level: Level): void {
    this.set(bcm, level);
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
