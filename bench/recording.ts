// Recording CPU: the compiled firmware on the sim board (its `stage` input: 2 channels, 48 kHz,
// S16, meters at 10 Hz) recording into FLAC segments, against the same box only metering, each
// for BENCH_RECORD_S seconds after a 10 s warm-up. CPU is that of the box process and of its
// children (the flac encoders, live and finished), in % of one core.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mosquitto } from '../test/helpers/mosquitto.js';
import { unitNodeFlags } from './memory.js';
import { emitRow, printTable, round, type BenchRow } from './stats.js';

const ROOT = join(import.meta.dirname, '..');
const SECONDS = Number(process.env.BENCH_RECORD_S ?? 120);
const WARMUP_S = 10;
const TICK = 100; // USER_HZ: /proc stat times are in 1/100 s on Linux

function statFields(pid: number): string[] {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return s.slice(s.lastIndexOf(')') + 2).split(' ');
}

/** CPU seconds of pid, its reaped children, and its live children. */
function cpuSeconds(pid: number): number {
  const f = statFields(pid);
  // Fields from state: utime is the 12th, stime 13th, cutime 14th, cstime 15th (1-based after the name).
  let ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const c = statFields(Number(entry));
      if (Number(c[1]) === pid) ticks += Number(c[11]) + Number(c[12]);
    } catch {
      /* gone meanwhile */
    }
  }
  return ticks / TICK;
}

async function measure(broker: Mosquitto, record: boolean): Promise<{ percent: number; files: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'roombox-bench-'));
  const box: ChildProcess = spawn(process.execPath, [...unitNodeFlags(), join(ROOT, 'dist', 'firmware', 'main.js')], {
    cwd: ROOT,
    env: {
      ...process.env,
      ROOMBOX_MQTT_URL: broker.url,
      ROOMBOX_ID: record ? 'recbox' : 'meterbox',
      ROOMBOX_DATA_DIR: join(dir, 'data'),
      ROOMBOX_CONSOLE: 'off',
      ROOMBOX_LOG_LEVEL: 'warn',
      ROOMBOX_RECORD: record ? 'on' : 'off',
      ROOMBOX_RECORD_SEGMENT_S: '30',
    },
    stdio: 'ignore',
  });
  try {
    await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
    const c0 = cpuSeconds(box.pid!);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    const cpu = cpuSeconds(box.pid!) - c0;
    const wall = (performance.now() - t0) / 1000;
    const files = record ? (readdirSync(join(dir, 'data', 'recordings'), { recursive: true }) as string[]).filter((p) => p.endsWith('.flac')).length : 0;
    return { percent: (100 * cpu) / wall, files };
  } finally {
    box.kill('SIGTERM');
    await new Promise((r) => box.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchRecording(): Promise<BenchRow> {
  const broker = await new Mosquitto().start();
  try {
    const metering = await measure(broker, false);
    const recording = await measure(broker, true);
    if (recording.files === 0) throw new Error('the recording run wrote no file');
    const diff = recording.percent - metering.percent;
    return {
      name: `CPU recording 2 ch 48 kHz FLAC, meters on (${SECONDS} s)`,
      ours: `${round(recording.percent, 2)} % of a core (+${round(diff, 2)})`,
      reference: `${round(metering.percent, 2)} % metering only`,
      ratio: recording.percent / metering.percent,
      target: 'recording adds < 5 % of a core',
      met: diff < 5,
    };
  } finally {
    await broker.dispose();
  }
}

if (process.argv[1]?.endsWith('recording.ts')) {
  const row = await benchRecording();
  printTable([row]);
  emitRow(row);
}
