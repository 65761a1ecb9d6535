import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlacFileEncoder } from '../../firmware/recording/flac-encoder.js';
import { repairSegment } from '../../firmware/recording/flac-format.js';
import { decodeS16, flacTest, tags, totalSamples } from './flac-tools.js';

/**
 * The encoder as the recorder runs it (flac on stdin, output through us), and the repair of a
 * file cut off anywhere, as a SIGKILL or a power cut leaves it: cut after its last whole frame,
 * it decodes, and what it holds is exactly the start of what was written.
 */
describe('FLAC segment files', { timeout: 60_000 }, () => {
  it('closes a file flac can test (sample count and MD5 filled in), and repairs one cut at any byte', { timeout: 50_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roombox-flac-'));
    try {
      const rate = 48000;
      const frames = 3 * rate + 1234;
      const pcm = new Int16Array(frames * 2);
      let seed = 7;
      for (let f = 0; f < frames; f++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        const v = Math.round(8000 * Math.sin((2 * Math.PI * 440 * f) / rate) + ((seed % 2001) - 1000));
        pcm[2 * f] = v;
        pcm[2 * f + 1] = -v;
      }
      const file = join(dir, 'whole.flac');
      const failures: string[] = [];
      const enc = new FlacFileEncoder(file, { rate, channels: 2, format: 'S16_LE' }, { ROOMBOX_BOX: 'box-1', ROOMBOX_START: '2026-01-02T03:04:05.000000Z' }, (m) => failures.push(m));
      // Fed in uneven chunks, as captures deliver.
      const bytes = new Uint8Array(pcm.buffer);
      for (let o = 0; o < bytes.length; o += 4 * 997) enc.write(bytes.subarray(o, Math.min(bytes.length, o + 4 * 997)));
      const closed = await enc.close();
      assert.deepEqual(failures, []);
      assert.equal(closed.frames, frames);
      assert.equal(closed.bytes, statSync(file).size);
      const t = flacTest(file);
      assert.ok(t.ok, t.output);
      assert.doesNotMatch(t.output, /MD5/, 'the MD5 is set, and flac -t checked it');
      assert.equal(totalSamples(file), frames);
      assert.deepEqual(decodeS16(file), pcm);
      assert.equal(tags(file).ROOMBOX_BOX, 'box-1');
      // A whole file comes out of the repair unchanged.
      const before = readFileSync(file);
      assert.equal(repairSegment(file).samples, frames);
      assert.deepEqual(readFileSync(file), before);

      const size = before.length;
      for (const cut of [Math.floor(size * 0.1), Math.floor(size * 0.5) + 3, size - 1, size - 700]) {
        const part = join(dir, `cut-${cut}.flac`);
        copyFileSync(file, part);
        truncateSync(part, cut);
        const r = repairSegment(part);
        const pt = flacTest(part);
        assert.ok(pt.ok, `cut at ${cut}: ${pt.output}`);
        const got = decodeS16(part);
        assert.equal(got.length / 2, r.samples);
        assert.equal(totalSamples(part), r.samples);
        assert.deepEqual(got, pcm.subarray(0, got.length), 'the samples kept are the ones written');
        // At most the frame being written is lost (flac's block: 4096 samples at 48 kHz).
        const lostBytes = size - cut;
        assert.ok(r.samples >= frames - 4096 - Math.ceil((lostBytes / size) * frames) - 4096, `cut at ${cut} kept ${r.samples} samples`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
