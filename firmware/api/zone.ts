import { Nullable, OneOf, Type, type Static } from './schema.js';

export const POWER_STATES = ['on', 'standby', 'off'] as const;
export const MODES = ['auto', 'manual'] as const;
export const POWER_COMMANDS = ['on', 'off', 'auto'] as const;

export const Power = OneOf(POWER_STATES, 'amp power: on, standby (auto mode, idle) or off');
export type Power = Static<typeof Power>;
export const Mode = OneOf(MODES, 'auto: power follows playback; manual: power as commanded');
export type Mode = Static<typeof Mode>;
export const PowerCommand = OneOf(POWER_COMMANDS, 'on or off (manual mode with that power), or auto');
export type PowerCommand = Static<typeof PowerCommand>;
/** A volume command: any number 0-100 (Home Assistant's number entity sends `50.0`); applied rounded, at most the cap. */
export const VolumeCommand = Type.Number({ minimum: 0, maximum: 100, description: 'volume 0-100; above the cap it is applied at the cap' });
export const MuteCommand = Type.Boolean({ description: 'true mutes' });

export const PlayerInfo = Type.Object(
  {
    url: Type.String({ description: 'the player URL (no password)' }),
    connected: Type.Boolean({ description: 'the player answers' }),
    state: Type.String({ description: "the player's playback state" }),
  },
  { description: "the zone's music player, when ROOMBOX_ZONE_<ZONE>_PLAYER is set" },
);
export type PlayerInfo = Static<typeof PlayerInfo>;

export const ZoneState = Type.Object({
  power: Power,
  mode: Mode,
  playing: Type.Boolean({ description: 'playback detected (ALSA stream running with hw_ptr advancing, or the player)' }),
  volume: Type.Integer({ minimum: 0, maximum: 100, description: 'volume 0-100 as applied' }),
  volume_db: Nullable(Type.Number(), 'gain the chip applies in dB; null when the chip has no dB scale'),
  mute: Type.Boolean({ description: 'muted by the user' }),
  max_volume: Type.Integer({ minimum: 0, maximum: 100, description: "the zone's cap" }),
  fault: Type.Boolean({ description: "the amp's fault line is active or its chip does not answer" }),
  player: Type.Optional(PlayerInfo),
});
export type ZoneState = Static<typeof ZoneState>;

/**
 * A zone as `zone --json` lists it: its state, its name, why its chip does not answer, why a
 * power-up failed. The state's properties are spread in: Type.Composite gives the same schema
 * but computes it at every start, slowly (docs/performance.md, Start-up).
 */
export const ZoneListing = Type.Object({
  name: Type.String({ description: 'zone name' }),
  ...ZoneState.properties,
  chip_error: Nullable(Type.String(), 'the last error of a chip that does not answer'),
  power_up_error: Nullable(Type.String(), 'why the last power-up failed (the zone is then in fault)'),
});
export type ZoneListing = Static<typeof ZoneListing>;
