import { EventEmitter } from 'node:events';
import { clampVolume, PlayerError, type Player, type PlayerState } from './player.js';

export interface CapEnforced {
  /** The volume the player reported. */
  from: number;
  /** The cap it was set back to. */
  to: number;
}

export interface VolumeSyncEvents {
  /** The player's volume or mute changed (as confirmed by the player). */
  volume: [volume: number | null, mute: boolean | null];
  /** The player went above the cap and was set back to it: the zone reports this as an event. */
  capped: [CapEnforced];
  /** Setting the volume back failed; it is tried again on the next change or reconnect. */
  failed: [Error];
}

/**
 * VOLUME_SYNC=player: the player owns the zone's volume number. Commands go to the player with the
 * cap applied first; a player volume above the cap (a phone turned it up) is set back to the cap.
 */
export class PlayerVolumeSync extends EventEmitter<VolumeSyncEvents> {
  private cap: number;
  private enforcing?: Promise<CapEnforced | undefined>;
  private readonly onChange = (s: PlayerState, prev: PlayerState) => {
    if (s.volume !== prev.volume || s.mute !== prev.mute) this.emit('volume', s.volume, s.mute);
    if (s.connected) void this.enforce().catch(() => {});
  };

  constructor(
    private readonly player: Player,
    cap: number,
  ) {
    super();
    this.cap = clampVolume(cap);
    player.on('change', this.onChange);
  }

  get volume(): number | null {
    return this.player.current.volume;
  }

  get mute(): boolean | null {
    return this.player.current.mute;
  }

  /** Changes the cap; a player above the new cap is set back to it. */
  async setCap(cap: number): Promise<CapEnforced | undefined> {
    this.cap = clampVolume(cap);
    return this.enforce();
  }

  /** Sends a volume to the player, limited to the cap; resolves with what the player confirmed. */
  async setVolume(volume: number): Promise<number> {
    if (!Number.isFinite(volume) || volume < 0 || volume > 100) throw new PlayerError(`volume must be 0-100, got ${volume}`);
    return this.player.setVolume(Math.min(Math.round(volume), this.cap));
  }

  setMute(mute: boolean): Promise<boolean> {
    return this.player.setMute(mute);
  }

  /**
   * Sets the player back to the cap if it is above it. Resolves with what was done, or undefined
   * when nothing needed doing. Concurrent callers share one attempt.
   */
  enforce(): Promise<CapEnforced | undefined> {
    if (this.enforcing) return this.enforcing;
    const run = async (): Promise<CapEnforced | undefined> => {
      const { connected, volume } = this.player.current;
      if (!connected || volume === null || volume <= this.cap) return undefined;
      const to = await this.player.setVolume(this.cap);
      const done = { from: volume, to };
      this.emit('capped', done);
      return done;
    };
    this.enforcing = run()
      .catch((err: Error) => {
        this.emit('failed', err);
        throw err;
      })
      .finally(() => {
        this.enforcing = undefined;
      });
    return this.enforcing;
  }

  dispose(): void {
    this.player.off('change', this.onChange);
  }
}
