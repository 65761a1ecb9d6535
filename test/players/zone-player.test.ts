import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BoxProcess } from '../helpers/box-process.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttProbe } from '../helpers/mqtt-probe.js';
import { MopidyServer } from '../helpers/players.js';

interface ZoneState {
  power: string;
  playing: boolean;
  volume: number;
  volume_db: number;
  mute: boolean;
  player?: { url: string; connected: boolean; state: string };
}

describe('a zone that follows its Mopidy (real Mopidy 3.4, VOLUME_SYNC=player)', () => {
  const mopidy = new MopidyServer(35);
  const broker = new Mosquitto();
  let probe: MqttProbe;
  let box: BoxProcess;
  const state = () => probe.json<ZoneState>('roombox/testbox/zone/living/state');
  const waitState = (pred: (s: ZoneState) => boolean, what: string, timeoutMs = 30_000) =>
    probe.waitFor((m) => m.topic === 'roombox/testbox/zone/living/state' && pred(JSON.parse(m.payload) as ZoneState), timeoutMs, what);

  before(async () => {
    await mopidy.start();
    await broker.start();
    probe = await MqttProbe.connect(broker.url, ['roombox/testbox/zone/living/state', 'roombox/testbox/event', 'homeassistant/device/testbox/config']);
    box = new BoxProcess({
      ROOMBOX_MQTT_URL: broker.url,
      ROOMBOX_ZONE_LIVING_PLAYER: mopidy.url,
      ROOMBOX_ZONE_LIVING_VOLUME_SYNC: 'player',
      ROOMBOX_ZONE_LIVING_MAX_VOLUME: '60',
      ROOMBOX_AMP_IDLE_S: '2',
    }).start();
  });
  after(async () => {
    await box.dispose();
    await probe.close();
    await broker.dispose();
    await mopidy.dispose();
  });

  it('shows the player link and mirrors its volume', async () => {
    const s = JSON.parse((await waitState((x) => x.player?.connected === true && x.volume === 35, 'player connected, volume 35')).payload) as ZoneState;
    assert.equal(s.player!.url, mopidy.url);
    assert.equal(s.volume_db, 0, 'the chip holds the fixed gain');
    const cfg = JSON.parse((await probe.waitFor((m) => m.topic.startsWith('homeassistant/'))).payload);
    assert.equal(cfg.cmps.living_player.device_class, 'connectivity');
  });

  it('powers the zone up when music starts on Mopidy', async () => {
    await mopidy.play();
    await waitState((x) => x.power === 'on' && x.playing, 'powered up by Mopidy playback');
  });

  it('sends zone volume commands to Mopidy and shows what Mopidy confirmed', async () => {
    await probe.publish('roombox/testbox/zone/living/volume/set', '50');
    await waitState((x) => x.volume === 50, 'volume 50');
    assert.equal(await mopidy.rpc<number>('core.mixer.get_volume'), 50);
    await probe.publish('roombox/testbox/zone/living/volume/set', '80');
    await waitState((x) => x.volume === 60, 'a command above the cap applies the cap');
    assert.equal(await mopidy.rpc<number>('core.mixer.get_volume'), 60);
  });

  it('sets a phone that turned Mopidy above the cap back to the cap, and says so', async () => {
    await mopidy.rpc('core.mixer.set_volume', { volume: 95 });
    await probe.waitFor((m) => m.topic === 'roombox/testbox/event' && /volume_capped/.test(m.payload), 20_000, 'volume_capped event');
    const deadline = Date.now() + 20_000;
    while ((await mopidy.rpc<number>('core.mixer.get_volume')) !== 60 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await mopidy.rpc<number>('core.mixer.get_volume'), 60);
    await waitState((x) => x.volume === 60, 'state back at the cap');
  });

  it('lets the zone idle to standby when Mopidy stops', async () => {
    await mopidy.rpc('core.playback.stop');
    await waitState((x) => x.power === 'standby' && !x.playing, 'standby after stop', 40_000);
    assert.ok(state().length > 3);
  });
});
