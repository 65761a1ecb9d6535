// Command round trip: publishing P/zone/<z>/volume/set to receiving the retained state that shows
// it, against a bare mqtt.js echo client on the same broker (two broker hops each way, no work):
// the physical limit here. The echo answers the way the box must (docs/mqtt.md: state is retained,
// QoS 1), which costs mosquitto about 0.1 ms more than a QoS 0 echo; the QoS 0 echo is measured
// too and shown for information. TCP_NODELAY on every socket, mosquitto with set_tcp_nodelay true.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { Mosquitto } from '../test/helpers/mosquitto.js';
import { unitNodeFlags } from './memory.js';
import { emitRow, percentile, printTable, round, type BenchRow } from './stats.js';

const ROOT = join(import.meta.dirname, '..');
const N = Number(process.env.BENCH_ROUNDTRIPS ?? 500);
const ECHO_SCRIPT = `
import mqtt from ${JSON.stringify(join(ROOT, 'node_modules', 'mqtt', 'build', 'index.js'))};
const c = await mqtt.connectAsync(process.env.URL, { reconnectPeriod: 0 });
c.stream.setNoDelay(true);
await c.subscribeAsync(['bench/ping', 'bench/ping-retained'], { qos: 0 });
c.on('message', (t, p) => t === 'bench/ping' ? c.publish('bench/pong', p, { qos: 0 }) : c.publish('bench/pong-retained', p, { qos: 1, retain: true }));
process.stdout.write('ready\\n');
`;

/** An mqtt.js client with TCP_NODELAY, as every socket in the benchmarks. */
export async function connect(url: string, clientId?: string): Promise<MqttClient> {
  const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, ...(clientId ? { clientId } : {}) });
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

/** Alternates blocks of bare echo round trips and zone-volume round trips to `boxId`. */
export async function roundTrips(url: string, boxId: string, n = N): Promise<{ ours: number[]; bare: number[]; bareQos0: number[] }> {
  // The echo client is a process of its own, as the box is: both round trips cross the same
  // process boundaries (client -> mosquitto -> other process -> mosquitto -> client).
  const echo = spawn(process.execPath, ['--input-type=module', '-e', ECHO_SCRIPT], { env: { ...process.env, URL: url }, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => echo.stdout!.once('data', () => resolve()));
  const client = await connect(url);
  const state = `roombox/${boxId}/zone/living/state`;
  // Listen before subscribing: a retained `online` can arrive in the same read as the SUBACK.
  const online = new Promise<void>((resolve) => {
    const on = (t: string, p: Buffer) => {
      if (t === `roombox/${boxId}/status` && p.toString() === 'online') {
        client.off('message', on);
        resolve();
      }
    };
    client.on('message', on);
  });
  await client.subscribeAsync(['bench/pong', 'bench/pong-retained', state, `roombox/${boxId}/status`], { qos: 0 });
  await online;
  // Alternate in blocks so machine noise hits all alike.
  const bare: number[] = [];
  const bareQos0: number[] = [];
  const ours: number[] = [];
  const block = Math.max(1, Math.floor(n / 5));
  for (let b = 0; b < 5; b++) {
    bareQos0.push(...(await measure(client, block, (i) => client.publish('bench/ping', String(i)), (t, p, i) => t === 'bench/pong' && p === String(i))));
    bare.push(...(await measure(client, block, (i) => client.publish('bench/ping-retained', `${b}:${i}`), (t, p, i) => t === 'bench/pong-retained' && p === `${b}:${i}`)));
    ours.push(
      ...(await measure(
        client,
        block,
        (i) => client.publish(`roombox/${boxId}/zone/living/volume/set`, String(20 + (i % 2) * 10 + b)),
        (t, p, i) => t === state && JSON.parse(p).volume === 20 + (i % 2) * 10 + b,
      )),
    );
  }
  echo.kill('SIGTERM');
  await client.endAsync();
  return { ours, bare, bareQos0 };
}

export function roundTripRows(ours: number[], bare: number[], label = ''): BenchRow[] {
  return [50, 99].map((p) => {
    const ratio = percentile(ours, p) / percentile(bare, p);
    return {
      name: `command round trip p${p}${label}`,
      ours: `${round(percentile(ours, p), 2)} ms`,
      reference: `${round(percentile(bare, p), 2)} ms bare echo (retained QoS 1)`,
      ratio,
      target: '<= 1.3x',
      met: ratio <= 1.3,
    };
  });
}

/** The same round trips against a QoS 0, not retained echo: information, no target. */
export function qos0Rows(ours: number[], bareQos0: number[]): BenchRow[] {
  return [50, 99].map((p) => ({
    name: `command round trip p${p}, vs QoS 0 echo`,
    ours: `${round(percentile(ours, p), 2)} ms`,
    reference: `${round(percentile(bareQos0, p), 2)} ms bare echo (QoS 0)`,
    ratio: percentile(ours, p) / percentile(bareQos0, p),
    target: 'info',
    met: true,
  }));
}

export function spawnBox(url: string, id: string, dataDir: string, env: Record<string, string> = {}) {
  return spawn(process.execPath, [...unitNodeFlags(), join(ROOT, 'dist', 'firmware', 'main.js')], {
    cwd: ROOT,
    env: { ...process.env, ROOMBOX_MQTT_URL: url, ROOMBOX_ID: id, ROOMBOX_DATA_DIR: dataDir, ROOMBOX_CONSOLE: 'off', ROOMBOX_HTTP: 'off', ROOMBOX_LOG_LEVEL: 'warn', ROOMBOX_ZONE_LIVING_MAX_VOLUME: '100', ...env },
    stdio: 'ignore',
  });
}

export async function benchRoundTrip(): Promise<BenchRow[]> {
  const broker = await new Mosquitto().start();
  const dir = mkdtempSync(join(tmpdir(), 'roombox-bench-'));
  const box = spawnBox(broker.url, 'benchbox', dir);
  try {
    const { ours, bare, bareQos0 } = await roundTrips(broker.url, 'benchbox');
    return [...roundTripRows(ours, bare), ...qos0Rows(ours, bareQos0)];
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
