import type { InputProfile } from '../board/profile.js';
import type { BoxContext } from '../context.js';

/**
 * Home Assistant entities of one input: present (connectivity), alarm (problem) and peak level.
 * The peak sensor reads P/input/<i>/peak, which carries the highest peak of each second, so the
 * recorder stores about one value a second instead of every level report.
 */
export function addInputEntities(ctx: BoxContext, input: InputProfile): void {
  const label = input.label ?? input.name;
  const state = ctx.topics.inputState(input.name);
  ctx.discovery.add({
    key: `input_${input.name}_present`,
    platform: 'binary_sensor',
    config: {
      name: `${label} present`,
      state_topic: state,
      value_template: "{{ 'ON' if value_json.present else 'OFF' }}",
      device_class: 'connectivity',
    },
  });
  ctx.discovery.add({
    key: `input_${input.name}_alarm`,
    platform: 'binary_sensor',
    config: {
      name: `${label} alarm`,
      state_topic: state,
      value_template: "{{ 'OFF' if value_json.alarm is none else 'ON' }}",
      json_attributes_topic: state,
      json_attributes_template: '{{ {"alarm": value_json.alarm} | tojson }}',
      device_class: 'problem',
    },
  });
  ctx.discovery.add({
    key: `input_${input.name}_peak`,
    platform: 'sensor',
    config: {
      name: `${label} peak level`,
      state_topic: ctx.topics.inputPeak(input.name),
      value_template: '{{ value_json.peak_dbfs | max }}',
      unit_of_measurement: 'dBFS',
      state_class: 'measurement',
      suggested_display_precision: 1,
      expire_after: 10,
    },
  });
}
