// The dashboard at scale: `roombox fleet-sim` with BENCH_DASHBOARD_BOXES boxes (500 by default)
// at the default levels rate on one mosquitto, `roombox dashboard` in front of it and one page
// open in Debian's Chromium. Over BENCH_DASHBOARD_S seconds: the dashboard server's CPU and RSS,
// and in the browser the frames drawn and every long task (over 50 ms; target: none).
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { Mosquitto, waitForPort } from '../test/helpers/mosquitto.js';
import { freePort } from '../test/helpers/ports.js';
import { launchChromium } from '../test/helpers/browser.js';
import { rssMb } from './memory.js';
import { measure } from './proc.js';
import { emitRow, printTable, round, type BenchRow } from './stats.js';

const ROOT = join(import.meta.dirname, '..');
const BOXES = Number(process.env.BENCH_DASHBOARD_BOXES ?? 500);
const SECONDS = Number(process.env.BENCH_DASHBOARD_S ?? 30);
const main = join(ROOT, 'dist', 'firmware', 'main.js');

async function allOnline(url: string, count: number, timeoutMs: number): Promise<void> {
  const c = await mqtt.connectAsync(url);
  const online = new Set<string>();
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${online.size} of ${count} boxes online after ${timeoutMs} ms`)), timeoutMs);
      c.on('message', (t, p) => {
        if (p.toString() === 'online') online.add(t);
        if (online.size >= count) {
          clearTimeout(timer);
          resolve();
        }
      });
      void c.subscribeAsync('roombox/+/status');
    });
  } finally {
    await c.endAsync();
  }
}

const broker = await new Mosquitto().start();
const port = await freePort();
const procs: ChildProcess[] = [];
const { browser, close } = await launchChromium();
const rows: BenchRow[] = [];
try {
  const fleet = spawn(process.execPath, [main, 'fleet-sim', '--count', String(BOXES)], { cwd: ROOT, env: { ...process.env, ROOMBOX_MQTT_URL: broker.url, ROOMBOX_LOG_LEVEL: 'error', ROOMBOX_HA_DISCOVERY: 'true' }, stdio: 'ignore' });
  procs.push(fleet);
  const t0 = Date.now();
  await allOnline(broker.url, BOXES, 20 * 60_000);
  console.error(`[dashboard] ${BOXES} boxes online after ${Math.round((Date.now() - t0) / 1000)} s`);
  const dash = spawn(process.execPath, [main, 'dashboard'], { cwd: ROOT, env: { ...process.env, ROOMBOX_MQTT_URL: broker.url, ROOMBOX_HTTP: `127.0.0.1:${port}`, ROOMBOX_LOG_LEVEL: 'warn' }, stdio: 'ignore' });
  procs.push(dash);
  await waitForPort(port, 30_000);
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.addInitScript(() => {
    const w = window as unknown as { __long: number[]; __frames: number };
    w.__long = [];
    w.__frames = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__long.push(e.duration);
    }).observe({ type: 'longtask', buffered: false });
    (w as unknown as { __loaf: unknown[] }).__loaf = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries() as unknown as { duration: number; blockingDuration: number; renderStart: number; startTime: number; styleAndLayoutStart: number; scripts: { invoker: string; duration: number }[] }[]) {
        if (e.duration > 50) (w as unknown as { __loaf: unknown[] }).__loaf.push({ d: Math.round(e.duration), block: Math.round(e.blockingDuration), render: Math.round(e.startTime + e.duration - e.renderStart), layout: Math.round(e.startTime + e.duration - e.styleAndLayoutStart), scripts: e.scripts.map((s) => `${s.invoker}:${Math.round(s.duration)}`) });
      }
    }).observe({ type: 'long-animation-frame', buffered: false });
    // The page's draws: the UI draws once per animation frame it asked for (headless Chromium
    // makes frames only on request, so a counting loop of our own would not run).
    const raf = window.requestAnimationFrame.bind(window);
    window.requestAnimationFrame = (cb) =>
      raf((t) => {
        w.__frames++;
        cb(t);
      });
  });
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction((n) => document.querySelectorAll('.tile').length >= n, BOXES, { timeout: 120_000 });
  await new Promise((r) => setTimeout(r, 5000));
  await page.evaluate(() => {
    const w = window as unknown as { __long: number[]; __frames: number };
    w.__long = [];
    w.__frames = 0;
  });
  const server = await measure(dash.pid!, SECONDS, rssMb);
  const { long, frames } = await page.evaluate(() => {
    const w = window as unknown as { __long: number[]; __frames: number };
    return { long: w.__long, frames: w.__frames };
  });
  const fps = frames / SECONDS;
  if (process.env.BENCH_DASHBOARD_DEBUG) console.error(JSON.stringify(await page.evaluate(() => (window as unknown as { __loaf: unknown[] }).__loaf)));
  rows.push(
    { name: `dashboard server with ${BOXES} fleet-sim boxes, one page (${SECONDS} s)`, ours: `${round(server.cpuPct, 1)} % of a core, ${round(server.rssMb, 1)} MB RSS`, reference: '-', ratio: 1, target: 'record', met: true },
    { name: `dashboard page, ${BOXES} boxes: long tasks over 50 ms in ${SECONDS} s`, ours: `${long.length}${long.length ? ` (longest ${round(Math.max(...long), 0)} ms)` : ''}`, reference: `${round(fps, 1)} draws/s`, ratio: 1, target: 'none', met: long.length === 0 },
  );
} finally {
  await close();
  for (const p of procs.reverse()) {
    p.kill('SIGTERM');
    await new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)));
  }
  await broker.dispose();
}
printTable(rows);
for (const r of rows) emitRow(r);
