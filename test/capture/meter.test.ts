import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Meter, type MeterWindow, type SampleFormat } from '../../firmware/capture/meter.js';
import { sinePcm } from './samples.js';

function meterAll(data: Uint8Array, opts: { channels?: number; format?: SampleFormat; windowFrames: number; chunk?: number; offset?: number }): MeterWindow[] {
  const windows: MeterWindow[] = [];
  const channels = opts.channels ?? 2;
  const format = opts.format ?? 'S16_LE';
  const m = new Meter({ channels, format, windowFrames: opts.windowFrames, onWindow: (w) => windows.push(w) });
  const frameBytes = channels * (format === 'S16_LE' ? 2 : 4);
  const chunkBytes = (opts.chunk ?? 1024) * frameBytes;
  // Copy into a buffer at an odd offset when asked, as a pooled Buffer can be.
  let src = data;
  if (opts.offset) {
    const b = new Uint8Array(data.byteLength + opts.offset);
    b.set(data, opts.offset);
    src = b.subarray(opts.offset);
  }
  for (let o = 0; o < src.byteLength; o += chunkBytes) m.push(src.subarray(o, Math.min(src.byteLength, o + chunkBytes)));
  return windows;
}

const close = (actual: number, expected: number, tol: number, what: string) => assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} is not within ${tol} of ${expected}`);

describe('meter', { timeout: 60_000 }, () => {
  it('reads a half-scale (-6 dB) sine as -6.02 peak and -9.03 RMS on every channel (S16 and S32)', () => {
    for (const format of ['S16_LE', 'S32_LE'] as const) {
      const ws = meterAll(sinePcm({ ratio: 0.5, frames: 48000, format }), { format, windowFrames: 4800 });
      assert.equal(ws.length, 10);
      for (const w of ws) {
        for (let c = 0; c < 2; c++) {
          close(w.peakDbfs[c]!, -6.0206, 0.0005, `${format} peak`);
          close(w.rmsDbfs[c]!, -9.0309, 0.0005, `${format} rms`);
          assert.equal(w.clipped[c], 0);
        }
      }
    }
  });

  it('reads a full-scale sine as 0.0 peak and -3.01 RMS, and counts its full-scale samples', () => {
    const [w] = meterAll(sinePcm({ dbfs: 0, frames: 4800 }), { windowFrames: 4800 });
    close(w!.peakDbfs[0]!, 0, 0.001, 'peak');
    close(w!.rmsDbfs[0]!, -3.0103, 0.001, 'rms');
    // 1 kHz at 48 kHz hits the positive crest once per cycle: 100 cycles.
    assert.deepEqual(w!.clipped, [100, 100]);
  });

  it('reads digital silence as the -120 floor', () => {
    const [w] = meterAll(new Uint8Array(4800 * 4), { windowFrames: 4800 });
    assert.deepEqual(w!.peakDbfs, [-120, -120]);
    assert.deepEqual(w!.rmsDbfs, [-120, -120]);
  });

  it('keeps channels apart and counts negative full scale as clipped', () => {
    const buf = Buffer.alloc(100 * 4);
    for (let f = 0; f < 100; f++) {
      buf.writeInt16LE(f === 7 ? -32768 : 0, f * 4);
      buf.writeInt16LE(16384, f * 4 + 2);
    }
    const [w] = meterAll(buf, { windowFrames: 100 });
    assert.deepEqual(w!.clipped, [1, 0]);
    close(w!.peakDbfs[0]!, 0, 1e-9, 'left peak');
    close(w!.peakDbfs[1]!, -6.0206, 0.001, 'right peak');
    close(w!.rmsDbfs[1]!, -6.0206, 0.001, 'right rms (DC)');
  });

  it('gives the same windows whatever the chunking and byte alignment', () => {
    const data = sinePcm({ dbfs: -12.5, hz: 997, frames: 20000 });
    const ref = meterAll(data, { windowFrames: 4800, chunk: 4800 });
    for (const [chunk, offset] of [[1, 0], [333, 1], [7777, 3]] as const) {
      assert.deepEqual(meterAll(data, { windowFrames: 4800, chunk, offset }), ref);
    }
    assert.equal(ref.length, 4, 'a partial window is not reported');
  });

  it('meters only the fresh frames it is told to, and reset drops a window in progress', () => {
    const windows: MeterWindow[] = [];
    const m = new Meter({ channels: 2, format: 'S16_LE', windowFrames: 100, onWindow: (w) => windows.push(w) });
    const loud = sinePcm({ dbfs: 0, frames: 100 });
    const quiet = sinePcm({ dbfs: -40, frames: 100 });
    m.push(loud, 50);
    m.reset();
    const mixed = Buffer.concat([quiet.subarray(0, 50 * 4), loud.subarray(50 * 4)]);
    m.push(mixed, 50); // only the quiet half is fresh
    m.push(quiet.subarray(50 * 4));
    assert.equal(windows.length, 1);
    assert.ok(windows[0]!.peakDbfs[0]! < -39, `stale loud samples were metered: ${windows[0]!.peakDbfs[0]}`);
  });

  it('agrees with sox stats on the same samples', (t) => {
    if (spawnSync('sox', ['--version']).status !== 0) return t.skip('sox is not installed');
    const dir = mkdtempSync(join(tmpdir(), 'roombox-meter-'));
    try {
      const data = sinePcm({ dbfs: -17.3, hz: 441, frames: 48000 });
      const file = join(dir, 'x.raw');
      writeFileSync(file, data);
      const sox = spawnSync('sox', ['-t', 'raw', '-r', '48000', '-e', 'signed', '-b', '16', '-c', '2', '-L', file, '-n', 'remix', '1', 'stats'], { encoding: 'utf8' });
      const pk = Number(/Pk lev dB\s+(-?[\d.]+)/.exec(sox.stderr)?.[1]);
      const rms = Number(/RMS lev dB\s+(-?[\d.]+)/.exec(sox.stderr)?.[1]);
      assert.ok(Number.isFinite(pk) && Number.isFinite(rms), `sox output not understood: ${sox.stderr}`);
      const [w] = meterAll(data, { windowFrames: 48000 });
      // sox divides by 32767, we by 32768: 0.0003 dB apart, below sox's two decimals.
      close(w!.peakDbfs[0]!, pk, 0.01, 'peak vs sox');
      close(w!.rmsDbfs[0]!, rms, 0.01, 'rms vs sox');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
