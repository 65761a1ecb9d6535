import type { EventBus } from '../core/bus.js';
import type { Logger } from '../core/logger.js';
import type { MqttLink } from '../mqtt/link.js';
import { serialise, type Outbox, type OutboxStats } from './outbox.js';

interface Pending {
  seq: number;
  topic: string;
  payload: string;
}

/**
 * An outbox that lives in memory: keeps order and survives broker outages, not restarts.
 * Used where no database is configured; the SQLite outbox replaces it on the box.
 */
export class MemoryOutbox implements Outbox {
  readonly name = 'outbox';
  private queue: Pending[] = [];
  private seq = 0;
  private inFlight = 0;
  private delivered = 0;
  private dropped = 0;
  private unsubscribe?: () => void;

  constructor(
    private readonly link: MqttLink,
    private readonly bus: EventBus,
    private readonly log: Logger,
    private readonly max: number,
    private readonly window = 64,
  ) {}

  start(): void {
    this.unsubscribe = this.bus.on('mqtt.connected', () => this.pump());
  }

  stop(): void {
    this.unsubscribe?.();
  }

  add(topic: string, body: Record<string, unknown>): number {
    const seq = ++this.seq;
    this.queue.push({ seq, topic, payload: serialise(seq, body) });
    if (this.queue.length > this.max) {
      const n = this.queue.length - this.max;
      this.queue.splice(this.inFlight, n);
      this.dropped += n;
      this.log.warn({ dropped: n }, 'outbox full: oldest messages dropped');
    }
    this.pump();
    return seq;
  }

  depth(): number {
    return this.queue.length;
  }

  stats(): OutboxStats {
    return { depth: this.queue.length, delivered: this.delivered, dropped: this.dropped, lastSeq: this.seq, inFlight: this.inFlight };
  }

  private pump(): void {
    if (!this.link.connected) return;
    while (this.inFlight < this.window && this.inFlight < this.queue.length) {
      const msg = this.queue[this.inFlight]!;
      this.inFlight++;
      this.link.publish(msg.topic, msg.payload, { qos: 1 }).then(
        () => {
          this.queue = this.queue.filter((m) => m !== msg);
          this.inFlight--;
          this.delivered++;
          this.pump();
        },
        () => {
          // Link dropped: everything in flight is resent on the next connect, in order.
          this.inFlight = 0;
        },
      );
    }
  }
}
