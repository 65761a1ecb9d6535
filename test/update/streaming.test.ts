import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { Card } from './card.js';
import { writeRelease } from './release-server.js';
import { BASE, isEvent, UpdateRig } from './rig.js';

const MiB = 1024 * 1024;
const PART = 256 * MiB;

async function sha256Of(path: string, size: number): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { start: 0, end: size - 1 }) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}

describe('update agent: a part streams through, never held whole', { timeout: 300_000 }, () => {
  const rig = new UpdateRig();
  before(() => rig.start(), { timeout: 60_000 });
  after(() => rig.dispose(), { timeout: 60_000 });

  it(`writes a ${PART / MiB} MiB root part with the process's buffer memory growing by less than half of it`, { timeout: 240_000 }, async () => {
    // Zeros: the part is a few hundred KiB of gzip, so the test costs disk time, not download.
    const expected = (() => {
      const root = Buffer.alloc(PART);
      writeRelease(join(rig.releases, 'big'), { version: '99.0.0', key: rig.keys.privateKey, boot: randomBytes(64 * 1024), root });
      return createHash('sha256').update(root).digest('hex');
    })();
    const card = new Card({ rootBytes: PART });
    const box = await rig.boxOn(card, 'a', { channel: 'big' });
    try {
      // Held whole, the part alone would add PART; streamed, only chunks not yet collected add up.
      const baseline = process.memoryUsage().arrayBuffers;
      let peak = baseline;
      // The box runs in this process: its Buffers are this process's arrayBuffers.
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers)), 5);
      try {
        const mark = rig.probe.mark();
        assert.equal((await rig.probe.request(BASE, 'update install')).ok, true);
        await rig.probe.waitSince(mark, isEvent('update_written'), 200_000, 'update_written');
      } finally {
        clearInterval(sampler);
      }
      const growth = peak - baseline;
      console.log(`# buffer memory: baseline ${(baseline / MiB).toFixed(1)} MiB, peak growth ${(growth / MiB).toFixed(1)} MiB while streaming ${PART / MiB} MiB twice`);
      assert.ok(growth < PART / 2, `peak buffer growth ${(growth / MiB).toFixed(1)} MiB`);
      assert.equal(await sha256Of(card.partition(6), PART), expected);
    } finally {
      await box.stop();
      card.dispose();
    }
  });
});
