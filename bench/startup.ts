// Start-up: process start to retained `online` on P/status, for the compiled firmware against a
// bare mqtt.js script that connects and publishes `online` (the floor for "a Node process that
// speaks MQTT"). Both run with the node flags of the systemd unit. The two alternate, one warm-up
// pair first (discarded: it fills the page cache and creates the box's database, as a box that
// restarts has one), then BENCH_RUNS pairs; the rows report medians and their ratio.
//
// Two configurations of the sim board (two zones, one input metered at 10 Hz):
// - the device's: a broker URL, the web page on, the console off (the target);
// - the zero-config default: no broker URL, so the embedded broker (information).
// A third row gives the CPU time each process used until `online` (information): on a machine
// busy with other work it moves less than the wall time does.
// BENCH_STARTUP_BOX=<main.js> times another build (an older commit's) instead of dist/.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { Mosquitto } from '../test/helpers/mosquitto.js';
import { freePort } from '../test/helpers/ports.js';
import { unitNodeFlags } from './memory.js';
import { emitRow, median, printTable, round, type BenchRow } from './stats.js';

const ROOT = join(import.meta.dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 11);
const TARGET = 1.5;

interface Subject {
  cmd: string[];
  env: Record<string, string>;
  /** The broker the subject reports to; undefined: the subject brings its own on `port`. */
  brokerUrl?: string;
  port?: number;
  statusTopic: string;
}

/** CPU time (user + system, all threads) a process has used so far, in ms (10 ms steps). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

interface Run {
  /** Wall time from spawn to `online` arriving. */
  ms: number;
  /** CPU time the process had used by then: what the machine's other load does not stretch. */
  cpu: number;
}

/** From spawn to `online` on the subject's status topic. */
async function timeToOnline(s: Subject): Promise<Run> {
  let sub: mqtt.MqttClient | undefined;
  if (s.brokerUrl) {
    sub = await mqtt.connectAsync(s.brokerUrl);
    // Clear any retained status first so only this run's `online` counts.
    await sub.publishAsync(s.statusTopic, '', { retain: true, qos: 1 });
    await sub.subscribeAsync(s.statusTopic, { qos: 1 });
  }
  const t0 = performance.now();
  const child = spawn(process.execPath, [...unitNodeFlags(), ...s.cmd], { cwd: ROOT, env: { ...process.env, ...s.env }, stdio: 'ignore' });
  try {
    // The embedded broker exists only once the box runs: connect as soon as its port answers.
    if (!sub) sub = await connectWhenListening(s.port!, t0);
    const client = sub;
    return await new Promise<Run>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${s.cmd.join(' ')}: no online within 30 s`)), 30_000);
      child.once('exit', (code) => reject(new Error(`${s.cmd.join(' ')} exited (${code}) before online`)));
      client.on('message', (_t, payload) => {
        if (payload.toString() === 'online') {
          clearTimeout(timer);
          const ms = performance.now() - t0;
          resolve({ ms, cpu: cpuMs(child.pid!) });
        }
      });
      if (!s.brokerUrl) client.subscribe(s.statusTopic, { qos: 1 });
    });
  } finally {
    child.kill('SIGKILL');
    if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
    await sub?.endAsync(true);
  }
}

async function connectWhenListening(port: number, t0: number): Promise<mqtt.MqttClient> {
  while (performance.now() - t0 < 30_000) {
    const open = await new Promise<boolean>((resolve) => {
      const sock = tcpConnect(port, '127.0.0.1');
      sock.once('connect', () => (sock.destroy(), resolve(true)));
      sock.once('error', () => resolve(false));
    });
    if (open) return mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`nothing listens on ${port} within 30 s`);
}

/** Alternates bare and box, one discarded warm-up pair, then RUNS pairs. */
async function compare(bare: Subject, box: Subject): Promise<{ ours: Run[]; ref: Run[] }> {
  const ours: Run[] = [];
  const ref: Run[] = [];
  for (let i = -1; i < RUNS; i++) {
    const r = await timeToOnline(bare);
    const o = await timeToOnline(box);
    if (i >= 0) (ref.push(r), ours.push(o));
  }
  return { ours, ref };
}

function row(name: string, runs: { ours: Run[]; ref: Run[] }, what: keyof Run, info: boolean): BenchRow {
  const ours = runs.ours.map((r) => r[what]);
  const ref = runs.ref.map((r) => r[what]);
  const ratio = median(ours) / median(ref);
  return {
    name: `${name} (median of ${ours.length})`,
    ours: `${round(median(ours), 0)} ms`,
    reference: `${round(median(ref), 0)} ms bare mqtt.js`,
    ratio,
    target: info ? 'info' : `<= ${TARGET}x`,
    met: info ? true : ratio <= TARGET,
  };
}

export async function benchStartup(): Promise<BenchRow[]> {
  const broker = await new Mosquitto().start();
  const dir = mkdtempSync(join(tmpdir(), 'roombox-bench-'));
  const bareFile = join(dir, 'bare.mjs');
  writeFileSync(
    bareFile,
    `import mqtt from ${JSON.stringify(join(ROOT, 'node_modules', 'mqtt', 'build', 'index.js'))};
const c = mqtt.connect(process.env.URL, { will: { topic: 'roombox/bare/status', payload: 'offline', retain: true, qos: 1 } });
c.on('connect', () => c.publish('roombox/bare/status', 'online', { retain: true, qos: 1 }));
`,
  );
  const bare: Subject = { cmd: [bareFile], env: { URL: broker.url }, brokerUrl: broker.url, statusTopic: 'roombox/bare/status' };
  const main = process.env.BENCH_STARTUP_BOX ?? join(ROOT, 'dist', 'firmware', 'main.js');
  const common = { ROOMBOX_BOARD: 'sim', ROOMBOX_CONSOLE: 'off', ROOMBOX_LOG_LEVEL: 'warn', ROOMBOX_LEVELS_HZ: '10' };
  try {
    const device = await compare(bare, {
      cmd: [main],
      env: { ...common, ROOMBOX_MQTT_URL: broker.url, ROOMBOX_ID: 'benchbox', ROOMBOX_DATA_DIR: join(dir, 'device'), ROOMBOX_HTTP: `127.0.0.1:${await freePort()}` },
      brokerUrl: broker.url,
      statusTopic: 'roombox/benchbox/status',
    });
    const port = await freePort();
    const zeroConfig = await compare(bare, {
      cmd: [main],
      env: { ...common, ROOMBOX_ID: 'zerobox', ROOMBOX_DATA_DIR: join(dir, 'zero'), ROOMBOX_EMBEDDED_BROKER_PORT: String(port), ROOMBOX_HTTP: `127.0.0.1:${await freePort()}` },
      port,
      statusTopic: 'roombox/zerobox/status',
    });
    return [
      row('start-up to online, broker URL, web page on', device, 'ms', false),
      row('start-up CPU time to online, broker URL, web page on', device, 'cpu', true),
      row('start-up to online, zero-config (embedded broker)', zeroConfig, 'ms', true),
    ];
  } finally {
    await broker.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith('startup.ts')) {
  const rows = await benchStartup();
  printTable(rows);
  for (const r of rows) emitRow(r);
}
