import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../firmware/core/clock.js';
import { createPlayer, parsePlayerUrl } from '../../firmware/players/index.js';

test('player URLs from ROOMBOX_ZONE_<ZONE>_PLAYER', { timeout: 60_000 }, () => {
  assert.deepEqual(parsePlayerUrl('mopidy://music.local:6680'), { kind: 'mopidy', host: 'music.local', port: 6680, clientId: undefined });
  assert.equal(parsePlayerUrl('mopidy://music.local:6680/').port, 6680);
  assert.deepEqual(parsePlayerUrl('snapcast://10.0.0.5:1705/kitchen'), { kind: 'snapcast', host: '10.0.0.5', port: 1705, clientId: 'kitchen' });
  for (const bad of ['http://x:1', 'mopidy://x', 'snapcast://x:1705', 'snapcast://x:1705/', 'mopidy://x:0', 'mopidy://x:70000', 'mopidy://x:1/y']) {
    assert.throws(() => parsePlayerUrl(bad), /player URL|names the client|no path/, bad);
  }
  const clock = new ManualClock();
  assert.equal(createPlayer('snapcast://h:1705/a', { clock }).kind, 'snapcast');
  const m = createPlayer('mopidy://h:6680', { clock });
  assert.equal(m.kind, 'mopidy');
  assert.deepEqual(m.current, { connected: false, state: 'unknown', volume: null, mute: null });
});
