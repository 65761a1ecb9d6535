// `npm run soak`: the compiled firmware, with the unit's node flags, on the sim board for SOAK_S
// seconds (default one hour) as a box runs in a room: the input metered (10 level reports a
// second), recording into FLAC files, the web page open in Chromium the whole time, telemetry
// every second, a volume command every second, a kitchen power toggle every 10 s and a 10 s broker
// outage every 5 minutes. Then it checks what a user would: the box is still up, every seq
// arrived in order, the page still shows live meters, the recording holds the hour and is still
// being written (the sim board's generator keeps time by the clock as a sound card does, also on a
// busy machine), and RSS stayed flat: less than SOAK_GROWTH_MB (2) of growth over the last half of
// the run (the last 30 minutes of an hour). Flatness is judged on the process's anonymous memory (RssAnon: its
// heaps); the file-backed rest is the node binary's and libraries' pages in the page cache, which
// the kernel evicts and reloads with the whole machine's memory pressure. Both are printed.
// Exit 1 on a failure.
//
// SOAK_HEAPSNAPSHOT_S=600 also writes a heap snapshot of the box every 10 minutes into
// SOAK_HEAPSNAPSHOT_DIR (node --heapsnapshot-signal), to compare object counts by constructor
// (a snapshot itself costs the process 100+ MB of RSS: such a run says nothing about RSS).
// SOAK_NODE_FLAGS adds node flags (e.g. --trace-gc), SOAK_BOX_LOG keeps the box's output in a file.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from '../test/helpers/browser.js';
import { Mosquitto, waitForPort } from '../test/helpers/mosquitto.js';
import { MqttProbe } from '../test/helpers/mqtt-probe.js';
import { freePort } from '../test/helpers/ports.js';
import { TcpProxy } from '../test/helpers/tcp-proxy.js';
import { waitForMeters } from '../test/helpers/web-page.js';
import { unitNodeFlags } from './memory.js';
import { round } from './stats.js';

const ROOT = join(import.meta.dirname, '..');
const SECONDS = Number(process.env.SOAK_S ?? 3600);
/** RSS growth allowed over the last half of the run (issue: 2 MB over the last 30 minutes of an hour). */
const GROWTH_LIMIT_MB = Number(process.env.SOAK_GROWTH_MB ?? 2);
const SNAPSHOT_S = Number(process.env.SOAK_HEAPSNAPSHOT_S ?? 0);
const SAMPLE_S = 30;
const P = 'roombox/soakbox';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Least-squares slope of y over x. */
function slope(points: { t: number; mb: number }[]): number {
  const n = points.length;
  const mt = points.reduce((a, p) => a + p.t, 0) / n;
  const mm = points.reduce((a, p) => a + p.mb, 0) / n;
  const num = points.reduce((a, p) => a + (p.t - mt) * (p.mb - mm), 0);
  const den = points.reduce((a, p) => a + (p.t - mt) ** 2, 0);
  return den > 0 ? num / den : 0;
}

/** RSS and its anonymous (heaps) and file-backed (mapped binaries) shares, MB. */
function rssParts(pid: number): { rss: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (field: string) => round(Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024, 1);
  return { rss: mb('VmRSS'), anon: mb('RssAnon'), file: mb('RssFile') };
}

function flacFiles(dir: string): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith('.flac')) {
        count++;
        bytes += statSync(join(d, e.name)).size;
      }
    }
  };
  try {
    walk(dir);
  } catch {
    /* not made yet */
  }
  return { count, bytes };
}

