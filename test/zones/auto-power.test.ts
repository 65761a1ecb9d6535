import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { baseZone, zoneRig } from './harness.js';
import { MemoryStateStore } from '../../firmware/store/state-store.js';
import { PlaybackDetector, type PlaybackSource } from '../../firmware/zones/playback.js';
import { COOLDOWN_MS } from '../../firmware/zones/zone.js';

/** A push source, as a music player will be: its answer is whatever it was last told. */
class FlagSource implements PlaybackSource {
  readonly name = 'flag';
  on = false;
  playing() {
    return this.on;
  }
}

function autoRig(idleS = 10) {
  const r = zoneRig(baseZone(), { idleS });
  const src = new FlagSource();
  const det = new PlaybackDetector([src], r.clock, (p) => r.zone.onPlayback(p), 250);
  return { ...r, src, det };
}

describe('auto power: hysteresis and cooldown (manual clock)', { timeout: 60_000 }, () => {
  it('powers up at once on playback and goes to standby only after the idle time', async () => {
    const r = autoRig(10);
    await r.act(() => r.zone.start());
    r.det.start();
    r.src.on = true;
    await r.clock.advanceAsync(600, 5); // one poll + settle 200 ms
    assert.equal(r.last().power, 'on');
    assert.equal(r.last().playing, true);
    r.src.on = false;
    await r.clock.advanceAsync(9000, 50);
    assert.equal(r.last().power, 'on', 'still on before ROOMBOX_AMP_IDLE_S');
    assert.equal(r.last().playing, false);
    await r.clock.advanceAsync(2000, 50);
    assert.equal(r.last().power, 'standby');
    assert.deepEqual(r.events.filter((e) => e.type === 'power_changed').map((e) => [e.detail!.from, e.detail!.to, e.detail!.reason]), [
      ['standby', 'on', 'playback'],
      ['on', 'standby', 'idle'],
    ]);
    r.det.stop();
  });

  it('a player reopening the device inside the idle time does not cycle the amp', async () => {
    const r = autoRig(5);
    await r.act(() => r.zone.start());
    r.det.start();
    r.src.on = true;
    await r.clock.advanceAsync(1000, 10);
    for (let i = 0; i < 5; i++) {
      r.src.on = false;
      await r.clock.advanceAsync(3000, 50);
      r.src.on = true;
      await r.clock.advanceAsync(500, 50);
    }
    assert.equal(r.events.filter((e) => e.type === 'power_changed').length, 1, 'powered up once, never down');
    r.det.stop();
  });

  it('after a power cycle, the next automatic change waits for the cooldown', async () => {
    const r = autoRig(0);
    await r.act(() => r.zone.start());
    r.det.start();
    r.src.on = true;
    await r.clock.advanceAsync(500, 10);
    assert.equal(r.last().power, 'on');
    r.src.on = false;
    await r.clock.advanceAsync(1000, 10);
    assert.equal(r.last().power, 'on', 'idle 0 s, but the cooldown after power-up holds it');
    while (r.last().power !== 'standby') {
      await r.clock.advanceAsync(10, 10);
      assert.ok(r.clock.now() < Date.UTC(2026, 0, 1) + 10 * COOLDOWN_MS, 'standby after the cooldown');
    }
    const downAt = r.clock.now();
    r.src.on = true;
    await r.clock.advanceAsync(COOLDOWN_MS - 500, 10);
    assert.equal(r.last().power, 'standby', 'no power-up inside the cooldown');
    await r.clock.advanceAsync(1500, 10);
    assert.equal(r.last().power, 'on');
    assert.ok(r.clock.now() - downAt >= COOLDOWN_MS);
    r.det.stop();
  });

  it('manual mode ignores playback; auto hands power back', async () => {
    const r = autoRig(10);
    await r.act(() => r.zone.start());
    r.det.start();
    await r.act(() => r.zone.setPower('off'));
    r.src.on = true;
    await r.clock.advanceAsync(2000, 10);
    assert.equal(r.last().power, 'off');
    assert.equal(r.last().mode, 'manual');
    assert.equal(r.last().playing, true);
    await r.act(() => r.zone.setPower('auto'), 1000);
    assert.equal(r.last().mode, 'auto');
    assert.equal(r.last().power, 'on');
    await r.act(() => r.zone.setMode('manual'), 10);
    assert.equal(r.last().power, 'on', 'manual keeps the current power');
    r.det.stop();
  });
});

describe('volume cap and restore', { timeout: 60_000 }, () => {
  it('a command above the cap applies the cap; the state shows the applied value', async () => {
    const r = zoneRig(baseZone({ maxVolume: 90 }), { maxVolume: 50 });
    await r.act(() => r.zone.start());
    await r.act(() => r.zone.setVolume(80));
    assert.equal(r.last().volume, 50);
    assert.equal(r.last().max_volume, 50);
    assert.equal(r.last().volume_db, -30);
    assert.equal(r.hw.sim!.i2c.chip(1, 0x4c)!.describe().volume_db && (r.hw.sim!.i2c.chip(1, 0x4c)!.describe().volume_db as { left: number }).left, -30);
  });

  it('start mutes first, then restores volume, mode and mute (never above the cap)', async () => {
    const store = new MemoryStateStore();
    store.set('zone.living', { volume: 70, mode: 'manual', mute: true, power: 'on' });
    const r = zoneRig(baseZone(), { store, maxVolume: 60 });
    const ops = await r.act(() => r.zone.start());
    assert.equal(ops[0], 'line 22 <- 0', 'mute first');
    assert.equal(r.last().volume, 60);
    assert.equal(r.last().mode, 'manual');
    assert.equal(r.last().mute, true);
    assert.equal(r.last().power, 'on', 'manual power restored');
    assert.equal(r.hw.sim!.lines.read(22), 0, 'still muted: the user had muted it');
    await r.act(() => r.zone.setVolume(20));
    assert.deepEqual(store.get('zone.living'), { volume: 20, mode: 'manual', mute: true, power: 'on' });
  });
});
