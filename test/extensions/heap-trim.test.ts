import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ManualClock } from '../../firmware/core/clock.js';
import { createLogger, LogRing } from '../../firmware/core/logger.js';
import { HEAP_TRIM_GROWTH_BYTES, HEAP_TRIM_MS, HeapTrim } from '../../firmware/extensions/heap-trim.js';

const MB = 1024 * 1024;
const quietLog = () => createLogger('warn', new LogRing(), { write: () => true }).logger;

describe('heap trim', { timeout: 60_000 }, () => {
  it('collects every 5 minutes once the heap grew by 1 MB since the last collection, not before', () => {
    const clock = new ManualClock();
    let used = 20 * MB;
    const collections: number[] = [];
    const trim = new HeapTrim(clock, quietLog(), () => {
      collections.push(clock.now());
      used = 20 * MB;
    }, () => used);
    trim.start();
    try {
      used += HEAP_TRIM_GROWTH_BYTES / 2;
      clock.advance(HEAP_TRIM_MS);
      assert.equal(collections.length, 0, 'half a MB of growth is left to V8');
      used += HEAP_TRIM_GROWTH_BYTES;
      clock.advance(HEAP_TRIM_MS - 1);
      assert.equal(collections.length, 0, 'nothing between two checks');
      clock.advance(1);
      assert.equal(collections.length, 1);
      used += 3 * MB;
      clock.advance(HEAP_TRIM_MS);
      assert.equal(collections.length, 2);
    } finally {
      trim.stop();
    }
    used += 5 * MB;
    clock.advance(2 * HEAP_TRIM_MS);
    assert.equal(collections.length, 2, 'stopped: no more collections');
  });

  it('does nothing without a gc function (node started without --expose-gc)', () => {
    const clock = new ManualClock();
    const trim = new HeapTrim(clock, quietLog(), undefined, () => 100 * MB);
    trim.start();
    clock.advance(10 * HEAP_TRIM_MS);
    assert.equal(trim.trims, 0);
    trim.stop();
  });

  it("frees the old generation's garbage in a real node with --expose-gc", () => {
    // Garbage that outlives young-generation collections lands in the old generation and stays
    // there until a full collection: one check of the trim takes it back down.
    const script = `
      import { HeapTrim } from ${JSON.stringify(join(import.meta.dirname, '..', '..', 'firmware', 'extensions', 'heap-trim.ts'))};
      import { getHeapStatistics } from 'node:v8';
      const trim = new HeapTrim({ setInterval: () => ({ id: 0 }), clear() {} }, { debug() {} });
      trim.start();
      const keep = [];
      for (let i = 0; i < 40; i++) { keep.push(new Array(20000).fill(i).map(String)); for (let j = 0; j < 200000; j++) ({ j }); }
      keep.length = 0;
      const before = getHeapStatistics().used_heap_size;
      trim.check();
      console.log(JSON.stringify({ before, after: getHeapStatistics().used_heap_size, trims: trim.trims }));
    `;
    const r = spawnSync(process.execPath, ['--expose-gc', '--max-semi-space-size=1', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 50_000 });
    assert.equal(r.status, 0, r.stderr);
    const { before, after, trims } = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { before: number; after: number; trims: number };
    assert.ok(before - after > 5 * MB, `a full collection freed ${((before - after) / MB).toFixed(1)} MB of ${(before / MB).toFixed(1)} MB`);
    assert.equal(trims, 1);
  });
});