const broker = await new Mosquitto().start();
const proxy = await new TcpProxy(broker.port).start();
const dir = mkdtempSync(join(tmpdir(), 'roombox-soak-'));
const recordDir = join(dir, 'recordings');
const snapshotDir = process.env.SOAK_HEAPSNAPSHOT_DIR ?? join(dir, 'heap');
if (SNAPSHOT_S > 0) mkdirSync(snapshotDir, { recursive: true });
const httpPort = await freePort();
const probe = await MqttProbe.connect(broker.url, [`${P}/status`]);
const seqs: number[] = [];
probe.client.on('message', (t, p) => {
  if (/\/(event|telemetry)$/.test(t)) seqs.push((JSON.parse(p.toString()) as { seq: number }).seq);
});
await probe.client.subscribeAsync([`${P}/event`, `${P}/telemetry`, `${P}/response`], { qos: 1 });
const snapshotFlags = SNAPSHOT_S > 0 ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapshotDir}`] : [];
const extraFlags = process.env.SOAK_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? [];
const boxLog = process.env.SOAK_BOX_LOG ? openSync(process.env.SOAK_BOX_LOG, 'a') : 'ignore';
const box = spawn(process.execPath, [...unitNodeFlags(), ...snapshotFlags, ...extraFlags, join(ROOT, 'dist', 'firmware', 'main.js')], {
  cwd: ROOT,
  env: {
    ...process.env,
    ROOMBOX_MQTT_URL: proxy.url,
    ROOMBOX_ID: 'soakbox',
    ROOMBOX_DATA_DIR: join(dir, 'data'),
    ROOMBOX_CONSOLE: 'off',
    ROOMBOX_LOG_LEVEL: 'warn',
    ROOMBOX_ZONE_LIVING_MAX_VOLUME: '100',
    ROOMBOX_TELEMETRY_S: '1',
    ROOMBOX_HTTP: `127.0.0.1:${httpPort}`,
    ROOMBOX_RECORD: 'on',
    ROOMBOX_RECORD_DIR: recordDir,
    ROOMBOX_RECORD_SEGMENT_S: process.env.SOAK_RECORD_SEGMENT_S ?? '300',
    ROOMBOX_RECORD_MIN_FREE_MB: '0',
  },
  stdio: ['ignore', boxLog, boxLog],
});
const { browser, close: closeBrowser } = await launchChromium();
const failures: string[] = [];
const samples: { t: number; mb: number; rss: number; file: number }[] = [];
try {
  await probe.waitFor((m) => m.topic === `${P}/status` && m.payload === 'online', 60_000, 'online');
  await waitForPort(httpPort, 30_000);
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${httpPort}/`);
  await waitForMeters(page, 'stage', { min: -100, max: 0 });
  const t0 = Date.now();
  let tick = 0;
  while (Date.now() - t0 < SECONDS * 1000) {
    tick++;
    await probe.publish(`${P}/zone/living/volume/set`, String(20 + (tick % 30)));
    if (tick % 10 === 0) await probe.publish(`${P}/zone/kitchen/power/set`, tick % 20 === 0 ? 'on' : 'off');
    if (tick % 300 === 150) proxy.down();
    if (tick % 300 === 160) proxy.up();
    if (tick % SAMPLE_S === 0) {
      const m = rssParts(box.pid!);
      samples.push({ t: Math.round((Date.now() - t0) / 1000), mb: m.anon, rss: m.rss, file: m.file });
      console.log(`[soak] ${samples.at(-1)!.t} s: RSS ${m.rss} MB (anon ${m.anon}, file ${m.file}), ${seqs.length} messages`);
    }
    if (SNAPSHOT_S > 0 && tick % SNAPSHOT_S === 0) box.kill('SIGUSR2');
    if (box.exitCode !== null) throw new Error(`the box exited (${box.exitCode})`);
    await sleep(1000);
  }
  proxy.up();
  // The page is still live: its meters move to a new tone level.
  // Through the broker: the box may still be reconnecting after an outage (slowly, on a busy
  // machine), so ask until it answers, for up to 2 minutes.
  let answered = false;
  for (const until = Date.now() + 120_000; !answered && Date.now() < until; ) answered = await probe.request(P, 'sim tone stage -6').then(() => true, () => false);
  if (!answered) failures.push('the box did not answer a request for 2 minutes after the last outage');
  else await waitForMeters(page, 'stage', { min: -7, max: -5 }, 60_000).catch(() => failures.push('the page stopped showing levels'));
  const before = flacFiles(recordDir);
  await sleep(15_000);
  const rec = flacFiles(recordDir);
  const segmentS = Number(process.env.SOAK_RECORD_SEGMENT_S ?? 300);
  console.log(`recording: ${rec.count} FLAC files, ${round(rec.bytes / 2 ** 20, 1)} MiB`);
  // Still being written: the files grew over the last 15 s.
  if (rec.bytes <= before.bytes) failures.push(`recording: no FLAC bytes written in the last 15 s (${rec.bytes} bytes in ${rec.count} files)`);
  if (rec.count < Math.floor(SECONDS / segmentS)) failures.push(`recording: ${rec.count} files, expected at least ${Math.floor(SECONDS / segmentS)}`);
  const unique = [...new Set(seqs)];
  const inOrder = !unique.some((s, i) => i > 0 && s <= unique[i - 1]!) && unique[0] === 1 && unique.at(-1) === unique.length;
  if (unique.some((s, i) => i > 0 && s <= unique[i - 1]!)) failures.push('seq out of order');
  if (unique[0] !== 1 || unique.at(-1) !== unique.length) failures.push(`gaps: ${unique.length} distinct seqs up to ${unique.at(-1)}`);
  const half = samples.filter((s) => s.t >= SECONDS / 2);
  const growth = half.length >= 2 ? slope(half) * (half.at(-1)!.t - half[0]!.t) : 0;
  console.log(`\nsoak ${SECONDS} s: ${unique.length} events and telemetry, all in seq order without a gap: ${inOrder}`);
  console.log(`RSS (MB) every ${SAMPLE_S} s: ${samples.map((s) => s.rss).join(' ')}`);
  console.log(`anonymous RSS (MB) every ${SAMPLE_S} s: ${samples.map((s) => s.mb).join(' ')}`);
  const totalGrowth = half.length >= 2 ? slope(half.map((s) => ({ t: s.t, mb: s.rss }))) * (half.at(-1)!.t - half[0]!.t) : 0;
  console.log(
    `anonymous RSS over the last half (${half[0]?.t ?? '-'}-${half.at(-1)?.t ?? '-'} s): ${half[0]?.mb ?? '-'} -> ${half.at(-1)?.mb ?? '-'} MB, ` +
      `growth (least-squares slope x duration) ${round(growth, 2)} MB (limit ${GROWTH_LIMIT_MB} MB); total RSS the same way ${round(totalGrowth, 2)} MB; ` +
      `peak RSS ${Math.max(...samples.map((s) => s.rss))} MB`,
  );
  if (half.length >= 2 && growth >= GROWTH_LIMIT_MB) failures.push(`anonymous RSS grew ${round(growth, 2)} MB over the last half`);
} catch (err) {
  failures.push((err as Error).message);
} finally {
  await closeBrowser();
  box.kill('SIGTERM');
  if (box.exitCode === null) await new Promise((r) => box.once('exit', r));
  await probe.close();
  await proxy.stop();
  await broker.dispose();
  rmSync(dir, { recursive: true, force: true });
}
console.log(failures.length ? `SOAK FAILED: ${failures.join('; ')}` : 'SOAK PASSED');
process.exit(failures.length ? 1 : 0);
