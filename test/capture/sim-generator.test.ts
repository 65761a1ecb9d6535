// The sim board's signal generator keeps time as a sound card does: by the clock, not by its timer.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Clock, TimerHandle } from '../../firmware/core/clock.js';
import { SignalGeneratorSource, SimSignalSetting } from '../../firmware/sim/signal-generator.js';

/** A clock whose interval fires only when the test says, at the time the test sets: a late timer. */
function lateClock() {
  let t = 1_000_000;
  let tick: (() => void) | undefined;
  const clock: Clock = {
    now: () => t,
    setInterval: (fn: () => void): TimerHandle => ((tick = fn), { id: 1 }),
    setTimeout: (): TimerHandle => ({ id: 2 }),
    clear: () => (tick = undefined),
    sleep: () => Promise.resolve(),
  };
  return { clock, fireAt: (ms: number) => ((t = 1_000_000 + ms), tick?.()) };
}

describe('sim signal generator', { timeout: 30_000 }, () => {
  it('hands over every chunk that is due when its timer fires late, and drops a long stall as an overrun', async () => {
    const { clock, fireAt } = lateClock();
    let frames = 0;
    let overruns = 0;
    const source = new SignalGeneratorSource(
      { rate: 48000, channels: 2, format: 'S16_LE', chunkMs: 100, clock, setting: new SimSignalSetting() },
      { audio: (_d, f) => (frames += f), overrun: () => overruns++, failed: (m) => assert.fail(m) },
    );
    fireAt(100);
    assert.equal(frames, 4800, 'on time: one chunk');
    fireAt(430);
    assert.equal(frames, 4 * 4800, 'fired 230 ms late: the three chunks due by then');
    fireAt(470);
    assert.equal(frames, 4 * 4800, 'early for the next: nothing yet');
    fireAt(1500);
    assert.equal(frames, 15 * 4800, 'a second behind: caught up');
    assert.equal(overruns, 0);
    fireAt(9000);
    assert.equal(overruns, 1, 'stalled 7.5 s: those samples are lost, as in an ALSA overrun');
    assert.equal(frames, 16 * 4800, 'and it goes on from now');
    fireAt(9100);
    assert.equal(frames, 17 * 4800);
    await source.close();
  });
});
