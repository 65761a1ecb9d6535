// `npm run bench`: every benchmark in its own process, one after the other, then one table of
// every row with its reference from the same run. BENCH_ONLY=startup,outbox runs a subset;
// BENCH_QUICK=1 shortens the long ones (memory 60 s instead of 600, idle CPU 60 s after 60 instead of 300 after 180, fleet up to 10 boxes, the
// web page 20 s per window, the dashboard 50 boxes instead of 500, recording 30 s instead of 120).
// Run only when named in BENCH_ONLY (they boot VMs and take long): arm64 (qemu, see
// docs/performance.md; BENCH_QUICK makes it 3 start-up runs and 120 s of RSS per VM).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { printTable, type BenchRow } from './stats.js';

const ROOT = join(import.meta.dirname, '..');
const ALL = ['startup', 'roundtrip', 'outbox', 'meter', 'loudness', 'loudness-silence', 'recording', 'wear', 'fleet', 'memory', 'idle', 'web-page', 'dashboard'];
const ON_REQUEST = ['arm64'];
const only = process.env.BENCH_ONLY?.split(',') ?? ALL;
const quick = process.env.BENCH_QUICK === '1';
const quickEnv: Record<string, string> = quick ? { BENCH_MEMORY_S: '60', BENCH_IDLE_S: '60', BENCH_IDLE_WARMUP_S: '60', BENCH_FLEET_STEPS: '5,10', BENCH_WEAR_S: '20', BENCH_WEB_S: '20', BENCH_DASHBOARD_BOXES: '50', BENCH_RECORD_S: '30', BENCH_ARM64_RUNS: '3', BENCH_ARM64_RSS_S: '120' } : {};

function runOne(name: string): Promise<BenchRow[]> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', `${name}.ts`)], {
      cwd: ROOT,
      env: { ...process.env, ...quickEnv },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.on('exit', (code) => {
      const rows = out
        .split('\n')
        .filter((l) => l.startsWith('BENCH_ROW '))
        .map((l) => JSON.parse(l.slice('BENCH_ROW '.length)) as BenchRow);
      if (code !== 0) rows.push({ name, ours: `failed (exit ${code})`, reference: '-', ratio: NaN, target: '-', met: false });
      console.error(`[bench] ${name}: ${Math.round((Date.now() - started) / 1000)} s`);
      resolve(rows);
    });
  });
}

const rows: BenchRow[] = [];
for (const name of [...ALL, ...ON_REQUEST].filter((n) => only.includes(n))) rows.push(...(await runOne(name)));
console.log(`\nroombox benchmarks, ${new Date().toISOString()}${quick ? ' (BENCH_QUICK)' : ''}\n`);
printTable(rows);
const missed = rows.filter((r) => !r.met);
console.log(missed.length ? `\ntargets not met: ${missed.map((r) => r.name).join('; ')}` : '\nevery target met');
