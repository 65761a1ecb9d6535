import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Received } from '../helpers/mqtt-probe.js';
import { startInProcessBox } from '../helpers/in-process-box.js';
import { CaptureExtension } from '../../firmware/capture/index.js';
import { SREVIEW_PARSE_RE } from '../../firmware/recording/layout.js';
import { decodeS16, flacTest, listFlac, peakDbfs, tags, totalSamples } from './flac-tools.js';
import { brokerWithProbe } from '../helpers/broker-with-probe.js';

/**
 * Recording on the sim board against a real mosquitto, decoded with Debian's flac: segments are
 * sample-exact and gapless (joined, they equal what the capture delivered), tagged, named in the
 * documented layout, and the controls answer bad commands with one error each.
 */
const P = 'roombox/testbox';
const RATE = 48000;
const isJson = (topic: string, pred: (v: Record<string, unknown>) => boolean) => (m: Received) => {
  if (m.topic !== topic) return false;
  try {
    return pred(JSON.parse(m.payload));
  } catch {
    return false;
  }
};
const eventIs = (type: string, extra: (v: Record<string, unknown>) => boolean = () => true) => isJson(`${P}/event`, (v) => v.type === type && extra(v));

describe('recording on the sim board', { timeout: 120_000 }, () => {
  const mq = brokerWithProbe([`${P}/#`, 'homeassistant/#']);
  const broker = mq.broker;

  it('records a sim tone with a level change into gapless, sample-exact, tagged segments', { timeout: 90_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roombox-rec-'));
    const box = await startInProcessBox({ env: { ROOMBOX_MQTT_URL: broker.url, ROOMBOX_RECORD_DIR: dir, ROOMBOX_RECORD_SEGMENT_S: '1' } });
    try {
      // What the capture delivered, from before the recording starts to after it stops.
      const captured: Int16Array[] = [];
      let gaps = 0;
      const capture = box.app.extensions.find((e): e is CaptureExtension => e instanceof CaptureExtension)!;
      capture.inputs.get('stage')!.addTap({ audio: (data, frames) => captured.push(new Int16Array(data.buffer.slice(data.byteOffset, data.byteOffset + frames * 4))), gap: () => gaps++ });
      const ex = async (line: string) => {
        const r = await box.app.ctx.commands.execute(line, 'test');
        assert.ok(r.ok, `${line}: ${r.output}`);
        return r;
      };
      await mq.probe.waitFor((m) => m.topic === 'homeassistant/device/testbox/config' && JSON.parse(m.payload).cmps?.input_stage_record?.command_topic === `${P}/input/stage/record/set`, 10_000, 'the recording switch in discovery');

      await ex('sim tone stage -20');
      const mark = mq.probe.messages.length;
      /** The first message from `from` on matching, whether it came already or comes later. */
      const since = (from: number, pred: (m: Received) => boolean, what: string) => mq.probe.waitFor((m, i) => i >= from && pred(m), 15_000, what);
      await mq.probe.publish(`${P}/input/stage/record/set`, 'ON');
      await since(mark, isJson(`${P}/input/stage/state`, (v) => v.recording === true && typeof v.record_file === 'string'), 'state: recording, with its file');
      const closedAfter = (n: number) => since(mark, (m) => eventIs('record_segment_closed')(m) && mq.probe.messages.slice(mark).filter(eventIs('record_segment_closed')).length >= n, `${n} segments closed`);
      await closedAfter(1);
      await ex('sim tone stage -6');
      await closedAfter(3);
      const offAt = mq.probe.messages.length;
      await mq.probe.publish(`${P}/input/stage/record/set`, 'OFF');
      await since(offAt, isJson(`${P}/input/stage/state`, (v) => v.recording === false && v.record_file === null), 'state: not recording');
      assert.equal(gaps, 0, 'the capture ran without a break');
      const status = await ex('record status stage --json');
      assert.equal(JSON.parse(status.output).recording, false);

      const files = listFlac(dir);
      assert.ok(files.length >= 3, `at least 3 segments: ${files.join(', ')}; events: ${mq.probe.messages.slice(mark).filter((m) => m.topic === `${P}/event`).map((m) => m.payload).join('\n')}`);
      const re = new RegExp(SREVIEW_PARSE_RE);
      let joined: number[] = [];
      let expectedStart: number | undefined;
      for (const [i, f] of files.entries()) {
        const full = join(dir, f);
        const t = flacTest(full);
        assert.ok(t.ok, `${f} decodes: ${t.output}`);
        const m = re.exec(`/srv/incoming/${f}`);
        assert.ok(m?.groups, `${f} matches the SReview parse_re`);
        assert.equal(m.groups.room, 'stage');
        const tag = tags(full);
        assert.equal(tag.ROOMBOX_BOX, 'testbox');
        assert.equal(tag.ROOMBOX_INPUT, 'stage');
        const start = Date.parse(tag.ROOMBOX_START!) + Number(tag.ROOMBOX_START!.slice(23, 26)) / 1000;
        assert.equal(`${m.groups.year}-${m.groups.month}-${m.groups.day}T${m.groups.hour}:${m.groups.minute}:${m.groups.second}`, tag.ROOMBOX_START!.slice(0, 19), 'the name is the start time, UTC');
        if (expectedStart !== undefined) assert.ok(Math.abs(start - expectedStart) < 0.002, `segment ${i} starts where the previous ended (${start} vs ${expectedStart})`);
        const samples = decodeS16(full);
        const frames = samples.length / 2;
        assert.equal(totalSamples(full), frames, 'STREAMINFO holds the sample count');
        if (i < files.length - 1) assert.equal(frames, RATE, `segment ${i} is exactly ROOMBOX_RECORD_SEGMENT_S long`);
        expectedStart = start + (frames / RATE) * 1000;
        joined = joined.concat(Array.from(samples));
      }

      // Joined, the segments are one unbroken stretch of the captured stream, sample for sample.
      const stream = Int16Array.from(captured.flatMap((c) => Array.from(c)));
      const rec = Int16Array.from(joined);
      // A steady sine repeats every 48 samples, so the recording is placed by the level change:
      // the first sample louder than -20 dBFS is the same sample in both.
      const louder = (a: Int16Array) => a.findIndex((v) => Math.abs(v) > 5000);
      const offset = louder(stream) - louder(rec);
      assert.ok(offset >= 0, 'the recording starts inside the captured stream');
      for (let k = 0; k < rec.length; k++) if (stream[offset + k] !== rec[k]) assert.fail(`sample ${k} differs from the capture (${rec[k]} vs ${stream[offset + k]})`);
      // Continuity across every boundary: a 1 kHz sine moves at most 2*pi*1000/48000 of its amplitude per sample.
      for (let b = RATE; b < rec.length / 2; b += RATE) {
        const step = Math.abs(rec[b * 2]! - rec[(b - 1) * 2]!);
        assert.ok(step <= 0.14 * 32768 * 10 ** (-6 / 20), `boundary at ${b / RATE} s is continuous (step ${step})`);
      }
      // The level change is in the recording: -20 dBFS in the first second, -6 in the last.
      const totalFrames = rec.length / 2;
      assert.ok(Math.abs(peakDbfs(rec, 2, 0, RATE / 2) - -20) < 0.1, `first half second at -20 dBFS (${peakDbfs(rec, 2, 0, RATE / 2)})`);
      assert.ok(Math.abs(peakDbfs(rec, 2, totalFrames - RATE / 2, totalFrames) - -6) < 0.1, 'last half second at -6 dBFS');
    } finally {
      await box.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers bad recording commands with one clear error each and changes nothing', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roombox-rec-'));
    const before = mq.probe.messages.length;
    const box = await startInProcessBox({ env: { ROOMBOX_MQTT_URL: broker.url, ROOMBOX_RECORD_DIR: dir } });
    try {
      const ex = async (line: string) => {
        const r = await box.app.ctx.commands.execute(line, 'test');
        return { ok: r.ok, output: r.output };
      };
      // Online comes once the box is subscribed to its command topics.
      await mq.probe.waitFor((m, i) => i >= before && m.topic === `${P}/status` && m.payload === 'online', 15_000, 'online');
      assert.deepEqual(await ex('record start nope'), { ok: false, output: "error: unknown input 'nope' (inputs: stage)" });
      assert.deepEqual(await ex('record stop stage'), { ok: false, output: 'error: stage is not recording' });
      assert.deepEqual(await ex('record start stage'), { ok: true, output: 'stage: recording' });
      assert.deepEqual(await ex('record start stage'), { ok: false, output: 'error: stage is already recording' });
      assert.deepEqual(await ex('record stop stage'), { ok: true, output: 'stage: stopped' });
      assert.equal((await ex('record start stage extra')).output, 'error: usage: record start [<input>]');

      // Events keep their order: once the console's stop is out, so is its start.
      await mq.probe.waitFor((m, i) => i >= before && eventIs('record_stopped')(m), 15_000, 'the console stop event');
      const mark = mq.probe.messages.length;
      const errors = () => mq.probe.messages.slice(mark).filter((m) => m.topic === `${P}/error`).map((m) => JSON.parse(m.payload) as { topic: string; error: string });
      await mq.probe.publish(`${P}/input/nope/record/set`, 'ON');
      await mq.probe.publish(`${P}/input/stage/record/set`, 'OFF');
      await mq.probe.publish(`${P}/input/stage/record/set`, 'ON');
      await mq.probe.publish(`${P}/input/stage/record/set`, 'ON');
      await mq.probe.publish(`${P}/input/stage/record/set`, 'maybe');
      // The marker: its answer comes after every error the commands above could cause.
      const marker = await mq.probe.request(P, 'record status stage --json');
      assert.equal((marker.data as { recording: boolean }).recording, true);
      assert.deepEqual(errors(), [
        { ...errors()[0]!, topic: `${P}/input/nope/record/set`, error: "unknown input 'nope' (inputs: stage)" },
        { ...errors()[1]!, topic: `${P}/input/stage/record/set`, error: 'stage is not recording' },
        { ...errors()[2]!, topic: `${P}/input/stage/record/set`, error: 'stage is already recording' },
        { ...errors()[3]!, topic: `${P}/input/stage/record/set`, error: 'expected ON or OFF' },
      ]);
      // Events trail the answers (they go through the outbox): a good stop marks their end.
      await mq.probe.publish(`${P}/input/stage/record/set`, 'OFF');
      const stopped = await mq.probe.waitFor((m, i) => i >= mark && eventIs('record_stopped')(m), 15_000, 'the MQTT stop event');
      const events = mq.probe.messages.slice(mark, mq.probe.messages.indexOf(stopped)).filter(eventIs('record_started'));
      assert.equal(events.length, 1, 'one start, the good one');
    } finally {
      await box.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

