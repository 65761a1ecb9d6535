// Fleet: how many boxes (one process each, telemetry every second) one mosquitto on this machine
// holds with command round trips still within 1.3x of a bare echo client. Steps up the fleet
// size and reports the round trip at each step; the row reports the largest size that met it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import mqtt from 'mqtt';
import { Mosquitto } from '../test/helpers/mosquitto.js';
import { roundTripRows, roundTrips, spawnBox } from './roundtrip.js';
import { emitRow, printTable, type BenchRow } from './stats.js';

const STEPS = (process.env.BENCH_FLEET_STEPS ?? '5,10,20,40').split(',').map(Number);

async function waitOnline(url: string, ids: string[]): Promise<void> {
  const c = await mqtt.connectAsync(url);
  const pending = new Set(ids);
  let timer: NodeJS.Timeout | undefined;
  // Listen before subscribing: retained `online`s arrive right behind the SUBACK.
  const done = new Promise<void>((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`not online: ${[...pending].slice(0, 5).join(', ')}`)), 120_000);
    c.on('message', (t, p) => {
      if (p.toString() === 'online') pending.delete(t.split('/')[1]!);
      if (pending.size === 0) resolve();
    });
  });
  await c.subscribeAsync('roombox/+/status');
  try {
    await done;
  } finally {
    clearTimeout(timer);
    await c.endAsync();
  }
}

export async function benchFleet(): Promise<{ rows: BenchRow[]; summary: BenchRow }> {
  const broker = await new Mosquitto().start();
  const dir = mkdtempSync(join(tmpdir(), 'roombox-fleet-'));
  const boxes: ChildProcess[] = [];
  const rows: BenchRow[] = [];
  let best = 0;
  let bestRatio = NaN;
  try {
    for (const size of STEPS) {
      while (boxes.length < size) {
        const id = `fleet-${boxes.length}`;
        boxes.push(spawnBox(broker.url, id, join(dir, id), { ROOMBOX_TELEMETRY_S: '1' }));
      }
      await waitOnline(broker.url, boxes.map((_, i) => `fleet-${i}`));
      const { ours, bare } = await roundTrips(broker.url, 'fleet-0', 200);
      const stepRows = roundTripRows(ours, bare, ` with ${size} boxes`);
      rows.push(...stepRows);
      if (stepRows.every((r) => r.met)) {
        best = size;
        bestRatio = stepRows[1]!.ratio;
      }
    }
  } finally {
    for (const b of boxes) b.kill('SIGKILL');
    await broker.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
  const summary: BenchRow = {
    name: 'fleet: boxes held, round trip within target',
    ours: `${best} boxes`,
    reference: `steps ${STEPS.join('/')}`,
    ratio: bestRatio,
    target: 'p50, p99 <= 1.3x',
    met: best > 0,
  };
  return { rows, summary };
}

if (process.argv[1]?.endsWith('fleet.ts')) {
  const { rows, summary } = await benchFleet();
  printTable([...rows, summary]);
  emitRow(summary);
}
