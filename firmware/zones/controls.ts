import { MuteCommand, PowerCommand, VolumeCommand, Mode } from '../api/zone.js';
import { control } from '../controls/control.js';
import type { Zone } from './zone.js';

const onOff = { payload_on: 'ON', payload_off: 'OFF' } as const;

/** Every control of a zone, declared once; MQTT, the console, Home Assistant and the docs derive from these. */
export const ZONE_CONTROLS = [
  control({
    key: 'power',
    value: PowerCommand,
    words: { ON: 'on', OFF: 'off', AUTO: 'auto' },
    inSet: true,
    help: 'on or off (manual mode with that power), or auto: power follows playback',
    ha: { platform: 'switch', name: 'power', options: { value_template: "{{ 'ON' if value_json.power == 'on' else 'OFF' }}", ...onOff, icon: 'mdi:amplifier' } },
    apply: (zone: Zone, power) => zone.setPower(power),
  }),
  control({
    key: 'mode',
    value: Mode,
    words: { auto: 'auto', manual: 'manual' },
    help: 'auto: power follows playback; manual keeps the current power',
    ha: { platform: 'select', name: 'mode', options: { value_template: '{{ value_json.mode }}', options: ['auto', 'manual'] } },
    apply: (zone: Zone, mode) => zone.setMode(mode),
  }),
  control({
    key: 'volume',
    value: VolumeCommand,
    inSet: true,
    help: 'volume 0-100 (rounded); above the cap it is applied at the cap',
    ha: { platform: 'number', name: 'volume', options: { value_template: '{{ value_json.volume }}', min: 0, max: 100, step: 1, mode: 'slider', icon: 'mdi:volume-high' } },
    apply: async (zone: Zone, volume) => {
      const applied = await zone.setVolume(volume);
      if (applied < Math.round(volume)) return `capped at ${applied}`;
    },
  }),
  control({
    key: 'mute',
    value: MuteCommand,
    words: { ON: true, OFF: false },
    inSet: true,
    help: 'mute on or off',
    ha: { platform: 'switch', name: 'mute', options: { value_template: "{{ 'ON' if value_json.mute else 'OFF' }}", ...onOff, icon: 'mdi:volume-off' } },
    apply: (zone: Zone, mute) => zone.setMute(mute),
  }),
];
