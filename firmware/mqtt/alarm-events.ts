import { ALARM_EVENTS } from '../api/events.js';
import type { EventBus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import type { Extension } from '../core/extension.js';
import type { PublishPort } from '../core/publish-port.js';
import type { Topics } from './topics.js';

/**
 * Repeats each zone's and input's alarm events, live, on `P/zone/<z>/alarm` and
 * `P/input/<i>/alarm` as `{event_type, ts, detail}`: what Home Assistant's `event` entities read.
 * P/event (through the outbox) stays the record; these are not queued while the broker is away.
 */
export class AlarmEvents implements Extension {
  readonly name = 'alarm-events';
  private unsubscribe?: () => void;

  constructor(
    private readonly bus: EventBus,
    private readonly link: PublishPort,
    private readonly topics: Topics,
    private readonly clock: Clock,
  ) {}

  start(): void {
    this.unsubscribe = this.bus.on('box.event', (e) => {
      const ts = e.ts ?? new Date(this.clock.now()).toISOString();
      const detail = 'detail' in e ? { detail: e.detail } : {};
      let topic: string | undefined;
      let eventType: string | undefined;
      if ('zone' in e && e.type in ALARM_EVENTS.zone) {
        topic = this.topics.zoneAlarm(e.zone);
        eventType = ALARM_EVENTS.zone[e.type as keyof typeof ALARM_EVENTS.zone];
      } else if ('input' in e && e.type in ALARM_EVENTS.input) {
        topic = this.topics.inputAlarm(e.input);
        eventType = ALARM_EVENTS.input[e.type as keyof typeof ALARM_EVENTS.input];
      }
      if (!topic || !this.link.connected) return;
      this.link.publish(topic, JSON.stringify({ event_type: eventType, ts, ...detail }), { qos: 1 }).catch(() => {});
    });
  }

  stop(): void {
    this.unsubscribe?.();
  }
}
