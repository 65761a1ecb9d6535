import type { EventEmitter } from 'node:events';

export type PlaybackState = 'playing' | 'paused' | 'stopped' | 'unknown';

/** What the box knows about a zone's music player right now. */
export interface PlayerState {
  /** The control connection is up and the player's state has been read since it came up. */
  connected: boolean;
  state: PlaybackState;
  /** 0-100, or null until read (or when the player has no mixer). */
  volume: number | null;
  mute: boolean | null;
}

export interface PlayerEvents {
  /** Any field of the state changed; `previous` is the state before. */
  change: [state: PlayerState, previous: PlayerState];
}

/**
 * A room's music player (Mopidy or a Snapcast client). `connect()` starts a connection that keeps
 * reconnecting with backoff until `stop()`. Commands resolve with the value the player confirmed
 * and reject when it is unreachable or refuses.
 */
export interface Player extends EventEmitter<PlayerEvents> {
  readonly kind: 'mopidy' | 'snapcast';
  readonly url: string;
  readonly current: PlayerState;
  connect(): void;
  stop(): Promise<void>;
  setVolume(volume: number): Promise<number>;
  setMute(mute: boolean): Promise<boolean>;
}

export class PlayerError extends Error {
  override name = 'PlayerError';
}

export const DISCONNECTED: PlayerState = Object.freeze({ connected: false, state: 'unknown', volume: null, mute: null });

export function sameState(a: PlayerState, b: PlayerState): boolean {
  return a.connected === b.connected && a.state === b.state && a.volume === b.volume && a.mute === b.mute;
}

export function clampVolume(volume: number): number {
  if (!Number.isFinite(volume)) throw new PlayerError(`volume must be a number 0-100, got ${volume}`);
  return Math.max(0, Math.min(100, Math.round(volume)));
}
