// SD-card wear: bytes the firmware process sends to storage (write_bytes in /proc/<pid>/io,
// counted when a page is dirtied, so WAL appends and checkpoints both count) per event and per
// hour of steady telemetry. The data dir must be on a real block device (not tmpfs) for the
// figure to mean anything: BENCH_WEAR_DIR picks it (default: the OS temp dir).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { Mosquitto } from '../test/helpers/mosquitto.js';
import { spawnBox } from './roundtrip.js';
import { emitRow, printTable, round, type BenchRow } from './stats.js';

const TELEMETRY_WINDOW_S = Number(process.env.BENCH_WEAR_S ?? 60);
const EVENTS = Number(process.env.BENCH_WEAR_EVENTS ?? 200);
/** Budget for a year of steady telemetry at the default period: a small share of a card's life. */
const BUDGET_MB_PER_DAY = 10;

function writeBytes(pid: number): number {
  const m = /write_bytes:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
  if (!m) throw new Error('no write_bytes in /proc/<pid>/io (kernel without task I/O accounting?)');
  return Number(m[1]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface WearFigures {
  bytesPerTelemetry: number;
  bytesPerEvent: number;
  mbPerDayDefault: number;
}

export async function measureWear(): Promise<WearFigures> {
  const broker = await new Mosquitto().start();
  const dir = mkdtempSync(join(process.env.BENCH_WEAR_DIR ?? tmpdir(), 'roombox-wear-'));
  const client = await mqtt.connectAsync(broker.url);
  let telemetry = 0;
  let events = 0;
  client.on('message', (t) => {
    if (t.endsWith('/telemetry')) telemetry++;
    else if (t.endsWith('/event')) events++;
  });
  await client.subscribeAsync(['roombox/wearbox/telemetry', 'roombox/wearbox/event', 'roombox/wearbox/status'], { qos: 1 });
  const online = new Promise<void>((resolve) => client.on('message', (t, p) => t.endsWith('/status') && p.toString() === 'online' && resolve()));
  // Telemetry every second so a minute gives a figure; the levels stream (QoS 0) is never stored.
  const box = spawnBox(broker.url, 'wearbox', dir, { ROOMBOX_TELEMETRY_S: '1' });
  try {
    await online;
    await sleep(5000);
    const t0 = writeBytes(box.pid!);
    const n0 = telemetry;
    await sleep(TELEMETRY_WINDOW_S * 1000);
    const bytesPerTelemetry = (writeBytes(box.pid!) - t0) / Math.max(1, telemetry - n0);

    // Events: power on/off of a manual zone, each one `power_changed` through the outbox plus the
    // zone's persisted state (debounced). Telemetry keeps flowing: subtract its share.
    const e0 = writeBytes(box.pid!);
    const ev0 = events;
    const tm0 = telemetry;
    for (let i = 0; i < EVENTS; i++) {
      await client.publishAsync('roombox/wearbox/zone/living/power/set', i % 2 === 0 ? 'on' : 'off', { qos: 1 });
      await sleep(50);
    }
    await sleep(3000);
    const eventCount = events - ev0;
    const bytesPerEvent = (writeBytes(box.pid!) - e0 - (telemetry - tm0) * bytesPerTelemetry) / Math.max(1, eventCount);
    const mbPerDayDefault = (bytesPerTelemetry * (86400 / 60)) / 1e6;
    return { bytesPerTelemetry, bytesPerEvent, mbPerDayDefault };
  } finally {
    box.kill('SIGTERM');
    await new Promise((r) => box.once('exit', r));
    await client.endAsync();
    await broker.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchWear(): Promise<BenchRow[]> {
  const w = await measureWear();
  const ratio = w.mbPerDayDefault / BUDGET_MB_PER_DAY;
  return [
    {
      name: 'storage writes, steady telemetry',
      ours: `${round(w.bytesPerTelemetry / 1024, 1)} KiB/message, ${round(w.mbPerDayDefault, 2)} MB/day at 60 s`,
      reference: `budget ${BUDGET_MB_PER_DAY} MB/day`,
      ratio,
      target: '<= 1x',
      met: ratio <= 1,
    },
    {
      name: 'storage writes per event',
      ours: `${round(w.bytesPerEvent / 1024, 1)} KiB/event`,
      reference: `${round(w.bytesPerTelemetry / 1024, 1)} KiB per telemetry message`,
      ratio: w.bytesPerEvent / w.bytesPerTelemetry,
      target: 'info',
      met: true,
    },
  ];
}

if (process.argv[1]?.endsWith('wear.ts')) {
  const rows = await benchWear();
  printTable(rows);
  rows.forEach(emitRow);
}
