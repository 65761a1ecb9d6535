import type { ZoneProfile } from '../board/profile.js';
import type { BoxContext } from '../context.js';

/** Home Assistant entities of one zone besides its controls' (see controls.ts), keys `<zone>_<what>`. */
export function addZoneEntities(ctx: BoxContext, zone: ZoneProfile): void {
  const label = zone.label ?? zone.name;
  const state = ctx.topics.zoneState(zone.name);
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
