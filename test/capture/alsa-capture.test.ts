import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlsaCaptureSource, loadAlsaCapture } from '../../firmware/capture/alsa-source.js';
import { Meter, type MeterWindow, type SampleFormat } from '../../firmware/capture/meter.js';
import type { InputProfile } from '../../firmware/board/profile.js';
import { sinePcm } from './samples.js';

/**
 * Real capture through alsa-lib without a sound card: `type file` PCMs over the null PCM read
 * their samples from `infile`. They are not paced in real time, so the test counts frames.
 */
const dir = mkdtempSync(join(tmpdir(), 'roombox-alsa-'));
const FRAMES = 48000;
writeFileSync(join(dir, 's16.raw'), sinePcm({ ratio: 0.5, frames: FRAMES, format: 'S16_LE' }));
writeFileSync(join(dir, 's32.raw'), sinePcm({ ratio: 0.5, frames: FRAMES, format: 'S32_LE' }));
const pcm = (name: string, infile: string) => `pcm.${name} {\n  type file\n  slave.pcm "null"\n  file "/dev/null"\n  infile "${infile}"\n  format "raw"\n}\n`;
writeFileSync(
  join(dir, 'asound.conf'),
  `</usr/share/alsa/alsa.conf>\n${pcm('roombox_s16', join(dir, 's16.raw'))}${pcm('roombox_s32', join(dir, 's32.raw'))}${pcm('roombox_zero', '/dev/zero')}`,
);
// alsa-lib reads its configuration on the first open in this process.
process.env.ALSA_CONFIG_PATH = join(dir, 'asound.conf');

const input = (format: SampleFormat): InputProfile => ({ name: 'test', match: { pcm: 'x' }, rate: 48000, channels: 2, format });

/** Captures `frames` frames from a PCM through the real source into the meter (100 ms windows). */
function capture(pcmName: string, format: SampleFormat, frames: number): Promise<MeterWindow[]> {
  return new Promise((resolve, reject) => {
    const windows: MeterWindow[] = [];
    const meter = new Meter({ channels: 2, format, windowFrames: 4800, onWindow: (w) => windows.push(w) });
    let left = frames;
    const timer = setTimeout(() => reject(new Error(`only ${frames - left} of ${frames} frames arrived`)), 30_000);
    const source: AlsaCaptureSource = new AlsaCaptureSource(input(format), pcmName, {
      audio(data, n) {
        if (left <= 0) return;
        const take = Math.min(n, left);
        meter.push(data, take);
        left -= take;
        if (left === 0) {
          clearTimeout(timer);
          void source.close().then(() => resolve(windows));
        }
      },
      overrun() {},
      failed(message) {
        clearTimeout(timer);
        reject(new Error(message));
      },
    });
  });
}

describe('ALSA capture through the file plugin', { skip: alsaMissing(), timeout: 60_000 }, () => {
  after(() => rmSync(dir, { recursive: true, force: true }), { timeout: 30_000 });

  for (const format of ['S16_LE', 'S32_LE'] as const) {
    it(`captures ${format}: a half-scale (-6 dB) sine reads -6.02 peak and -9.03 RMS on both channels`, async () => {
      const windows = await capture(format === 'S16_LE' ? 'roombox_s16' : 'roombox_s32', format, FRAMES);
      assert.equal(windows.length, 10);
      for (const w of windows) {
        for (let c = 0; c < 2; c++) {
          assert.ok(Math.abs(w.peakDbfs[c]! + 6.0206) < 0.001, `peak ${w.peakDbfs[c]}`);
          assert.ok(Math.abs(w.rmsDbfs[c]! + 9.0309) < 0.001, `rms ${w.rmsDbfs[c]}`);
        }
      }
    });
  }

  it('captures digital silence from /dev/zero as the -120 floor', async () => {
    const windows = await capture('roombox_zero', 'S16_LE', 9600);
    assert.equal(windows.length, 2);
    for (const w of windows) assert.deepEqual([...w.peakDbfs, ...w.rmsDbfs], [-120, -120, -120, -120]);
  });

  it('reports a PCM that cannot be opened as a failure naming it', async () => {
    await assert.rejects(capture('roombox_no_such_pcm', 'S16_LE', 100), /cannot open roombox_no_such_pcm/);
  });
});

/** A stand-in for alsa-capture's worker, to replay the event sequences a real device produces rarely. */
class FakeWorker extends EventEmitter {
  closed = 0;
  close() {
    this.closed++;
    setImmediate(() => this.emit('close'));
  }
}

describe('alsa-capture event handling', { timeout: 60_000 }, () => {
  let worker: FakeWorker;
  let got: { frames: number; first: number }[];
  let failures: string[];
  let overruns: number;
  let source: AlsaCaptureSource;
  before(() => {}, { timeout: 30_000 });
  const open = () => {
    got = [];
    failures = [];
    overruns = 0;
    const ctor = function (this: unknown) {
      worker = new FakeWorker();
      return worker;
    } as unknown as ConstructorParameters<typeof AlsaCaptureSource>[3];
    source = new AlsaCaptureSource(input('S16_LE'), 'hw:9,0', { audio: (d, frames) => got.push({ frames, first: d[0]! }), overrun: () => overruns++, failed: (m) => failures.push(m) }, ctor);
  };
  const period = (fill: number) => new Uint8Array(960 * 4).fill(fill);

  it('meters only the frames of a short read, and drops the stale buffer after an overrun', () => {
    open();
    worker.emit('audio', period(1));
    worker.emit('shortRead', '100');
    worker.emit('audio', period(2));
    worker.emit('overrun', 'overrun occurred');
    worker.emit('audio', period(3));
    worker.emit('audio', period(4));
    assert.deepEqual(got, [{ frames: 960, first: 1 }, { frames: 100, first: 2 }, { frames: 960, first: 4 }]);
    assert.equal(overruns, 1);
    assert.deepEqual(failures, []);
  });

  it('meters at most a second of a backlog delivered in one turn, drops the rest as one overrun, and goes on', async () => {
    open();
    // 3 s of 20 ms periods handed over at once, as after the main thread was blocked that long.
    for (let i = 0; i < 150; i++) worker.emit('audio', period(i % 250));
    assert.equal(got.length, 50, 'one second metered from the backlog');
    assert.equal(overruns, 0, 'the overrun is reported once the turn is over');
    await new Promise((r) => setImmediate(r));
    assert.equal(overruns, 1);
    worker.emit('audio', period(7));
    assert.deepEqual(got.at(-1), { frames: 960, first: 7 }, 'the next turn is metered again');
    await new Promise((r) => setImmediate(r));
    assert.equal(overruns, 1);
  });

  it('closes on the first read error (a vanished device repeats it) and meters nothing after it', async () => {
    open();
    worker.emit('readError', 'No such device');
    worker.emit('audio', period(5));
    worker.emit('readError', 'No such device');
    assert.deepEqual(failures, ['read from hw:9,0 failed: No such device']);
    assert.deepEqual(got, []);
    await source.close();
    assert.equal(worker.closed, 1);
  });

  it('reports an open error and does not touch the ended worker again', async () => {
    open();
    worker.emit('error', new Error('Unable to open PCM device: No such device\n'));
    assert.deepEqual(failures, ['cannot open hw:9,0: Unable to open PCM device: No such device']);
    await source.close();
    assert.equal(worker.closed, 0);
  });
});

function alsaMissing(): string | false {
  try {
    loadAlsaCapture();
    return false;
  } catch (err) {
    return (err as Error).message;
  }
}
