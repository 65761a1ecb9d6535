import type { CaptureExtension } from '../capture/index.js';
import type { BoxContext } from '../context.js';
import type { Extension } from '../core/extension.js';
import type { ZonesExtension } from '../zones/index.js';
import { registerInputSimCommands } from './input-commands.js';
import { registerZoneSimCommands } from './zone-commands.js';

/** The sim board's tooling: `sim ...` commands that drive the simulated hardware. Absent on a real board. */
export function createSimExtensions(ctx: BoxContext, features: { zones?: ZonesExtension; capture?: CaptureExtension }): Extension[] {
  return ctx.profile.simulated ? [new SimTooling(ctx, features)] : [];
}

class SimTooling implements Extension {
  readonly name = 'sim-tooling';
  private readonly stopHooks: (() => void)[] = [];

  constructor(
    private readonly ctx: BoxContext,
    private readonly features: { zones?: ZonesExtension; capture?: CaptureExtension },
  ) {}

  start(): void {
    const { zones, capture } = this.features;
    const sim = zones?.hardware?.sim;
    if (zones && sim) registerZoneSimCommands(this.ctx, zones, sim, (fn) => this.stopHooks.push(fn));
    if (capture) registerInputSimCommands(this.ctx, capture);
  }

  stop(): void {
    for (const fn of this.stopHooks.splice(0)) fn();
  }
}
