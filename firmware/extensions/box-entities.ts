import { ALARM_EVENTS } from '../api/events.js';
import type { BoardProfile } from '../board/profile.js';
import type { Extension } from '../core/extension.js';
import type { DiscoveryRegistry } from '../mqtt/discovery.js';
import type { Topics } from '../mqtt/topics.js';

const diagnostic = { entity_category: 'diagnostic' } as const;

/**
 * The box's own Home Assistant entities (diagnostic sensors from P/telemetry and P/diagnostics,
 * restart and selftest buttons) and the alarm `event` entity of every zone and input.
 */
export class BoxEntities implements Extension {
  readonly name = 'box-entities';
  constructor(
    private readonly registry: DiscoveryRegistry,
    private readonly topics: Topics,
    private readonly profile: BoardProfile,
    /** ROOMBOX_TELEMETRY_S: a telemetry sensor that missed three reports shows unavailable. */
    private readonly telemetryS: number,
  ) {}

  start(): void {
    const telemetry = { state_topic: this.topics.telemetry, state_class: 'measurement', expire_after: this.telemetryS * 3, ...diagnostic };
    const diagnostics = (field: string) => ({ state_topic: this.topics.diagnostics, value_template: `{{ value_json.${field} }}`, ...diagnostic });
    const add = this.registry.add.bind(this.registry);
    add({ key: 'uptime', platform: 'sensor', config: { name: 'Uptime', value_template: '{{ value_json.uptime_s }}', unit_of_measurement: 's', device_class: 'duration', ...telemetry } });
    add({ key: 'outbox_depth', platform: 'sensor', config: { name: 'Outbox depth', value_template: '{{ value_json.outbox_depth }}', unit_of_measurement: 'messages', ...telemetry } });
    add({ key: 'restart_reason', platform: 'sensor', config: { name: 'Restart reason', icon: 'mdi:restart-alert', ...diagnostics('restart_reason') } });
    add({ key: 'boot_count', platform: 'sensor', config: { name: 'Boot count', state_class: 'total_increasing', icon: 'mdi:counter', ...diagnostics('boot_count') } });
    add({ key: 'last_error', platform: 'sensor', config: { name: 'Last error', icon: 'mdi:alert-circle-outline', ...diagnostics('last_error'), value_template: "{{ value_json.last_error or 'none' }}" } });
    add({ key: 'firmware_version', platform: 'sensor', config: { name: 'Firmware version', icon: 'mdi:chip', ...diagnostics('version') } });
    add({
      key: 'selftest_result',
      platform: 'sensor',
      config: { name: 'Selftest', icon: 'mdi:clipboard-check-outline', ...diagnostics('selftest'), json_attributes_topic: this.topics.diagnostics, json_attributes_template: '{{ {"failed": value_json.selftest_failed} | tojson }}' },
    });
    add({ key: 'selftest', platform: 'button', config: { name: 'Run selftest', command_topic: this.topics.request, payload_press: JSON.stringify({ id: 'homeassistant-selftest', line: 'selftest' }), icon: 'mdi:clipboard-play-outline', ...diagnostic } });
    add({
      key: 'restart',
      platform: 'button',
      config: { name: 'Restart', command_topic: this.topics.request, payload_press: JSON.stringify({ id: 'homeassistant-restart', line: 'restart' }), device_class: 'restart', entity_category: 'config' },
    });
    for (const z of this.profile.zones) {
      add({ key: `${z.name}_alarm_events`, platform: 'event', config: { name: `${z.label ?? z.name} alarm`, state_topic: this.topics.zoneAlarm(z.name), event_types: Object.values(ALARM_EVENTS.zone), icon: 'mdi:alert' } });
    }
    for (const i of this.profile.inputs) {
      add({ key: `input_${i.name}_alarm_events`, platform: 'event', config: { name: `${i.label ?? i.name} alarm`, state_topic: this.topics.inputAlarm(i.name), event_types: Object.values(ALARM_EVENTS.input), icon: 'mdi:alert' } });
    }
  }

  stop(): void {}
}
