import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BoxProcess } from '../helpers/box-process.js';
import { zoneState, type ZoneStateMessage } from '../helpers/box-api.js';
import { MqttProbe } from '../helpers/mqtt-probe.js';
import { brokerWithProbe } from '../helpers/broker-with-probe.js';
import { runningStatus, SimProcTree } from '../../firmware/sim/proc-tree.js';
import { simCards } from '../../firmware/sim/sim-board.js';
import { loadProfile } from '../../firmware/board/load-profile.js';
import { pcm512xVolumeReg } from '../../firmware/chips/pcm512x.js';
import { volumeToDb } from '../../firmware/chips/amp-chip.js';

/**
 * The real box process on the sim board against a real mosquitto. The simulated chips' register
 * writes are read from the box's debug log lines (`hw` entries), the documented window into the
 * simulated hardware for out-of-process tests.
 */
const P = 'roombox/testbox';
const stateOf = (zone: string, pred: (s: ZoneStateMessage) => boolean) => zoneState(P, zone, pred);

describe('zones in the real box process', { timeout: 300_000 }, () => {
  const mq = brokerWithProbe([`${P}/#`]);
  const broker = mq.broker;

  it('volume/set 40 sets the PCM512x volume registers for the dB at 40; a RUNNING advancing stream powers an auto zone up; SIGTERM mutes and turns the amp off', async () => {
    const profile = loadProfile('sim');
    const tree = new SimProcTree(mkdtempSync(join(tmpdir(), 'roombox-procroot-')));
    for (const c of simCards(profile)) tree.addCard(c);
    const box = new BoxProcess({ ROOMBOX_MQTT_URL: broker.url, ROOMBOX_PROC_ROOT: tree.root, ROOMBOX_LOG_LEVEL: 'debug' }).start();
    let feeder: NodeJS.Timeout | undefined;
    try {
      await mq.probe.waitFor(stateOf('living', (s) => s.power === 'standby' && s.mode === 'auto'), 30_000, 'living in auto standby');
      const living = profile.zones.find((z) => z.name === 'living')!;
      const db = volumeToDb(40, living.volumeDb);
      const reg = pcm512xVolumeReg(db);
      await mq.probe.publish(`${P}/zone/living/volume/set`, '40');
      const st = await mq.probe.waitFor(stateOf('living', (s) => s.volume === 40), 15_000, 'volume 40 in the state');
      assert.equal(JSON.parse(st.payload).volume_db, 24 - 0.5 * reg);
      const late = await MqttProbe.connect(broker.url, [`${P}/zone/living/state`]);
      let retained;
      try {
        retained = await late.waitFor((m) => m.retain && stateOf('living', (s) => s.volume === 40)(m), 10_000, 'retained state at 40');
      } finally {
        await late.close();
      }
      assert.equal(JSON.parse(retained.payload).volume_db, -36);
      const writes = () =>
        box
          .logs()
          .map((l) => l.hw as { kind: string; addr: number; reg: number; value: number } | undefined)
          .filter((e) => e?.kind === 'i2c' && e.addr === 0x4c);
      await box.waitForLog(new RegExp(`"reg":62,"value":${reg}`), 10_000);
      const last = writes().filter((e) => e!.reg === 0x3d || e!.reg === 0x3e).slice(-2);
      assert.deepEqual(last.map((e) => [e!.reg, e!.value]), [[0x3d, reg], [0x3e, reg]]);

      let hw = 0;
      feeder = setInterval(() => tree.writeStatus(0, 0, 'p', 0, runningStatus((hw += 4800))), 100);
      await mq.probe.waitFor(stateOf('living', (s) => s.power === 'on' && s.playing === true), 20_000, 'living powered up by playback');
      const up = await mq.probe.waitFor((m) => m.topic === `${P}/event` && m.payload.includes('"power_changed"'), 10_000, 'power_changed');
      assert.deepEqual(JSON.parse(up.payload).detail, { from: 'standby', to: 'on', mode: 'auto', reason: 'playback' });
      clearInterval(feeder);

      assert.equal(await box.kill('SIGTERM'), 0);
      const lines = box.logs().map((l) => l.hw as { kind: string; line?: number; value: number; addr?: number; reg?: number } | undefined).filter(Boolean);
      const tail = lines.slice(-8).map((e) => (e!.kind === 'line' ? `line ${e!.line}=${e!.value}` : `0x${e!.addr!.toString(16)}:${e!.reg}=${e!.value}`));
      // living: soft mute, mute line (active low), standby, enable off; kitchen: mute byte, mute line, enable off.
      assert.ok(tail.join(' ').includes('0x4c:3=17 line 22=0 0x4c:2=16 line 17=0'), tail.join(' '));
    } finally {
      if (feeder) clearInterval(feeder);
      await box.dispose();
      tree.dispose();
    }
  });
});
