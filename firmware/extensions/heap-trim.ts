import { getHeapStatistics } from 'node:v8';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Extension } from '../core/extension.js';
import type { Logger } from '../core/logger.js';

/** How often the heap is looked at. */
export const HEAP_TRIM_MS = 5 * 60_000;
/** Garbage worth a full collection: what the heap grew since the last one. */
export const HEAP_TRIM_GROWTH_BYTES = 1024 * 1024;

/**
 * Keeps the box's RSS flat. The box's periodic work (metering, level reports, telemetry, the web
 * feed) leaves a steady trickle of objects that outlive a young-generation collection and then
 * die in the old generation, a few hundred kB a minute. V8 collects the old generation only when
 * it has grown well past what is live (on 64-bit Node at least 16 MB more), so RSS climbs for
 * most of an hour before it drops. Every HEAP_TRIM_MS this runs one full collection if the heap
 * grew by HEAP_TRIM_GROWTH_BYTES since the last (tens of ms for the box's ~20 MB heap; alsa
 * capture reads in its own thread meanwhile). It needs node's --expose-gc (the systemd unit
 * passes it); without it, it does nothing.
 */
export class HeapTrim implements Extension {
  readonly name = 'heap-trim';
  private timer?: TimerHandle;
  private usedAfterLast = 0;
  trims = 0;

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc,
    private readonly heapUsed: () => number = () => getHeapStatistics().used_heap_size,
  ) {}

  start(): void {
    if (!this.gc) return;
    this.usedAfterLast = this.heapUsed();
    this.timer = this.clock.setInterval(() => this.check(), HEAP_TRIM_MS);
  }

  stop(): void {
    if (this.timer) this.clock.clear(this.timer);
  }

  check(): void {
    const used = this.heapUsed();
    if (used - this.usedAfterLast < HEAP_TRIM_GROWTH_BYTES) return;
    const t0 = performance.now();
    this.gc!();
    this.trims++;
    this.usedAfterLast = this.heapUsed();
    this.log.debug({ before: used, after: this.usedAfterLast, ms: Math.round(performance.now() - t0) }, 'heap trimmed');
  }
}
