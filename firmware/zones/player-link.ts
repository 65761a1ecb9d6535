import type { ZoneProfile } from '../board/profile.js';
import type { AmpChip } from '../chips/amp-chip.js';
import type { BoxContext } from '../context.js';
import { createPlayer, PlayerPlaybackSource, PlayerVolumeSync, type Player } from '../players/index.js';
import type { PlaybackSource } from './playback.js';
import type { Zone } from './zone.js';

export interface PlayerInfo {
  url: string;
  connected: boolean;
  state: string;
}

/**
 * A zone's music player (ROOMBOX_ZONE_<ZONE>_PLAYER): one more playback source for the zone's
 * detector, its link state in the zone state, and with VOLUME_SYNC=player the owner of the
 * zone's volume and mute (the chip then holds the profile's fixed gain, so nothing attenuates
 * twice; the cap still holds: a player above it is set back).
 */
export class ZonePlayerLink {
  readonly player: Player;
  private readonly source: PlayerPlaybackSource;
  private sync?: PlayerVolumeSync;

  constructor(
    private readonly ctx: BoxContext,
    private readonly profile: ZoneProfile,
    url: string,
  ) {
    this.player = createPlayer(url, { clock: ctx.clock });
    this.source = new PlayerPlaybackSource(this.player);
  }

  info(): PlayerInfo {
    const s = this.player.current;
    return { url: this.player.url, connected: s.connected, state: s.state };
  }

  playbackSource(): PlaybackSource {
    return { name: 'player', playing: () => this.source.playing };
  }

  /** Before zone.start(): route the zone's volume and mute to the player. */
  ownVolume(zone: Zone, chip: AmpChip, cap: number): void {
    const sync = (this.sync = new PlayerVolumeSync(this.player, cap));
    const fixed = this.profile.fixedGainDb ?? 0;
    let chipAtFixedGain = false;
    zone.volumeOwnedElsewhere = true;
    zone.volumePath = async (volume) => {
      if (!chipAtFixedGain) {
        await chip.setVolumeDb(fixed);
        chipAtFixedGain = true;
        return fixed; // the restored number at start is not pushed onto the player: it owns it
      }
      await sync.setVolume(volume);
      return fixed;
    };
    // A chip back from a reset needs its fixed gain again (the next volume call sets it, not the player).
    zone.onChipReset = () => (chipAtFixedGain = false);
    zone.mutePath = async (mute) => {
      await sync.setMute(mute);
    };
    sync.on('volume', (volume, mute) => zone.mirror(volume, mute));
    sync.on('capped', (c) => this.ctx.bus.emit('box.event', { type: 'volume_capped', zone: this.profile.name, detail: { from: c.from, to: c.to, source: 'player' } }));
    sync.on('failed', (err) => this.ctx.log.warn({ zone: this.profile.name, err: err.message }, 'could not set the player back to the cap'));
  }

  start(onChange: () => void): void {
    this.player.on('change', (s, prev) => {
      if (s.connected !== prev.connected) this.ctx.log.info({ zone: this.profile.name, url: this.player.url, connected: s.connected }, s.connected ? 'player connected' : 'player unreachable; playback from /proc only');
      if (s.connected !== prev.connected || s.state !== prev.state) onChange();
    });
    this.player.connect();
  }

  async stop(): Promise<void> {
    this.sync?.dispose();
    this.source.dispose();
    await this.player.stop();
  }
}
