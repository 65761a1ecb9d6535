import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mosquitto } from '../helpers/mosquitto.js';
import { startInProcessBox } from '../helpers/in-process-box.js';
import { eventually } from '../helpers/wait.js';
import { SimProcTree } from '../../firmware/sim/proc-tree.js';
import { loadAlsaCapture } from '../../firmware/capture/alsa-source.js';
import type { BoxEventInput } from '../../firmware/core/bus.js';

/**
 * A real-ALSA input in the box: presence from a fixture tree, samples from a `type file` PCM
 * over the null PCM. Unplugging the card closes the capture; plugging it back reopens it.
 *
 * The null PCM has no clock: the file plugin's blocking read of its `infile` is what paces the
 * capture. So the infile is a FIFO that this test fills with silence at the real rate, one 20 ms
 * period at a time, like a sound card's clock. (Reading /dev/zero instead is unpaced: alsa-capture's
 * worker then queues audio faster than any meter takes it, and the process grows by gigabytes.)
 */
const dir = mkdtempSync(join(tmpdir(), 'roombox-alsabox-'));
const fifo = join(dir, 'capture.fifo');
execFileSync('mkfifo', [fifo]);
writeFileSync(join(dir, 'asound.conf'), `</usr/share/alsa/alsa.conf>\npcm.roombox_zero {\n  type file\n  slave.pcm "null"\n  file "/dev/null"\n  infile "${fifo}"\n  format "raw"\n}\n`);

/**
 * Writes one period of S16_LE stereo silence every 20 ms. The FIFO is held open read-write, so
 * the capture's open never waits for a writer and a closed capture never breaks the pipe; while
 * nobody reads, a full pipe drops the period instead of blocking the test.
 */
function startSilenceClock(): () => void {
  const fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
  const period = Buffer.alloc((48000 / 50) * 4);
  const timer = setInterval(() => {
    try {
      writeSync(fd, period);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
    }
  }, 20);
  return () => {
    clearInterval(timer);
    closeSync(fd);
  };
}
process.env.ALSA_CONFIG_PATH = join(dir, 'asound.conf');
const profile = {
  name: 'alsa-test',
  description: 'test board: one input present with card Device, captured from a file PCM',
  zones: [],
  inputs: [{ name: 'mic', match: { cardId: 'Device', pcm: 'roombox_zero' }, rate: 48000, channels: 2, format: 'S16_LE' }],
};
writeFileSync(join(dir, 'alsa-test.json'), JSON.stringify(profile));

const available = (() => {
  try {
    loadAlsaCapture();
    return true;
  } catch {
    return false;
  }
})();

describe('a real ALSA input in the box', { skip: available ? false : 'alsa-capture is not installed', timeout: 300_000 }, () => {
  const broker = new Mosquitto();
  let stopClock = () => {};
  before(async () => {
    stopClock = startSilenceClock();
    await broker.start();
  }, { timeout: 180_000 });
  after(async () => {
    await broker.dispose();
    stopClock();
    rmSync(dir, { recursive: true, force: true });
  }, { timeout: 180_000 });

  it('captures while the card is there, closes when it goes and reopens when it returns', async () => {
    const tree = new SimProcTree(join(dir, 'root'));
    const card = { index: 1, id: 'Device', driver: 'USB-Audio', name: 'USB Audio Device', longName: 'x', usbId: '0d8c:0014', capture: [0] };
    tree.addCard(card);
    const box = await startInProcessBox({ env: { ROOMBOX_MQTT_URL: broker.url, ROOMBOX_BOARD: join(dir, 'alsa-test.json'), ROOMBOX_PROC_ROOT: tree.root } });
    const events: string[] = [];
    box.app.ctx.bus.on('box.event', (e: BoxEventInput) => events.push(e.type));
    const info = async () => JSON.parse((await box.app.ctx.commands.execute('input mic --json', 'test')).output);
    /** The input is asked, as a person at the console would, until it shows `what`. */
    const until = (what: string, pred: (d: Record<string, any>) => boolean) =>
      eventually(
        async () => {
          const d = await info();
          if (!pred(d)) throw new Error(JSON.stringify(d));
          return d as Record<string, any>;
        },
        { timeoutMs: 15_000, what },
      );
    try {
      const d = await until('capturing', (x) => x.capturing && x.levels !== null);
      assert.equal(d.pcm, 'roombox_zero');
      assert.equal(d.card, 1);
      assert.deepEqual(d.levels.rms_dbfs, [-120, -120]);

      tree.removeCard(1);
      await until('absent', (x) => !x.present && !x.capturing && x.alarm === 'absent');
      assert.ok(events.includes('input_absent'));

      tree.addCard(card);
      await until('capturing again', (x) => x.present && x.capturing);
      assert.ok(events.includes('input_present'));
      assert.equal((await info()).failures, 0);
    } finally {
      await box.stop();
    }
  });
});
