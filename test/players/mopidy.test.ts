import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { systemClock } from '../../firmware/core/clock.js';
import { createPlayer, PlayerPlaybackSource, PlayerVolumeSync, type CapEnforced, type Player } from '../../firmware/players/index.js';
import { MopidyServer, waitForState } from '../helpers/players.js';

describe('Mopidy player (real Mopidy 3.4)', { timeout: 300_000 }, () => {
  const mopidy = new MopidyServer(35);
  let player: Player;
  let source: PlayerPlaybackSource;

  before(async () => {
    await mopidy.start();
    player = createPlayer(mopidy.url, { clock: systemClock, baseDelayMs: 200, maxDelayMs: 1000 });
    source = new PlayerPlaybackSource(player);
    player.connect();
  }, { timeout: 180_000 });

  after(async () => {
    source?.dispose();
    await player?.stop();
    await mopidy.dispose();
  }, { timeout: 180_000 });

  test('connects and reads the current state', async () => {
    const s = await waitForState(player, (s) => s.connected);
    assert.deepEqual(s, { connected: true, state: 'stopped', volume: 35, mute: false });
    assert.equal(source.playing, false);
  });

  test('play from Mopidy makes the source playing; stop makes it not playing', async () => {
    const changes: boolean[] = [];
    source.on('change', (p) => changes.push(p));
    await mopidy.play();
    await waitForState(player, (s) => s.state === 'playing');
    assert.equal(source.playing, true);
    await mopidy.rpc('core.playback.pause');
    await waitForState(player, (s) => s.state === 'paused');
    assert.equal(source.playing, false);
    await mopidy.rpc('core.playback.play');
    await waitForState(player, (s) => s.state === 'playing');
    await mopidy.rpc('core.playback.stop');
    await waitForState(player, (s) => s.state === 'stopped');
    assert.equal(source.playing, false);
    assert.deepEqual(changes, [true, false, true, false]);
    source.removeAllListeners('change');
  });

  test('volume and mute set on Mopidy appear in the state', async () => {
    await mopidy.rpc('core.mixer.set_volume', { volume: 57 });
    await waitForState(player, (s) => s.volume === 57);
    await mopidy.rpc('core.mixer.set_mute', { mute: true });
    await waitForState(player, (s) => s.mute === true);
    await mopidy.rpc('core.mixer.set_mute', { mute: false });
    await waitForState(player, (s) => s.mute === false);
  });

  test('setVolume and setMute reach Mopidy and resolve with the confirmed value', async () => {
    assert.equal(await player.setVolume(42), 42);
    assert.equal(await mopidy.rpc('core.mixer.get_volume'), 42);
    assert.equal(player.current.volume, 42);
    assert.equal(await player.setMute(true), true);
    assert.equal(await mopidy.rpc('core.mixer.get_mute'), true);
    await player.setMute(false);
    await assert.rejects(player.setVolume(Number.NaN), /volume/);
  });

  test('a Mopidy volume above the cap is set back to the cap, and says so', async () => {
    const sync = new PlayerVolumeSync(player, 60);
    try {
      const capped = new Promise<CapEnforced>((resolve) => sync.once('capped', resolve));
      await mopidy.rpc('core.mixer.set_volume', { volume: 90 });
      assert.deepEqual(await capped, { from: 90, to: 60 });
      await waitForState(player, (s) => s.volume === 60);
      assert.equal(await mopidy.rpc('core.mixer.get_volume'), 60);
      // Commands are limited to the cap too.
      assert.equal(await sync.setVolume(80), 60);
      assert.equal(await sync.setVolume(20), 20);
      assert.equal(await mopidy.rpc('core.mixer.get_volume'), 20);
      // Lowering the cap below the current volume sets the player back at once.
      await sync.setVolume(50);
      assert.deepEqual(await sync.setCap(30), { from: 50, to: 30 });
      assert.equal(await mopidy.rpc('core.mixer.get_volume'), 30);
    } finally {
      sync.dispose();
    }
  });

  test('Mopidy killed: disconnected and not playing; restarted: reconnects and reads the state again', async () => {
    await mopidy.play();
    await waitForState(player, (s) => s.state === 'playing');
    assert.equal(player.current.volume, 30);
    await mopidy.kill();
    const down = await waitForState(player, (s) => !s.connected);
    assert.equal(down.state, 'unknown');
    assert.equal(source.playing, false);
    await assert.rejects(player.setVolume(10), /not connected/);
    await mopidy.start();
    // A fresh Mopidy is stopped at its configured volume: the client must have read both.
    const up = await waitForState(player, (s) => s.connected);
    assert.deepEqual(up, { connected: true, state: 'stopped', volume: 35, mute: false });
    await mopidy.play();
    await waitForState(player, (s) => s.state === 'playing');
    assert.equal(source.playing, true);
  });
});
