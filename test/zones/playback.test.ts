import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePcmStatus } from '../../firmware/asound/pcm-status.js';
import { ManualClock } from '../../firmware/core/clock.js';
import { PlaybackDetector, PollGroup, POLL_MS, ProcPlaybackSource } from '../../firmware/zones/playback.js';
import { SimProcTree } from '../../firmware/sim/proc-tree.js';

/** Status texts as the kernel prints them (sound/core/pcm.c, snd_pcm_substream_proc_status_read). */
const running = (hw: number) => `state: RUNNING
owner_pid   : 1234
trigger_time: 5131.362416620
tstamp      : 5135.400874540
delay       : 3840
avail       : 960
avail_max   : 1920
-----
hw_ptr      : ${hw}
appl_ptr    : ${hw + 3840}
`;
const withState = (state: string, hw = 1000) => running(hw).replace('RUNNING', state);

describe('playback status parser', { timeout: 60_000 }, () => {
  it('reads closed, running and the other states with hw_ptr', () => {
    assert.deepEqual(parsePcmStatus('closed\n'), { state: 'closed' });
    assert.deepEqual(parsePcmStatus(running(193920)), { state: 'RUNNING', hwPtr: 193920 });
    for (const s of ['XRUN', 'DISCONNECTED', 'PAUSED', 'PREPARED', 'DRAINING', 'SUSPENDED']) assert.equal(parsePcmStatus(withState(s)).state, s);
    assert.deepEqual(parsePcmStatus('state: SETUP\nowner_pid   : 1\n'), { state: 'SETUP' });
    assert.equal(parsePcmStatus('garbage').state, 'unknown');
  });
});

describe('playback from a /proc/asound tree', { timeout: 60_000 }, () => {
  let tree: SimProcTree;
  before(() => {
    tree = new SimProcTree(mkdtempSync(join(tmpdir(), 'roombox-pb-')));
    tree.addCard({ index: 0, id: 'sndrpihifiberry', driver: 'x', name: 'x', longName: 'x', playback: [0] });
    tree.addCard({ index: 1, id: 'Headphones', driver: 'x', name: 'x', longName: 'x', playback: [0, 1] });
  }, { timeout: 30_000 });
  after(() => tree.dispose(), { timeout: 30_000 });

  it('playing = RUNNING with hw_ptr advancing; stalled, closed, XRUN, DISCONNECTED are not', () => {
    const src = new ProcPlaybackSource(tree.root, { card: 0, device: 0 });
    assert.equal(src.playing(), false, 'closed');
    tree.writeStatus(0, 0, 'p', 0, running(100));
    assert.equal(src.playing(), false, 'first read sets the baseline');
    tree.writeStatus(0, 0, 'p', 0, running(580));
    assert.equal(src.playing(), true, 'advancing');
    assert.equal(src.playing(), false, 'stalled: RUNNING but hw_ptr did not move');
    tree.writeStatus(0, 0, 'p', 0, withState('XRUN', 900));
    assert.equal(src.playing(), false, 'XRUN');
    tree.writeStatus(0, 0, 'p', 0, withState('PAUSED', 1200));
    assert.equal(src.playing(), false, 'PAUSED');
    tree.writeStatus(0, 0, 'p', 0, withState('DISCONNECTED', 1500));
    assert.equal(src.playing(), false, 'DISCONNECTED');
    tree.writeStatus(0, 0, 'p', 0, 'closed\n');
    assert.equal(src.playing(), false);
  });

  it('watches every subdevice of its own card and device only, by card id too', () => {
    const src = new ProcPlaybackSource(tree.root, { card: 'Headphones', device: 1 });
    const other = new ProcPlaybackSource(tree.root, { card: 1, device: 0 });
    tree.writeStatus(1, 1, 'p', 0, 'closed\n');
    tree.writeStatus(1, 1, 'p', 3, running(10));
    src.playing();
    other.playing();
    tree.writeStatus(1, 1, 'p', 3, running(970));
    assert.equal(src.playing(), true, 'sub3 advancing');
    assert.equal(other.playing(), false, 'device 0 is not playing');
    const onlySub0 = new ProcPlaybackSource(tree.root, { card: 1, device: 1, subdevice: 0 });
    onlySub0.playing();
    tree.writeStatus(1, 1, 'p', 3, running(1930));
    assert.equal(onlySub0.playing(), false, 'a zone pinned to sub0 ignores sub3');
  });

  it('a missing card is not playing', () => {
    assert.equal(new ProcPlaybackSource(tree.root, { card: 7, device: 0 }).playing(), false);
    assert.equal(new ProcPlaybackSource(tree.root, { card: 'Nope', device: 0 }).playing(), false);
    rmSync(join(tree.root, 'nothing'), { force: true });
  });
});

describe("the zones' playback polls", { timeout: 60_000 }, () => {
  it('share one timer: zones started apart poll at the same moments, and one stopping leaves the others polling', () => {
    const clock = new ManualClock();
    const group = new PollGroup(clock);
    const polls: Record<string, number[]> = { living: [], kitchen: [] };
    let kitchenPlaying = false;
    const living = new PlaybackDetector([{ name: 'test', playing: () => false }], clock, () => polls.living!.push(clock.now()), POLL_MS, group);
    const kitchen = new PlaybackDetector([{ name: 'test', playing: () => kitchenPlaying }], clock, (p) => p && polls.kitchen!.push(clock.now()), POLL_MS, group);
    living.start();
    clock.advance(100);
    kitchenPlaying = true;
    kitchen.start();
    clock.advance(4 * POLL_MS);
    // After each zone's first poll at its start, every poll of the one is a poll of the other.
    assert.deepEqual(polls.kitchen!.slice(1), polls.living!.slice(1));
    assert.equal(polls.kitchen!.length, 5);
    living.stop();
    const before = polls.kitchen!.length;
    clock.advance(2 * POLL_MS);
    assert.equal(polls.kitchen!.length, before + 2, 'the kitchen still follows its playback');
    kitchen.stop();
    clock.advance(2 * POLL_MS);
    assert.equal(polls.kitchen!.length, before + 2, 'no polls once every zone stopped');
  });
});
