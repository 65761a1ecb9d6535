import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../firmware/core/clock.js';
import { AlarmTracker, type InputAlarm } from '../../firmware/capture/alarms.js';
import type { MeterWindow } from '../../firmware/capture/meter.js';

const win = (rms: number[], clipped = rms.map(() => 0)): MeterWindow => ({ peakDbfs: rms.map((r) => r + 3), rmsDbfs: rms, clipped, frames: 4800 });

function setup() {
  const clock = new ManualClock();
  const changes: [InputAlarm, InputAlarm][] = [];
  const t = new AlarmTracker({ silenceDbfs: -60, silenceMs: 10_000, clipHoldMs: 2000, clock, onChange: (n, p) => changes.push([n, p]) });
  /** Feeds one window every 100 ms for ms. */
  const feed = (ms: number, w: MeterWindow) => {
    for (let i = 0; i < ms / 100; i++) {
      clock.advance(100);
      t.window(w);
    }
  };
  return { clock, t, changes, feed };
}

describe('input alarms', { timeout: 60_000 }, () => {
  it('raises silence only when every channel stays under the threshold for the hold time', () => {
    const { t, changes, feed } = setup();
    feed(9_000, win([-70, -80]));
    assert.equal(t.alarm, null);
    feed(500, win([-70, -50])); // one channel alive: not silent, the hold restarts
    feed(9_900, win([-70, -80]));
    assert.equal(t.alarm, null);
    feed(200, win([-70, -80]));
    assert.equal(t.alarm, 'silence');
    feed(100, win([-20, -80]));
    assert.equal(t.alarm, null);
    assert.deepEqual(changes, [['silence', null], [null, 'silence']]);
  });

  it('raises clip on full-scale samples and clears it after the hold without them', () => {
    const { t, changes, feed } = setup();
    feed(1000, win([-10, -10], [0, 3]));
    assert.equal(t.alarm, 'clip');
    feed(1900, win([-10, -10]));
    assert.equal(t.alarm, 'clip');
    feed(200, win([-10, -10]));
    assert.equal(t.alarm, null);
    assert.deepEqual(changes, [['clip', null], [null, 'clip']]);
  });

  it('puts absent above every other alarm and starts afresh when the device returns', () => {
    const { t, changes, feed } = setup();
    feed(11_000, win([-120, -120]));
    assert.equal(t.alarm, 'silence');
    t.setAbsent(true);
    assert.equal(t.alarm, 'absent');
    feed(1000, win([-120, -120]));
    assert.equal(t.alarm, 'absent');
    t.setAbsent(false);
    assert.equal(t.alarm, null, 'silence is measured again from the return');
    assert.deepEqual(changes.map((c) => c[0]), ['silence', 'absent', null]);
  });

  it('raises quiet when short-term loudness stays under ROOMBOX_QUIET_LUFS for the hold time, below silence', () => {
    const clock = new ManualClock();
    const changes: [InputAlarm, InputAlarm][] = [];
    const t = new AlarmTracker({ silenceDbfs: -60, silenceMs: 10_000, quietLufs: -40, clipHoldMs: 2000, clock, onChange: (n, p) => changes.push([n, p]) });
    const feed = (ms: number, rms: number, shortTerm: number) => {
      for (let i = 0; i < ms / 100; i++) {
        clock.advance(100);
        t.window(win([rms, rms]), shortTerm);
      }
    };
    feed(9_900, -45, -42);
    feed(200, -45, -30); // loud enough for a moment: the hold restarts
    feed(9_900, -45, -42);
    assert.equal(t.alarm, null);
    feed(200, -45, -42);
    assert.equal(t.alarm, 'quiet');
    feed(10_100, -90, -85); // silence too now: silence is the more urgent
    assert.equal(t.alarm, 'silence');
    feed(100, -20, -20);
    assert.equal(t.alarm, null);
    assert.deepEqual(changes, [['quiet', null], ['silence', 'quiet'], [null, 'silence']]);
  });

  it('never raises quiet without a threshold', () => {
    const { t, feed } = setup();
    for (let i = 0; i < 200; i++) {
      feed(100, win([-45, -45]));
      t.window(win([-45, -45]), -100);
    }
    assert.equal(t.alarm, null);
  });
});
