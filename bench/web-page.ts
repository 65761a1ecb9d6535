// The cost of one open web page on the box: the compiled firmware on the sim board (both zones,
// the input metering at the default 10 levels a second) with the unit's node flags, its CPU and
// RSS over BENCH_WEB_S seconds with no page open, then as long again with one page open in
// Debian's Chromium. Targets (issue): at most +5 MB RSS and +1 % of a core.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mosquitto, waitForPort } from '../test/helpers/mosquitto.js';
import { freePort } from '../test/helpers/ports.js';
import { launchChromium } from '../test/helpers/browser.js';
import { waitForMeters } from '../test/helpers/web-page.js';
import { rssMb, unitNodeFlags } from './memory.js';
import { measure } from './proc.js';
import { emitRow, printTable, round, type BenchRow } from './stats.js';

const ROOT = join(import.meta.dirname, '..');
const SECONDS = Number(process.env.BENCH_WEB_S ?? 60);
const WARMUP_S = 20;

const broker = await new Mosquitto().start();
const dir = mkdtempSync(join(tmpdir(), 'roombox-bench-web-'));
const port = await freePort();
const box = spawn(process.execPath, [...unitNodeFlags(), join(ROOT, 'dist', 'firmware', 'main.js')], {
  cwd: ROOT,
  env: { ...process.env, ROOMBOX_MQTT_URL: broker.url, ROOMBOX_ID: 'webbench', ROOMBOX_DATA_DIR: join(dir, 'data'), ROOMBOX_CONSOLE: 'off', ROOMBOX_LOG_LEVEL: 'warn', ROOMBOX_HTTP: `127.0.0.1:${port}` },
  stdio: 'ignore',
});
const { browser, close } = await launchChromium();
const rows: BenchRow[] = [];
try {
  await waitForPort(port, 30_000);
  await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
  const closed = await measure(box.pid!, SECONDS, rssMb);
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${port}/`);
  await waitForMeters(page, 'stage', { min: -100, max: 0 });
  await new Promise((r) => setTimeout(r, 5000));
  const open = await measure(box.pid!, SECONDS, rssMb);
  await page.close();
  const dRss = open.rssMb - closed.rssMb;
  const dCpu = open.cpuPct - closed.cpuPct;
  rows.push(
    { name: `box CPU, no page open (sim board, levels 10/s, ${SECONDS} s)`, ours: `${round(closed.cpuPct, 2)} % of a core`, reference: `${round(closed.rssMb, 1)} MB RSS`, ratio: 1, target: 'record', met: true },
    { name: 'one open page: extra RSS on the box', ours: `${dRss >= 0 ? '+' : ''}${round(dRss, 1)} MB`, reference: `${round(closed.rssMb, 1)} MB closed`, ratio: open.rssMb / closed.rssMb, target: '<= +5 MB', met: dRss <= 5 },
    { name: 'one open page: extra CPU on the box', ours: `${dCpu >= 0 ? '+' : ''}${round(dCpu, 2)} % of a core`, reference: `${round(closed.cpuPct, 2)} % closed`, ratio: open.cpuPct / closed.cpuPct, target: '<= +1 % of a core', met: dCpu <= 1 },
  );
} finally {
  await close();
  box.kill('SIGTERM');
  await new Promise((r) => box.once('exit', r));
  await broker.dispose();
  rmSync(dir, { recursive: true, force: true });
}
printTable(rows);
for (const r of rows) emitRow(r);
