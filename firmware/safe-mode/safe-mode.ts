import type { EventBus } from '../core/bus.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import { errorMessage } from '../core/controller.js';
import type { Extension } from '../core/extension.js';
import type { Logger } from '../core/logger.js';
import type { SafeModeView } from '../core/safe-mode-view.js';
import type { RunRecord } from '../diagnostics/run-record.js';

export type LeaveHow = 'command' | 'clean_run';

export interface SafeModeOptions {
  /** ROOMBOX_SAFE_MODE_AFTER: unclean starts in a row that put the box in safe mode; 0 never does. */
  after: number;
  /** ROOMBOX_SAFE_MODE_CLEAN_S: a run this long is clean. */
  cleanS: number;
  run: RunRecord;
  bus: EventBus;
  clock: Clock;
  log: Logger;
}

/**
 * Boot-loop protection. Decided once at start from the run record's count of unclean starts in a
 * row: in safe mode the zones hold their amps muted and off, capture opens nothing, and the
 * extensions wrapped in `unlessSafe` (recording) do not start. Everything else runs: the MQTT
 * link, discovery, console, diagnostics, the web page and the update agent, so the box can be
 * looked at and updated. Safe mode ends in the running process (`leave`): hooks first (zones,
 * capture), then the waiting extensions in their order.
 */
export class SafeMode implements Extension, SafeModeView {
  readonly name = 'safe-mode';
  active = false;
  private readonly leaveHooks: (() => Promise<void> | void)[] = [];
  private readonly changeListeners: (() => void)[] = [];
  private readonly waiting: SafeModeGate[] = [];
  private cleanTimer?: TimerHandle;
  private leaving?: Promise<void>;

  constructor(private readonly o: SafeModeOptions) {}

  get after(): number {
    return this.o.after;
  }

  get uncleanStarts(): number {
    return this.o.run.uncleanStarts;
  }

  /** Runs after the run record has counted this start. */
  start(): void {
    const { after, run, log } = this.o;
    this.active = after > 0 && run.uncleanStarts >= after;
    if (this.active) log.warn({ unclean_starts: run.uncleanStarts, after }, 'safe mode: amps held muted and off, capture and recording stopped');
  }

  stop(): void {
    if (this.cleanTimer) this.o.clock.clear(this.cleanTimer);
    this.cleanTimer = undefined;
  }

  /** Once the box has started: the event, and the clock of the clean run. */
  begin(): void {
    const { bus, clock, cleanS, run, after } = this.o;
    if (this.active) bus.emit('box.event', { type: 'safe_mode_entered', detail: { unclean_starts: run.uncleanStarts, after } });
    this.cleanTimer = clock.setTimeout(() => {
      this.cleanTimer = undefined;
      this.o.log.info({ seconds: cleanS }, 'clean run: unclean-start count reset');
      run.resetUncleanStarts();
      this.changed();
      if (this.active) void this.leave('clean_run');
    }, cleanS * 1000);
  }

  /** `ext` runs only outside safe mode; in safe mode it starts when safe mode ends (and stops in its own place). */
  unlessSafe(ext: Extension): Extension {
    return new SafeModeGate(ext, this, this.o.log);
  }

  onLeave(fn: () => Promise<void> | void): void {
    this.leaveHooks.push(fn);
  }

  onChange(fn: () => void): void {
    this.changeListeners.push(fn);
  }

  /** @internal A gate found the box in safe mode: started when it ends. */
  wait(gate: SafeModeGate): void {
    this.waiting.push(gate);
  }

  /** Ends safe mode in this process; the count of unclean starts goes back to 0. */
  leave(how: LeaveHow): Promise<void> {
    if (!this.active) return this.leaving ?? Promise.resolve();
    this.active = false;
    this.o.run.resetUncleanStarts();
    this.o.log.info({ how }, 'leaving safe mode');
    this.leaving = (async () => {
      for (const fn of this.leaveHooks) {
        try {
          await fn();
        } catch (err) {
          this.o.log.error({ err: errorMessage(err) }, 'a part failed to leave safe mode');
        }
      }
      for (const gate of this.waiting.splice(0)) await gate.startNow();
      this.o.bus.emit('box.event', { type: 'safe_mode_left', detail: { how } });
      this.changed();
    })();
    return this.leaving;
  }

  private changed(): void {
    for (const fn of this.changeListeners) fn();
  }
}

/** An extension that does not run in safe mode; it keeps its place in the stop order. */
class SafeModeGate implements Extension {
  readonly name: string;
  private started = false;
  private stopped = false;

  constructor(
    readonly inner: Extension,
    private readonly safeMode: SafeMode,
    private readonly log: Logger,
  ) {
    this.name = inner.name;
  }

  async start(): Promise<void> {
    if (this.safeMode.active) return this.safeMode.wait(this);
    await this.inner.start();
    this.started = true;
  }

  /** Safe mode ended: start now, unless the box is already on its way down. */
  async startNow(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.inner.start();
      this.started = true;
    } catch (err) {
      this.log.error({ extension: this.name, err: errorMessage(err) }, 'extension failed to start');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.started) await this.inner.stop();
    this.started = false;
  }
}
