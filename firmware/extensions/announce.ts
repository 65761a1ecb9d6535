import type { EventBus } from '../core/bus.js';
import type { Extension } from '../core/extension.js';
import type { Logger } from '../core/logger.js';
import type { HaDiscovery } from '../mqtt/discovery.js';
import type { MqttLink } from '../mqtt/link.js';
import type { RetainedState } from '../mqtt/retained.js';
import type { Topics } from '../mqtt/topics.js';

export interface BoxInfo {
  id: string;
  version: string;
  board: string;
  zones: string[];
  inputs: string[];
  started_at: string;
}

/**
 * What the box says on every connect, in order: info, discovery, every retained state, and
 * last `online`, so a subscriber that sees `online` also has the current state.
 */
export class Announce implements Extension {
  readonly name = 'announce';
  private unsubscribe?: () => void;

  constructor(
    private readonly info: BoxInfo,
    private readonly topics: Topics,
    private readonly link: MqttLink,
    private readonly retained: RetainedState,
    private readonly discovery: HaDiscovery | undefined,
    private readonly bus: EventBus,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.retained.set(this.topics.info, this.info);
    this.unsubscribe = this.bus.on('mqtt.connected', () => void this.announce());
  }

  stop(): void {
    this.unsubscribe?.();
  }

  private async announce(): Promise<void> {
    try {
      if (this.discovery) await this.discovery.publish();
      await this.retained.republishAll();
      await this.link.publish(this.topics.status, 'online', { qos: 1, retain: true });
      this.log.info({ topic: this.topics.status }, 'online');
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'announce interrupted; it runs again on the next connect');
    }
  }
}
