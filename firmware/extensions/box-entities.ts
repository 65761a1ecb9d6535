import type { Extension } from '../core/extension.js';
import type { DiscoveryRegistry } from '../mqtt/discovery.js';
import type { Topics } from '../mqtt/topics.js';

/** The box's own Home Assistant entities: uptime and outbox depth (diagnostic), restart button. */
export class BoxEntities implements Extension {
  readonly name = 'box-entities';
  constructor(
    private readonly registry: DiscoveryRegistry,
    private readonly topics: Topics,
  ) {}

  start(): void {
    this.registry.add({
      key: 'uptime',
      platform: 'sensor',
      config: {
        name: 'Uptime',
        state_topic: this.topics.telemetry,
        value_template: '{{ value_json.uptime_s }}',
        unit_of_measurement: 's',
        device_class: 'duration',
        state_class: 'measurement',
        entity_category: 'diagnostic',
      },
    });
    this.registry.add({
      key: 'outbox_depth',
      platform: 'sensor',
      config: {
        name: 'Outbox depth',
        state_topic: this.topics.telemetry,
        value_template: '{{ value_json.outbox_depth }}',
        unit_of_measurement: 'messages',
        state_class: 'measurement',
        entity_category: 'diagnostic',
      },
    });
    this.registry.add({
      key: 'restart',
      platform: 'button',
      config: {
        name: 'Restart',
        command_topic: this.topics.request,
        payload_press: JSON.stringify({ id: 'homeassistant-restart', line: 'restart' }),
        device_class: 'restart',
        entity_category: 'config',
      },
    });
  }

  stop(): void {}
}
