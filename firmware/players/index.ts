// Room music players (Mopidy, Snapcast) as plain objects; the zone controller wires them in.
export type { Player, PlayerState, PlaybackState, PlayerEvents } from './player.js';
export { PlayerError } from './player.js';
export type { PlayerOptions } from './connection.js';
export { createPlayer, parsePlayerUrl, type PlayerAddress } from './create-player.js';
export { MopidyPlayer } from './mopidy.js';
export { SnapcastPlayer } from './snapcast.js';
export { PlayerPlaybackSource, type PlaybackSourceEvents } from './playback-source.js';
export { PlayerVolumeSync, type CapEnforced, type VolumeSyncEvents } from './volume-sync.js';
