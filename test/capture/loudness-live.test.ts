import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Received } from '../helpers/mqtt-probe.js';
import { startInProcessBox } from '../helpers/in-process-box.js';
import { brokerWithProbe } from '../helpers/broker-with-probe.js';

/**
 * Live loudness on the sim board against a real mosquitto: the sim input's 1 kHz stereo sine
 * goes through the same capture path as ALSA samples, and the levels payload carries its
 * loudness. A 1 kHz stereo sine at -23 dBFS peak per channel is -23.0 LUFS (EBU Tech 3341 case 1).
 */
const P = 'roombox/testbox';
type Levels = Record<string, number | number[] | string | null>;
const levels = (pred: (v: Levels) => boolean) => (m: Received) => {
  if (m.topic !== `${P}/input/stage/levels`) return false;
  return pred(JSON.parse(m.payload) as Levels);
};
const isJson = (topic: string, pred: (v: Record<string, unknown>) => boolean) => (m: Received) => m.topic === topic && pred(JSON.parse(m.payload));
const within = (v: unknown, x: number, tol: number) => typeof v === 'number' && Math.abs(v - x) <= tol;

describe('live loudness in the levels payload (sim board)', { timeout: 120_000 }, () => {
  const mq = brokerWithProbe([`${P}/#`]);
  const broker = mq.broker;

  it('reports momentary, short-term, integrated, range and true peak, and raises the quiet alarm', async () => {
    const box = await startInProcessBox({ env: { ROOMBOX_MQTT_URL: broker.url, ROOMBOX_QUIET_LUFS: '-40', ROOMBOX_SILENCE_S: '1' } });
    let mark = 0;
    const run = async (line: string) => {
      mark = mq.probe.messages.length;
      const r = await box.app.ctx.commands.execute(line, 'test');
      assert.ok(r.ok, `${line}: ${r.output}`);
    };
    const seen = (pred: (m: Received) => boolean, timeoutMs: number, what: string) => {
      const m = mq.probe.messages.slice(mark).find(pred);
      return m ? Promise.resolve(m) : mq.probe.next(pred, timeoutMs, what);
    };
    try {
      await mq.probe.waitFor(isJson(`${P}/input/stage/state`, (v) => v.capturing === true), 10_000, 'stage capturing');
      // The sim input starts at -20 dBFS: that is the true peak since the capture opened.
      await seen(levels((v) => within(v.short_term_lufs, -20, 0.1)), 10_000, 'short-term at -20 LUFS from the start tone');

      await run('sim tone stage -23');
      const m = await seen(levels((v) => within(v.short_term_lufs, -23, 0.1) && within(v.momentary_lufs, -23, 0.1)), 10_000, 'momentary and short-term at -23.0 LUFS');
      const v = JSON.parse(m.payload) as Levels;
      assert.deepEqual(v.peak_dbfs, [-23, -23]);
      assert.ok(within(v.true_peak_dbtp, -20, 0.2), `true peak since the capture opened is the -20 dBFS start tone: ${v.true_peak_dbtp}`);
      assert.ok(typeof v.integrated_lufs === 'number' && v.integrated_lufs <= -19.9 && v.integrated_lufs >= -23.1, `integrated between the two tones: ${v.integrated_lufs}`);
      assert.ok(within(v.lra_lu, 3, 3.1), `loudness range of a -20 then -23 programme: ${v.lra_lu}`);
      const text = (await box.app.ctx.commands.execute('input stage', 'test')).output;
      assert.match(text, /loudness: momentary -2\d\.\d LUFS, short-term -2\d\.\d LUFS, integrated -2\d\.\d LUFS,\s+range \d+\.\d LU, true peak -\d+\.\d dBTP/);

      // -50 dBFS: not silence (RMS -53 dBFS is over ROOMBOX_SILENCE_DBFS -60) but under -40 LUFS.
      const quietAt = Date.now();
      await run('sim tone stage -50');
      const ev = await seen(isJson(`${P}/event`, (e) => e.type === 'alarm_quiet' && e.input === 'stage'), 15_000, 'alarm_quiet event');
      assert.ok(Date.now() - quietAt >= 1000, 'the quiet alarm waits for ROOMBOX_SILENCE_S');
      const detail = JSON.parse(ev.payload).detail;
      assert.equal(detail.threshold_lufs, -40);
      assert.equal(detail.hold_s, 1);
      assert.ok(detail.short_term_lufs < -40);
      await seen(isJson(`${P}/input/stage/state`, (s) => s.alarm === 'quiet'), 5000, 'state alarm quiet');
      assert.equal(mq.probe.messages.slice(mark).some(isJson(`${P}/event`, (e) => e.type === 'alarm_silence')), false, 'no silence alarm for a quiet tone');

      await run('sim tone stage -23');
      await seen(isJson(`${P}/event`, (e) => e.type === 'alarm_cleared' && (e.detail as { alarm: string }).alarm === 'quiet'), 10_000, 'quiet alarm cleared');
      await seen(isJson(`${P}/input/stage/state`, (s) => s.alarm === null), 5000, 'state alarm null');
    } finally {
      await box.stop();
    }
  });

  it('without ROOMBOX_QUIET_LUFS a quiet input raises no alarm', async () => {
    const box = await startInProcessBox({ env: { ROOMBOX_MQTT_URL: broker.url, ROOMBOX_SILENCE_S: '1' } });
    try {
      await mq.probe.waitFor(isJson(`${P}/input/stage/state`, (v) => v.capturing === true), 10_000, 'stage capturing');
      const mark = mq.probe.messages.length;
      const r = await box.app.ctx.commands.execute('sim tone stage -50', 'test');
      assert.ok(r.ok);
      // 3 s of short-term window at the new level, then more than the 1 s hold: levels well under -40 LUFS for 2 s.
      await mq.probe.next(levels((v) => within(v.short_term_lufs, -50, 0.1)), 10_000, 'short-term at -50 LUFS');
      const at = mq.probe.messages.length;
      await mq.probe.next((x) => x.topic === `${P}/input/stage/levels` && mq.probe.messages.indexOf(x) > at + 20, 10_000, 'two more seconds of levels');
      const during = mq.probe.messages.slice(mark);
      assert.equal(during.some(isJson(`${P}/event`, (e) => typeof e.type === 'string' && e.type.startsWith('alarm_'))), false, 'no alarm event');
    } finally {
      await box.stop();
    }
  });
});
