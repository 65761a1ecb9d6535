// Command round trip: publishing P/zone/<z>/volume/set to receiving the retained state that shows
// it, against a bare mqtt.js echo client on the same broker (two broker hops each way, no work):
// the physical limit here. TCP_NODELAY on every socket, mosquitto with set_tcp_nodelay true.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { Mosquitto } from '../test/helpers/mosquitto.js';
import { emitRow, percentile, printTable, round, type BenchRow } from './stats.js';

const ROOT = join(import.meta.dirname, '..');
const N = Number(process.env.BENCH_ROUNDTRIPS ?? 500);

async function connect(url: string): Promise<MqttClient> {
  const c = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  (c as unknown as { stream: Socket }).stream.setNoDelay(true);
  return c;
}

/** Sends N requests one after the other; each resolves when `isAnswer` sees its reply. */
async function measure(client: MqttClient, count: number, send: (i: number) => void, isAnswer: (topic: string, payload: string, i: number) => boolean): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      const onMessage = (topic: string, payload: Buffer) => {
        if (isAnswer(topic, payload.toString(), i)) {
          client.off('message', onMessage);
          resolve();
        }
      };
      client.on('message', onMessage);
      send(i);
    });
    times.push(performance.now() - t0);
  }
  return times;
}

export async function benchRoundTrip(): Promise<BenchRow[]> {
  const broker = await new Mosquitto().start();
  const dir = mkdtempSync(join(tmpdir(), 'roombox-bench-'));
  const box = spawn(process.execPath, [join(ROOT, 'dist', 'firmware', 'main.js')], {
    cwd: ROOT,
    env: { ...process.env, ROOMBOX_MQTT_URL: broker.url, ROOMBOX_ID: 'benchbox', ROOMBOX_DATA_DIR: dir, ROOMBOX_CONSOLE: 'off', ROOMBOX_LOG_LEVEL: 'warn', ROOMBOX_ZONE_LIVING_MAX_VOLUME: '100' },
    stdio: 'ignore',
  });
  try {
    const echo = await connect(broker.url);
    await echo.subscribeAsync('bench/ping', { qos: 0 });
    echo.on('message', (_t, p) => echo.publish('bench/pong', p, { qos: 0 }));
    const client = await connect(broker.url);
    await client.subscribeAsync(['bench/pong', 'roombox/benchbox/zone/living/state', 'roombox/benchbox/status'], { qos: 0 });
    await new Promise<void>((resolve) => {
      const on = (t: string, p: Buffer) => {
        if (t === 'roombox/benchbox/status' && p.toString() === 'online') {
          client.off('message', on);
          resolve();
        }
      };
      client.on('message', on);
    });
    // Alternate the two in blocks so machine noise hits both alike.
    const bare: number[] = [];
    const ours: number[] = [];
    const block = Math.max(1, Math.floor(N / 5));
    for (let b = 0; b < 5; b++) {
      bare.push(...(await measure(client, block, (i) => client.publish('bench/ping', String(i)), (t, p, i) => t === 'bench/pong' && p === String(i))));
      ours.push(
        ...(await measure(
          client,
          block,
          (i) => client.publish('roombox/benchbox/zone/living/volume/set', String(20 + (i % 2) * 10 + b)),
          (t, p, i) => t === 'roombox/benchbox/zone/living/state' && JSON.parse(p).volume === 20 + (i % 2) * 10 + b,
        )),
      );
    }
    await echo.endAsync();
    await client.endAsync();
    const rows: BenchRow[] = [];
    for (const p of [50, 99]) {
      const ratio = percentile(ours, p) / percentile(bare, p);
      rows.push({
        name: `command round trip p${p}`,
        ours: `${round(percentile(ours, p), 2)} ms`,
        reference: `${round(percentile(bare, p), 2)} ms bare echo`,
        ratio,
        target: '<= 1.3x',
        met: ratio <= 1.3,
      });
    }
    return rows;
  } finally {
    box.kill('SIGTERM');
    await new Promise((r) => box.once('exit', r));
    await broker.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith('roundtrip.ts')) {
  const rows = await benchRoundTrip();
  printTable(rows);
  rows.forEach(emitRow);
}
