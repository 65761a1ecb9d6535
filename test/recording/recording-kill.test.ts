import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Received } from '../helpers/mqtt-probe.js';
import { BoxProcess } from '../helpers/box-process.js';
import { decodeS16, flacTest, listFlac, tags, totalSamples } from './flac-tools.js';
import { brokerWithProbe } from '../helpers/broker-with-probe.js';

/**
 * A box process recording is killed with SIGKILL in the middle of a segment: after the restart,
 * the segment it was writing decodes and holds everything up to at most a second before the
 * kill, and recording goes on in a new segment.
 */
const P = 'roombox/testbox';
const RATE = 48000;
const stateOf = (pred: (v: Record<string, unknown>) => boolean) => (m: Received) => {
  if (m.topic !== `${P}/input/stage/state`) return false;
  try {
    return pred(JSON.parse(m.payload));
  } catch {
    return false;
  }
};

describe('recording through a SIGKILL', { timeout: 120_000 }, () => {
  const mq = brokerWithProbe([`${P}/#`]);
  const broker = mq.broker;

  it('the segment being written decodes after a restart and recording resumes in a new one', { timeout: 100_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'roombox-data-'));
    const recordDir = join(dataDir, 'recordings');
    const env = { ROOMBOX_MQTT_URL: broker.url, ROOMBOX_DATA_DIR: dataDir, ROOMBOX_RECORD: 'on', ROOMBOX_RECORD_SEGMENT_S: '60' };
    let box = new BoxProcess(env).start();
    try {
      // The state shows the file growing every 5 s: wait for one that holds at least 4 s.
      const writing = await mq.probe.waitFor(stateOf((v) => typeof v.record_file === 'string' && (v.record_duration_s as number) >= 4), 40_000, 'a segment with 4 s in it');
      const file = JSON.parse(writing.payload).record_file as string;
      // Wait until the file has grown once more after that report, then kill mid-segment.
      const size = statSync(join(recordDir, file)).size;
      while (statSync(join(recordDir, file)).size === size) await new Promise((r) => setTimeout(r, 20));
      const killedAt = Date.now();
      await box.kill('SIGKILL');
      assert.equal(box.signal, 'SIGKILL');

      const mark = mq.probe.messages.length;
      box = new BoxProcess(env).start();
      await box.waitForLog(/recording segment left open by the last run finished/, 30_000);
      const next = await mq.probe.next((m, i) => i >= mark && stateOf((v) => typeof v.record_file === 'string' && v.record_file !== file)(m), 30_000, 'recording in a new segment');
      const newFile = JSON.parse(next.payload).record_file as string;
      assert.notEqual(newFile, file);

      const full = join(recordDir, file);
      const t = flacTest(full);
      assert.ok(t.ok, `the killed segment decodes: ${t.output}`);
      const frames = decodeS16(full).length / 2;
      assert.equal(totalSamples(full), frames, 'its STREAMINFO holds the samples it has');
      const tag = tags(full);
      const startedAt = Date.parse(tag.ROOMBOX_START!);
      const lostS = (killedAt - startedAt) / 1000 - frames / RATE;
      assert.ok(lostS <= 1, `at most the last second is lost (lost ${lostS.toFixed(3)} s of ${((killedAt - startedAt) / 1000).toFixed(1)} s)`);
      assert.ok(frames > 4 * RATE, 'it holds what was recorded before the kill');
      assert.deepEqual(listFlac(recordDir), [file, newFile].sort());

      await box.kill('SIGTERM');
      const t2 = flacTest(join(recordDir, newFile));
      assert.ok(t2.ok, `the new segment closes cleanly on SIGTERM: ${t2.output}`);
    } finally {
      await box.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
