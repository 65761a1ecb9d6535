// Idle CPU: the compiled firmware with the unit's node flags on the sim board (two zones, the
// stereo 48 kHz input metered: 10 level reports a second, loudness included), its web server
// listening with no page open, against a bare mqtt.js client started with the same flags that
// publishes once a second, both on one mosquitto. CPU is the process's own utime + stime from
// /proc/<pid>/stat (every thread); on a busy machine each wake-up costs more of it
// (docs/performance.md, Idle CPU), so compare only figures from one run. Over
// BENCH_IDLE_S seconds (300) after BENCH_IDLE_WARMUP_S (180): the first minutes hold start-up,
// V8's tier-up of code that runs a few times a second and its first memory-reducing collections,
// none of which a box running for months pays again. Target (issue): at most 0.5 % of a core.
import { waitForPort } from '../test/helpers/mosquitto.js';
import { freePort } from '../test/helpers/ports.js';
import { startBoxAndBare } from './box-and-bare.js';
import { cpuSeconds } from './proc.js';
import { emitRow, printTable, round, type BenchRow } from './stats.js';

const SECONDS = Number(process.env.BENCH_IDLE_S ?? 300);
const WARMUP_S = Number(process.env.BENCH_IDLE_WARMUP_S ?? 180);
const TARGET_PCT = 0.5;

const port = await freePort();
const { box, bare, stop } = await startBoxAndBare('idlebench', { ROOMBOX_HTTP: `127.0.0.1:${port}` });
const rows: BenchRow[] = [];
try {
  await waitForPort(port, 60_000);
  await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
  const ours0 = cpuSeconds(box.pid!);
  const bare0 = cpuSeconds(bare.pid!);
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (box.exitCode !== null || bare.exitCode !== null) throw new Error('a process exited during the measurement');
  const ours = ((cpuSeconds(box.pid!) - ours0) / wall) * 100;
  const ref = ((cpuSeconds(bare.pid!) - bare0) / wall) * 100;
  rows.push({
    name: `idle CPU, sim board metering, no page open (${SECONDS} s after ${WARMUP_S} s)`,
    ours: `${round(ours, 2)} % of a core`,
    reference: `${round(ref, 2)} % bare mqtt.js (same flags)`,
    ratio: ours / ref,
    target: `<= ${TARGET_PCT} % of a core`,
    met: ours <= TARGET_PCT,
  });
} finally {
  await stop();
}
printTable(rows);
for (const r of rows) emitRow(r);
