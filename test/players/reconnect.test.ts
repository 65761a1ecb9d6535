import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, test } from 'node:test';
import { ManualClock } from '../../firmware/core/clock.js';
import { WatchedClock } from '../helpers/watched-clock.js';
import { createPlayer } from '../../firmware/players/index.js';

let server: Server | undefined;
after(() => server?.close(), { timeout: 30_000 });

test('a player that keeps losing its connection retries on the clock, with growing delays', { timeout: 60_000 }, async () => {
  // A control port that accepts and hangs up at once, counting the attempts.
  let attempts = 0;
  let onAttempt = () => {};
  server = createServer((s) => {
    attempts++;
    s.destroy();
    onAttempt();
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const clock = new WatchedClock();
  // random 0: each delay is half its step, so 250, 500, 1000 ms from base 500.
  const player = createPlayer(`snapcast://127.0.0.1:${port}/zone-a`, { clock, random: () => 0, baseDelayMs: 500, maxDelayMs: 4000 });
  const nextAttempt = (n: number) => new Promise<void>((resolve) => (onAttempt = () => attempts >= n && resolve()));

  const first = nextAttempt(1);
  player.connect();
  await first;
  for (const [n, delay] of [[2, 250], [3, 500], [4, 1000]] as const) {
    // The server hung up; the player notices and sets its retry.
    await clock.scheduled(delay);
    clock.advance(delay - 1);
    assert.deepEqual(clock.pending(), [delay], `no attempt ${n} before ${delay} ms: the retry is still to fire`);
    assert.equal(attempts, n - 1);
    const next = nextAttempt(n);
    clock.advance(1);
    await next;
  }
  assert.equal(player.current.connected, false);
  await player.stop();
  assert.deepEqual(clock.pending(), [], 'nothing left to fire after stop(): no attempts');
  clock.advance(10_000);
  assert.equal(attempts, 4, 'no attempts after stop()');
});

test('a player that stops answering is noticed by the heartbeat and dropped', { timeout: 60_000 }, async () => {
  // A control port that answers the status read once, then goes silent (a hung host).
  const sockets: import('node:net').Socket[] = [];
  const silent = createServer((s) => {
    sockets.push(s);
    s.once('data', (d) => {
      const { id } = JSON.parse(String(d)) as { id: number };
      const server = { groups: [{ id: 'g', stream_id: 'room', clients: [{ id: 'zone-a', connected: true, config: { volume: { percent: 30, muted: false } } }] }], streams: [{ id: 'room', status: 'playing' }] };
      s.write(JSON.stringify({ jsonrpc: '2.0', id, result: { server } }) + '\r\n');
    });
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as { port: number }).port;
  const clock = new ManualClock();
  const player = createPlayer(`snapcast://127.0.0.1:${port}/zone-a`, { clock, random: () => 0, heartbeatMs: 1000, callTimeoutMs: 500 });
  try {
    const up = new Promise<void>((resolve) => player.on('change', (s) => s.connected && resolve()));
    player.connect();
    await up;
    assert.deepEqual(player.current, { connected: true, state: 'playing', volume: 30, mute: false });
    const down = new Promise<void>((resolve) => player.on('change', (s) => !s.connected && resolve()));
    clock.advance(1000); // heartbeat sent
    clock.advance(500); // ... and not answered in time
    await down;
    assert.equal(player.current.state, 'unknown');
  } finally {
    await player.stop();
    for (const s of sockets) s.destroy();
    silent.close();
  }
});
