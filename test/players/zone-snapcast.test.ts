import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BoxProcess } from '../helpers/box-process.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttProbe } from '../helpers/mqtt-probe.js';
import { SnapServer } from '../helpers/players.js';
import { ZoneWatch } from '../helpers/zone-watch.js';

interface Status {
  server: { groups: { clients: { id: string; config: { volume: { percent: number; muted: boolean } } }[] }[] };
}

describe('a zone that follows its Snapcast client (real snapserver and snapclient 0.26, VOLUME_SYNC=player)', { timeout: 300_000 }, () => {
  const snap = new SnapServer();
  const broker = new Mosquitto();
  let probe: MqttProbe;
  let zone: ZoneWatch;
  let box: BoxProcess;

  const onServer = async () => {
    const status = await snap.rpc<Status>('Server.GetStatus');
    return status.server.groups.flatMap((g) => g.clients).find((c) => c.id === 'living')?.config.volume;
  };
  /** Another control connection (a phone app) sets the client's volume. */
  const phoneSets = (percent: number, muted = false) => snap.rpc('Client.SetVolume', { id: 'living', volume: { percent, muted } });

  before(async () => {
    await snap.start();
    await broker.start();
    probe = await MqttProbe.connect(broker.url, [...ZoneWatch.topics('testbox', 'living'), 'roombox/testbox/error']);
    zone = new ZoneWatch(probe, 'testbox', 'living');
    box = new BoxProcess({
      ROOMBOX_MQTT_URL: broker.url,
      ROOMBOX_ZONE_LIVING_PLAYER: snap.playerUrl('living'),
      ROOMBOX_ZONE_LIVING_VOLUME_SYNC: 'player',
      ROOMBOX_ZONE_LIVING_MAX_VOLUME: '60',
      ROOMBOX_AMP_IDLE_S: '2',
    }).start();
  }, { timeout: 180_000 });
  after(async () => {
    await box?.dispose();
    await probe?.close();
    await broker.dispose();
    await snap.dispose();
  }, { timeout: 180_000 });

  it('shows the server link, then the client joining at 100 set back to the cap', async () => {
    const linked = await zone.state((s) => s.player?.connected === true, 'player connected');
    assert.equal(linked.player!.url, snap.playerUrl('living'));
    assert.equal(linked.player!.state, 'unknown', 'no such client on the server yet');
    const mark = zone.mark();
    snap.startClient('living');
    // Snapcast gives a new client 100 %: above the cap of 60, so the box sets it back at once.
    const capped = await zone.event((e) => e.type === 'volume_capped', 'volume_capped for the joining client', mark);
    assert.deepEqual(capped.detail, { from: 100, to: 60, source: 'player' });
    assert.equal(capped.zone, 'living');
    const s = await zone.state((s) => s.player?.state === 'stopped' && s.volume === 60, 'client idle at the cap', mark);
    assert.equal(s.volume_db, 0, 'the chip holds the fixed gain');
    assert.deepEqual(await onServer(), { percent: 60, muted: false });
  });

  it('shows a volume and mute set on Snapcast from another controller', async () => {
    let mark = zone.mark();
    await phoneSets(25);
    await zone.state((s) => s.volume === 25 && !s.mute, 'volume 25 from Snapcast', mark);
    mark = zone.mark();
    await phoneSets(25, true);
    await zone.state((s) => s.volume === 25 && s.mute, 'muted from Snapcast', mark);
    mark = zone.mark();
    await phoneSets(30);
    await zone.state((s) => s.volume === 30 && !s.mute, 'unmuted at 30 from Snapcast', mark);
  });

  it('sends zone volume and mute commands to the Snapcast client, the cap applied', async () => {
    let mark = zone.mark();
    await probe.publish('roombox/testbox/zone/living/volume/set', '45');
    await zone.state((s) => s.volume === 45, 'volume 45', mark);
    assert.deepEqual(await onServer(), { percent: 45, muted: false });
    mark = zone.mark();
    await probe.publish('roombox/testbox/zone/living/volume/set', '80');
    await zone.state((s) => s.volume === 60, 'a command above the cap applies the cap', mark);
    assert.deepEqual(await onServer(), { percent: 60, muted: false });
    mark = zone.mark();
    await probe.publish('roombox/testbox/zone/living/mute/set', 'ON');
    await zone.state((s) => s.mute, 'muted', mark);
    assert.deepEqual(await onServer(), { percent: 60, muted: true });
    mark = zone.mark();
    await probe.publish('roombox/testbox/zone/living/mute/set', 'OFF');
    await zone.state((s) => !s.mute, 'unmuted', mark);
    assert.deepEqual(await onServer(), { percent: 60, muted: false });
    await zone.settled();
    assert.equal(probe.topic('roombox/testbox/error').length, 0, 'no command was refused');
  });

  it('sets a Snapcast volume above the cap back to the cap, says so, and never shows it above the cap', async () => {
    const mark = zone.mark();
    await phoneSets(90);
    const capped = await zone.event((e) => e.type === 'volume_capped', 'volume_capped', mark);
    assert.deepEqual(capped.detail, { from: 90, to: 60, source: 'player' });
    assert.deepEqual(await onServer(), { percent: 60, muted: false });
    // A state sent after the cap was enforced: anything shown in between arrived before it.
    await probe.publish('roombox/testbox/zone/living/volume/set', '59');
    await zone.state((s) => s.volume === 59, 'a command after the cap', mark);
    const shown = probe.messages.slice(mark).filter((m) => m.topic === zone.stateTopic).map((m) => JSON.parse(m.payload).volume as number);
    assert.ok(shown.every((v) => v <= 60), `a zone state showed a volume above the cap of 60: ${shown.join(',')}`);
    await probe.publish('roombox/testbox/zone/living/volume/set', '60');
    await zone.state((s) => s.volume === 60, 'back at the cap', mark);
  });

  it('powers the auto zone up while the stream plays, and to standby once it goes idle', async () => {
    let mark = zone.mark();
    snap.feed();
    const on = await zone.state((s) => s.power === 'on', 'powered up by the Snapcast stream', mark);
    assert.equal(on.mode, 'auto');
    assert.equal(on.playing, true);
    assert.deepEqual(on.player, { url: snap.playerUrl('living'), connected: true, state: 'playing' });
    const up = await zone.event((e) => e.type === 'power_changed', 'power_changed', mark);
    assert.deepEqual(up.detail, { from: 'standby', to: 'on', mode: 'auto', reason: 'playback' });
    mark = zone.mark();
    await snap.stopFeed();
    const idle = await zone.state((s) => s.player?.state === 'stopped', 'Snapcast stream idle', mark);
    assert.equal(idle.player!.connected, true);
    const standby = await zone.state((s) => s.power === 'standby', 'standby after the idle time', mark);
    assert.equal(standby.playing, false);
    const down = await zone.event((e) => e.type === 'power_changed', 'power_changed', mark);
    assert.deepEqual(down.detail, { from: 'on', to: 'standby', mode: 'auto', reason: 'idle' });
  });
});
