import { EventEmitter } from 'node:events';
import type { Player, PlayerState } from './player.js';

export interface PlaybackSourceEvents {
  change: [playing: boolean];
}

/**
 * A player seen as one more "is music playing" input for a zone's playback detector. Not playing
 * whenever the player is unreachable, so the detector falls back to its other inputs (/proc).
 */
export class PlayerPlaybackSource extends EventEmitter<PlaybackSourceEvents> {
  private last: boolean;
  private readonly onChange = (s: PlayerState) => this.check(s);

  constructor(private readonly player: Player) {
    super();
    this.last = PlayerPlaybackSource.isPlaying(player.current);
    player.on('change', this.onChange);
  }

  static isPlaying(s: PlayerState): boolean {
    return s.connected && s.state === 'playing';
  }

  get playing(): boolean {
    return this.last;
  }

  /** True while the player's own state is known (the detector may then trust `playing`). */
  get available(): boolean {
    return this.player.current.connected;
  }

  dispose(): void {
    this.player.off('change', this.onChange);
  }

  private check(s: PlayerState): void {
    const now = PlayerPlaybackSource.isPlaying(s);
    if (now === this.last) return;
    this.last = now;
    this.emit('change', now);
  }
}
