import type { ZoneProfile } from '../board/profile.js';
import type { BoxContext } from '../context.js';

/** Home Assistant entities of one zone (CONTRACT section 3), keys `<zone>_<what>`. */
export function addZoneEntities(ctx: BoxContext, zone: ZoneProfile): void {
  const label = zone.label ?? zone.name;
  const state = ctx.topics.zoneState(zone.name);
  const cmd = (what: string) => ctx.topics.sub(`zone/${zone.name}/${what}/set`);
  ctx.discovery.add({
    key: `${zone.name}_power`,
    platform: 'switch',
    config: { name: `${label} power`, state_topic: state, value_template: "{{ 'ON' if value_json.power == 'on' else 'OFF' }}", command_topic: cmd('power'), payload_on: 'ON', payload_off: 'OFF', icon: 'mdi:amplifier' },
  });
  ctx.discovery.add({
    key: `${zone.name}_volume`,
    platform: 'number',
    config: { name: `${label} volume`, state_topic: state, value_template: '{{ value_json.volume }}', command_topic: cmd('volume'), min: 0, max: 100, step: 1, mode: 'slider', icon: 'mdi:volume-high' },
  });
  ctx.discovery.add({
    key: `${zone.name}_mute`,
    platform: 'switch',
    config: { name: `${label} mute`, state_topic: state, value_template: "{{ 'ON' if value_json.mute else 'OFF' }}", command_topic: cmd('mute'), payload_on: 'ON', payload_off: 'OFF', icon: 'mdi:volume-off' },
  });
  ctx.discovery.add({
    key: `${zone.name}_mode`,
    platform: 'select',
    config: { name: `${label} mode`, state_topic: state, value_template: '{{ value_json.mode }}', command_topic: cmd('mode'), options: ['auto', 'manual'] },
  });
  ctx.discovery.add({
    key: `${zone.name}_playing`,
    platform: 'binary_sensor',
    config: { name: `${label} playing`, state_topic: state, value_template: "{{ 'ON' if value_json.playing else 'OFF' }}", device_class: 'running' },
  });
  ctx.discovery.add({
    key: `${zone.name}_fault`,
    platform: 'binary_sensor',
    config: { name: `${label} fault`, state_topic: state, value_template: "{{ 'ON' if value_json.fault else 'OFF' }}", device_class: 'problem' },
  });
}
