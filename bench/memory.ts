// Memory: RSS of the compiled firmware on the sim board (both zones, the input metering) after
// BENCH_MEMORY_S seconds (the target is stated for 10 minutes: the default), against the RSS of
// a bare mqtt.js client in the same run, both with the unit's node flags. Target (issue): at most
// the bare client's + 10 MB. Samples every 10 s to show growth (flatness over an hour: `npm run soak`).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mosquitto } from '../test/helpers/mosquitto.js';
import { emitRow, printTable, round, type BenchRow } from './stats.js';

const ROOT = join(import.meta.dirname, '..');
const SECONDS = Number(process.env.BENCH_MEMORY_S ?? 600);
/** What the box may hold beyond a bare mqtt.js client (issue: 10 MB). */
const BUDGET_MB = 10;

/** The node options of the unit's ExecStart line (between `node` and the script). */
export function unitNodeFlags(): string[] {
  const unit = readFileSync(join(ROOT, 'rootfs-overlay', 'etc', 'systemd', 'system', 'roombox.service'), 'utf8');
  const exec = /^ExecStart=(?:.*\s)?\S*\/node((?:\s+--\S+)*)\s/m.exec(unit);
  return exec ? exec[1]!.trim().split(/\s+/).filter(Boolean) : [];
}

export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export async function benchMemory(seconds = SECONDS): Promise<{ row: BenchRow; samples: number[] }> {
  const broker = await new Mosquitto().start();
  const dir = mkdtempSync(join(tmpdir(), 'roombox-bench-'));
  const bareFile = join(dir, 'bare.mjs');
  writeFileSync(bareFile, `import mqtt from ${JSON.stringify(join(ROOT, 'node_modules', 'mqtt', 'build', 'index.js'))};\nconst c = mqtt.connect(process.env.URL);\nc.on('connect', () => setInterval(() => c.publish('bare/telemetry', JSON.stringify({ t: Date.now() }), { qos: 1 }), 1000));\n`);
  // Node's flags as the systemd unit runs it on the device.
  const box = spawn(process.execPath, [...unitNodeFlags(), join(ROOT, 'dist', 'firmware', 'main.js')], {
    cwd: ROOT,
    env: { ...process.env, ROOMBOX_MQTT_URL: broker.url, ROOMBOX_ID: 'membox', ROOMBOX_DATA_DIR: join(dir, 'data'), ROOMBOX_CONSOLE: 'off', ROOMBOX_LOG_LEVEL: 'warn', ROOMBOX_TELEMETRY_S: '5' },
    stdio: 'ignore',
  });
  const bare = spawn(process.execPath, [...unitNodeFlags(), bareFile], { env: { ...process.env, URL: broker.url }, stdio: 'ignore' });
  const samples: number[] = [];
  try {
    for (let t = 0; t < seconds; t += 10) {
      await new Promise((r) => setTimeout(r, Math.min(10, seconds - t) * 1000));
      samples.push(round(rssMb(box.pid!), 1));
    }
    const ours = rssMb(box.pid!);
    const ref = rssMb(bare.pid!);
    return {
      row: {
        name: `RSS after ${seconds} s (sim board)`,
        ours: `${round(ours, 1)} MB`,
        reference: `${round(ref, 1)} MB bare mqtt.js`,
        ratio: ours / ref,
        target: `<= bare + ${BUDGET_MB} MB (${round(ref + BUDGET_MB, 1)} MB)`,
        met: ours <= ref + BUDGET_MB,
      },
      samples,
    };
  } finally {
    box.kill('SIGTERM');
    bare.kill('SIGKILL');
    await Promise.all([new Promise((r) => box.once('exit', r)), new Promise((r) => bare.once('exit', r))]);
    await broker.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith('memory.ts')) {
  const { row, samples } = await benchMemory();
  console.log(`RSS samples every 10 s (MB): ${samples.join(' ')}`);
  printTable([row]);
  emitRow(row);
}
