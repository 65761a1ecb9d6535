import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mosquitto } from '../helpers/mosquitto.js';
import { startInProcessBox } from '../helpers/in-process-box.js';
import { eventually } from '../helpers/wait.js';
import { SimProcTree } from '../../firmware/sim/proc-tree.js';
import { loadProfile } from '../../firmware/board/load-profile.js';

/**
 * The usb-capture board on a fixture tree with a USB card that this machine's ALSA does not have:
 * discovery finds it, the real alsa-capture open fails, and the box says so and keeps trying.
 */
describe('usb-capture board', { timeout: 300_000 }, () => {
  const broker = new Mosquitto();
  before(() => broker.start(), { timeout: 180_000 });
  after(() => broker.dispose(), { timeout: 180_000 });

  it('is a valid profile with one USB input', () => {
    const p = loadProfile('usb-capture');
    assert.deepEqual(p.zones, []);
    assert.deepEqual(p.inputs.map((i) => [i.name, i.match, i.rate, i.channels, i.format]), [['usb', { anyUsb: true }, 48000, 2, 'S16_LE']]);
  });

  it('finds the USB card, reports a failed open clearly, and warns about a small libuv pool', async () => {
    const root = mkdtempSync(join(tmpdir(), 'roombox-usbfix-'));
    const tree = new SimProcTree(root);
    tree.addCard({ index: 0, id: 'Headphones', driver: 'bcm2835_headpho', name: 'bcm2835 Headphones', longName: 'bcm2835 Headphones', playback: [0] });
    tree.addCard({ index: 1, id: 'RoomboxNoSuchCard', driver: 'USB-Audio', name: 'USB Audio Device', longName: 'x', usbId: '0d8c:0014', capture: [0] });
    const saved = process.env.UV_THREADPOOL_SIZE;
    process.env.UV_THREADPOOL_SIZE = '2';
    const box = await startInProcessBox({ env: { ROOMBOX_MQTT_URL: broker.url, ROOMBOX_BOARD: 'usb-capture', ROOMBOX_PROC_ROOT: root } });
    try {
      // The input is asked, as a person at the console would, until it shows the failed open.
      const d = await eventually(
        async () => {
          const shown = JSON.parse((await box.app.ctx.commands.execute('input usb --json', 'test')).output) as Record<string, unknown>;
          if (!((shown.failures as number) > 0)) throw new Error(`no failed open yet: ${JSON.stringify(shown)}`);
          return shown;
        },
        { timeoutMs: 15_000, what: 'a failed open of the USB card' },
      );
      assert.equal(d.present, true);
      assert.equal(d.card, 1);
      assert.equal(d.capturing, false);
      assert.match(String(d.last_error), /cannot open plughw:CARD=RoomboxNoSuchCard,DEV=0/);
      assert.ok(box.ring.last(2000).some((l) => /UV_THREADPOOL_SIZE=2 is too small/.test(l) && /UV_THREADPOOL_SIZE=5/.test(l)));
    } finally {
      if (saved === undefined) delete process.env.UV_THREADPOOL_SIZE;
      else process.env.UV_THREADPOOL_SIZE = saved;
      await box.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('reports an input whose card is missing at start as absent', async () => {
    const root = mkdtempSync(join(tmpdir(), 'roombox-usbfix-'));
    const tree = new SimProcTree(root);
    tree.addCard({ index: 0, id: 'Headphones', driver: 'bcm2835_headpho', name: 'bcm2835 Headphones', longName: 'bcm2835 Headphones', playback: [0] });
    const box = await startInProcessBox({ env: { ROOMBOX_MQTT_URL: broker.url, ROOMBOX_BOARD: 'usb-capture', ROOMBOX_PROC_ROOT: root } });
    try {
      const state = JSON.parse(box.app.ctx.retained.get('roombox/testbox/input/usb/state')!);
      assert.equal(state.present, false);
      assert.equal(state.alarm, 'absent');
      assert.ok(box.ring.last(2000).some((l) => /"input":"usb"/.test(l) && /capture device absent/.test(l)));
    } finally {
      await box.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
