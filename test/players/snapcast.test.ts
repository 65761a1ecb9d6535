import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { systemClock } from '../../firmware/core/clock.js';
import { createPlayer, PlayerPlaybackSource, PlayerVolumeSync, type CapEnforced, type Player } from '../../firmware/players/index.js';
import { SnapServer, waitForState } from '../helpers/players.js';
import { eventually } from '../helpers/wait.js';

interface Status {
  server: { groups: { clients: { id: string; config: { volume: { percent: number; muted: boolean } } }[] }[] };
}

describe('Snapcast player (real snapserver and snapclient 0.26)', { timeout: 300_000 }, () => {
  const snap = new SnapServer();
  let client: ChildProcess;
  let player: Player;
  let source: PlayerPlaybackSource;

  const volumeOnServer = async (id: string) => {
    const status = await snap.rpc<Status>('Server.GetStatus');
    return status.server.groups.flatMap((g) => g.clients).find((c) => c.id === id)?.config.volume;
  };

  /** The server is asked (as a phone app would) until it shows the client's volume as expected. */
  const waitForServerVolume = (pred: (v: number) => boolean) =>
    eventually(
      async () => {
        const v = await volumeOnServer('zone-a');
        if (!v || !pred(v.percent)) throw new Error(`the server shows ${JSON.stringify(v)}`);
        return v.percent;
      },
      { timeoutMs: 20_000, what: 'the client volume on the server', retryMs: 100 },
    );

  before(async () => {
    await snap.start();
    player = createPlayer(snap.playerUrl('zone-a'), { clock: systemClock, baseDelayMs: 200, maxDelayMs: 1000 });
    source = new PlayerPlaybackSource(player);
    player.connect();
  }, { timeout: 180_000 });

  after(async () => {
    source?.dispose();
    await player?.stop();
    await snap.dispose();
  }, { timeout: 180_000 });

  test('connected to the server; the client is unknown until it joins, then idle', async () => {
    await waitForState(player, (s) => s.connected);
    assert.equal(player.current.state, 'unknown');
    client = snap.startClient('zone-a');
    const s = await waitForState(player, (s) => s.state === 'stopped' && s.volume !== null);
    assert.equal(s.connected, true);
    assert.equal(source.playing, false);
  });

  test('the stream playing makes the client playing; the stream going idle makes it not playing', async () => {
    snap.feed();
    await waitForState(player, (s) => s.state === 'playing');
    assert.equal(source.playing, true);
    await snap.stopFeed();
    await waitForState(player, (s) => s.state === 'stopped');
    assert.equal(source.playing, false);
  });

  test("volume set by another controller appears in the client's state", async () => {
    await snap.rpc('Client.SetVolume', { id: 'zone-a', volume: { percent: 64, muted: false } });
    await waitForState(player, (s) => s.volume === 64 && s.mute === false);
    await snap.rpc('Client.SetVolume', { id: 'zone-a', volume: { percent: 64, muted: true } });
    await waitForState(player, (s) => s.mute === true);
  });

  test('setVolume and setMute reach the server and resolve with its reply', async () => {
    assert.equal(await player.setMute(false), false);
    assert.equal(await player.setVolume(41), 41);
    assert.deepEqual(player.current, { connected: true, state: 'stopped', volume: 41, mute: false });
    assert.deepEqual(await volumeOnServer('zone-a'), { percent: 41, muted: false });
  });

  test('a client volume above the cap is set back to the cap, and says so', async () => {
    const sync = new PlayerVolumeSync(player, 50);
    try {
      const capped = new Promise<CapEnforced>((resolve) => sync.once('capped', resolve));
      await snap.rpc('Client.SetVolume', { id: 'zone-a', volume: { percent: 85, muted: false } });
      assert.deepEqual(await capped, { from: 85, to: 50 });
      assert.deepEqual(await volumeOnServer('zone-a'), { percent: 50, muted: false });
      assert.equal(player.current.volume, 50);
    } finally {
      sync.dispose();
    }
  });

  test("the client's group switched to an idle stream: not playing; back: playing", async () => {
    snap.feed();
    await waitForState(player, (s) => s.state === 'playing');
    const status = await snap.rpc<{ server: { groups: { id: string; clients: { id: string }[] }[] } }>('Server.GetStatus');
    const group = status.server.groups.find((g) => g.clients.some((c) => c.id === 'zone-a'))!;
    await snap.rpc('Group.SetStream', { id: group.id, stream_id: 'other' });
    await waitForState(player, (s) => s.state === 'stopped');
    await snap.rpc('Group.SetStream', { id: group.id, stream_id: 'room' });
    await waitForState(player, (s) => s.state === 'playing');
    await snap.stopFeed();
  });

  test('the snapclient leaving while the stream plays: not playing', async () => {
    snap.feed();
    await waitForState(player, (s) => s.state === 'playing');
    await snap.stopClient(client);
    await waitForState(player, (s) => s.state === 'stopped');
    assert.equal(source.playing, false);
    assert.equal(player.current.connected, true);
    await snap.stopFeed();
  });

  test('snapserver killed: disconnected; restarted: reconnects and reads the client again', async () => {
    client = snap.startClient('zone-a');
    await waitForState(player, (s) => s.state === 'stopped' && s.volume === 50);
    await snap.kill();
    const down = await waitForState(player, (s) => !s.connected);
    assert.equal(down.state, 'unknown');
    await assert.rejects(player.setVolume(10), /not connected/);
    await snap.start();
    // Killed without saving, the server takes the returning client back at its default volume
    // (not the 50 from before): the reconnected player must show what the server now says.
    const onServer = await waitForServerVolume((v) => v !== 50);
    await waitForState(player, (s) => s.connected && s.volume === onServer);
    snap.feed();
    await waitForState(player, (s) => s.state === 'playing');
    await snap.stopFeed();
  });
});
