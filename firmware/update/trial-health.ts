import type { BoxContext } from '../context.js';
import type { TimerHandle } from '../core/clock.js';
import { errorMessage } from '../core/controller.js';

const RETRY_MS = 5_000;

/**
 * A trial boot's health watch: once the box is online on the broker and `selftest` passes
 * (checked at once, on every connect and every 5 s), `healthy` runs; if that has not happened
 * within `confirmS`, `deadline` runs with what was failing.
 */
export class TrialHealth {
  private unhealthy = 'not checked yet';
  private checking = false;
  private over = false;
  private timers: TimerHandle[] = [];
  private unsubscribe = () => {};

  constructor(
    private readonly ctx: Pick<BoxContext, 'clock' | 'bus' | 'link' | 'selftest' | 'log'>,
    private readonly confirmS: number,
    private readonly healthy: () => Promise<void>,
    private readonly deadline: (reason: string) => Promise<void>,
  ) {}

  start(): void {
    this.timers.push(this.ctx.clock.setTimeout(() => void this.expire(), this.confirmS * 1000));
    this.timers.push(this.ctx.clock.setInterval(() => void this.check(), RETRY_MS));
    this.unsubscribe = this.ctx.bus.on('mqtt.connected', () => void this.check());
    void this.check();
  }

  stop(): void {
    this.over = true;
    for (const t of this.timers.splice(0)) this.ctx.clock.clear(t);
    this.unsubscribe();
  }

  private async check(): Promise<void> {
    if (this.over || this.checking) return;
    this.checking = true;
    try {
      if (!this.ctx.link.connected) {
        this.unhealthy = `not online on the broker (${this.ctx.link.lastError ?? 'not connected'})`;
        return;
      }
      const failed = (await this.ctx.selftest.runAll()).filter((r) => !r.ok);
      if (failed.length) {
        this.unhealthy = `selftest failed: ${failed.map((r) => `${r.name}: ${r.detail}`).join('; ')}`;
        return;
      }
      if (this.over) return;
      await this.healthy();
      this.stop();
    } catch (err) {
      // A commit that failed (autoboot.txt not writable, say) is tried again until the deadline.
      this.unhealthy = `commit failed: ${errorMessage(err)}`;
      this.ctx.log.error({ err: errorMessage(err) }, 'trial commit failed');
    } finally {
      this.checking = false;
    }
  }

  private async expire(): Promise<void> {
    if (this.over) return;
    if (this.checking) {
      // A check (or the commit) is under way: its outcome decides, a moment later.
      this.timers.push(this.ctx.clock.setTimeout(() => void this.expire(), 1000));
      return;
    }
    this.stop();
    await this.deadline(`not healthy within ${this.confirmS} s: ${this.unhealthy}`);
  }
}
