// Start-up: process start to retained `online` on P/status, for the compiled firmware against a
// bare mqtt.js script that connects and publishes `online` (the floor for "a Node process that
// speaks MQTT"). Alternates the two, N runs each, and reports medians and the ratio.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { Mosquitto } from '../test/helpers/mosquitto.js';
import { emitRow, median, printTable, round, type BenchRow } from './stats.js';

const ROOT = join(import.meta.dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 7);

async function timeToOnline(broker: Mosquitto, id: string, cmd: string[], env: Record<string, string>): Promise<number> {
  const sub = await mqtt.connectAsync(broker.url);
  const topic = `roombox/${id}/status`;
  // Clear any retained status first so only this run's `online` counts.
  await sub.publishAsync(topic, '', { retain: true, qos: 1 });
  await sub.subscribeAsync(topic, { qos: 1 });
  const t0 = performance.now();
  const child = spawn(process.execPath, cmd, { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'ignore' });
  const elapsed = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd.join(' ')}: no online within 30 s`)), 30_000);
    sub.on('message', (_t, payload) => {
      if (payload.toString() === 'online') {
        clearTimeout(timer);
        resolve(performance.now() - t0);
      }
    });
  });
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  await sub.endAsync();
  return elapsed;
}

export async function benchStartup(): Promise<BenchRow> {
  const broker = await new Mosquitto().start();
  const dir = mkdtempSync(join(tmpdir(), 'roombox-bench-'));
  const bare = join(dir, 'bare.mjs');
  writeFileSync(
    bare,
    `import mqtt from ${JSON.stringify(join(ROOT, 'node_modules', 'mqtt', 'build', 'index.js'))};
const c = mqtt.connect(process.env.URL, { will: { topic: 'roombox/bare/status', payload: 'offline', retain: true, qos: 1 } });
c.on('connect', () => c.publish('roombox/bare/status', 'online', { retain: true, qos: 1 }));
`,
  );
  const ours: number[] = [];
  const ref: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      ref.push(await timeToOnline(broker, 'bare', [bare], { URL: broker.url }));
      ours.push(
        await timeToOnline(broker, 'benchbox', [join(ROOT, 'dist', 'firmware', 'main.js')], {
          ROOMBOX_MQTT_URL: broker.url,
          ROOMBOX_ID: 'benchbox',
          ROOMBOX_DATA_DIR: join(dir, `data${i}`),
          ROOMBOX_CONSOLE: 'off',
          ROOMBOX_LOG_LEVEL: 'warn',
        }),
      );
    }
  } finally {
    await broker.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
  const ratio = median(ours) / median(ref);
  return {
    name: 'start-up to online (median)',
    ours: `${round(median(ours), 0)} ms`,
    reference: `${round(median(ref), 0)} ms bare mqtt.js`,
    ratio,
    target: '<= 3x',
    met: ratio <= 3,
  };
}

if (process.argv[1]?.endsWith('startup.ts')) {
  const row = await benchStartup();
  printTable([row]);
  emitRow(row);
}
