import type { PublishedEvent, Telemetry } from '../api/index.js';
import type { BoxEventInput, EventBus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import type { Extension } from '../core/extension.js';
import type { Outbox } from '../outbox/outbox.js';
import type { Topics } from './topics.js';

export type { PublishedEvent };

/**
 * The one place P/event and P/telemetry are published from: every message goes through the
 * outbox, which gives it its seq when it stores it. Box events arrive on the bus ('box.event').
 */
export class Publisher implements Extension {
  readonly name = 'publisher';
  private readonly recent: PublishedEvent[] = [];
  private unsubscribe?: () => void;

  constructor(
    private readonly outbox: Outbox,
    private readonly topics: Topics,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly recentCapacity = 200,
  ) {}

  start(): void {
    this.unsubscribe = this.bus.on('box.event', (e) => this.event(e));
  }

  stop(): void {
    this.unsubscribe?.();
  }

  /** Queues the event; `events` lists it once it is stored, with its seq. */
  event(e: BoxEventInput): void {
    const { ts, ...fields } = e;
    const body = { ts: ts ?? new Date(this.clock.now()).toISOString(), ...fields };
    this.outbox.add(this.topics.event, body, (seq) => {
      this.recent.push({ seq, ...body } as PublishedEvent);
      if (this.recent.length > this.recentCapacity) this.recent.shift();
    });
  }

  telemetry(body: Omit<Telemetry, 'seq' | 'ts'>): void {
    this.outbox.add(this.topics.telemetry, { ts: new Date(this.clock.now()).toISOString(), ...body });
  }

  /** The last n events published since start, oldest first (for `events [n]`). */
  recentEvents(n: number): PublishedEvent[] {
    return this.recent.slice(-Math.max(0, n));
  }
}
