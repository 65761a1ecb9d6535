#!/usr/bin/env node
// Runs every test/**/*.test.ts, each file in its own `node --import tsx --test` process (Node 20's
// --test has no globs). Optional arguments filter the files by substring:
// `node scripts/run-tests.mjs zones console`. TEST_DIR names another folder to search (default test/).
//
// Nothing a test does may stall or sink the run, so this runner, not the test runner inside each
// file, enforces the bounds:
// - every file runs in its own process group, and every process it starts carries a marker in its
//   environment, so the file and everything it left behind (even a child that left the group) can
//   be found in /proc and killed;
// - a file is killed when it passes TEST_FILE_TIMEOUT_S (default 1500) or when its processes
//   together hold more than TEST_FILE_RSS_MB of memory (default 4096): one runaway file must not
//   push the machine into swapping, where every other file's timers stop meaning anything;
// - the whole run is bounded by TEST_RUN_TIMEOUT_S (default 2700); files not finished by then fail.
// Each file's output is printed whole when it ends (two files run at once, TEST_CONCURRENCY), and a
// summary with every file's result, time and peak memory closes the run.
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';

const root = join(import.meta.dirname, '..');
const filters = process.argv.slice(2);
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.ts')) files.push(relative(root, p));
  }
})(process.env.TEST_DIR ?? join(root, 'test'));
const chosen = filters.length ? files.filter((f) => filters.some((x) => f.includes(x))) : files;
if (chosen.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// The longest files first (the arm64 bundle, image and boot; the A/B card and release builds; the
// minute of broker flapping), so they overlap the many short ones instead of running alone at the end.
const SLOW_FIRST = ['test/ship/', 'test/hil/', 'test/update/card', 'test/reliability/flapping', 'test/reliability/kill-restart'];
const rank = (f) => {
  const i = SLOW_FIRST.findIndex((s) => f.startsWith(s));
  return i === -1 ? SLOW_FIRST.length : i;
};
chosen.sort((a, b) => rank(a) - rank(b));

const concurrency = Number(process.env.TEST_CONCURRENCY ?? 2);
const fileTimeoutS = Number(process.env.TEST_FILE_TIMEOUT_S ?? 1500);
const runTimeoutS = Number(process.env.TEST_RUN_TIMEOUT_S ?? 2700);
const fileRssMb = Number(process.env.TEST_FILE_RSS_MB ?? 4096);
const WATCH_MS = 2000;
const runId = randomBytes(4).toString('hex');
// One variable per run, so a run inside a test (the runner's own test) keeps the outer run's mark.
const MARKER = `ROOMBOX_TEST_MARK_${runId}`;
const outDir = mkdtempSync(join(tmpdir(), 'roombox-run-tests-'));
const pageKb = 4;

/** One look at /proc: per mark, the live pids whose environment carries it and their resident memory in MB. */
function markedProcesses() {
  const key = `${MARKER}=`;
  const byMark = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${name}/environ`, 'latin1');
      const at = environ.indexOf(key);
      if (at < 0) continue;
      const mark = environ.slice(at + key.length, environ.indexOf('\0', at));
      const entry = byMark.get(mark) ?? { pids: [], rssMb: 0 };
      entry.pids.push(Number(name));
      entry.rssMb += (Number(readFileSync(`/proc/${name}/statm`, 'latin1').split(' ')[1]) * pageKb) / 1024;
      byMark.set(mark, entry);
    } catch {
      /* gone meanwhile, or not ours to read */
    }
  }
  return byMark;
}

function killMarked(mark, signal) {
  const pids = markedProcesses().get(mark)?.pids ?? [];
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
  return pids.length;
}

const running = new Set();
const totals = { tests: 0, pass: 0, fail: 0 };
const results = [];
let next = 0;

function startFile(file, index) {
  const mark = String(index);
  const outPath = join(outDir, `${index}.out`);
  const out = openSync(outPath, 'w');
  const started = Date.now();
  // NODE_TEST_CONTEXT is set when this runner itself runs inside a test; node --test would then skip.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-timeout=${fileTimeoutS * 1000}`, file], {
    cwd: root,
    env: { ...env, [MARKER]: mark },
    stdio: ['ignore', out, out],
    detached: true,
  });
  closeSync(out);
  const job = { file, index, mark, child, started, peakMb: 0, killedFor: undefined, outPath };
  process.stdout.write(`# ----- started ${file} (${index + 1} of ${chosen.length})\n`);
  running.add(job);
  const stopJob = (reason) => {
    if (job.killedFor) return;
    job.killedFor = reason;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      /* group gone */
    }
    killMarked(mark, 'SIGTERM');
    setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* group gone */
      }
      killMarked(mark, 'SIGKILL');
    }, 5000).unref();
  };
  job.stop = stopJob;
  job.timer = setTimeout(() => stopJob(`passed its ${fileTimeoutS} s bound (TEST_FILE_TIMEOUT_S)`), fileTimeoutS * 1000);
  child.on('exit', (code, signal) => {
    clearTimeout(job.timer);
    running.delete(job);
    // Whatever the file left running (a broker, a box, a VM) goes with it.
    const leftovers = killMarked(mark, 'SIGKILL');
    const seconds = (Date.now() - started) / 1000;
    const passed = code === 0 && !job.killedFor;
    const why = job.killedFor ?? (signal ? `ended by ${signal}` : code === 0 ? '' : `exit code ${code}`);
    printOutput(job, passed, seconds, why, leftovers);
    results.push({ file, passed, seconds, peakMb: job.peakMb, why });
    launch();
  });
}

function printOutput(job, passed, seconds, why, leftovers) {
  const text = readFileSync(job.outPath, 'utf8');
  rmSync(job.outPath, { force: true });
  for (const key of ['tests', 'pass', 'fail']) totals[key] += Number(new RegExp(`^# ${key} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  const LIMIT = 1_000_000;
  const shown = text.length > LIMIT ? `${text.slice(0, 200_000)}\n[... ${text.length - LIMIT} characters left out ...]\n${text.slice(-800_000)}` : text;
  process.stdout.write(`\n# ===== ${job.file} =====\n${shown}`);
  const left = leftovers ? `; killed ${leftovers} process(es) it left running` : '';
  process.stdout.write(`# ===== ${job.file}: ${passed ? 'passed' : `FAILED (${why})`} in ${seconds.toFixed(1)} s, peak ${Math.round(job.peakMb)} MB${left} =====\n`);
}

function launch() {
  while (running.size < concurrency && next < chosen.length && !deadlinePassed) {
    startFile(chosen[next], next);
    next++;
  }
  if (running.size === 0) finish();
}

const watch = setInterval(() => {
  const byMark = markedProcesses();
  for (const job of running) {
    const rssMb = byMark.get(job.mark)?.rssMb ?? 0;
    job.peakMb = Math.max(job.peakMb, rssMb);
    if (rssMb > fileRssMb) job.stop(`its processes held ${Math.round(rssMb)} MB, over TEST_FILE_RSS_MB=${fileRssMb}`);
  }
}, WATCH_MS);

let deadlinePassed = false;
const deadline = setTimeout(() => {
  deadlinePassed = true;
  console.error(`\nrun-tests: the whole run passed its ${runTimeoutS} s bound (TEST_RUN_TIMEOUT_S); stopping the files still running`);
  for (const job of running) job.stop(`the whole run passed its ${runTimeoutS} s bound`);
  // A file that ignores even SIGKILL's group (it cannot) must still not hold the run.
  setTimeout(() => finish(), 15_000).unref();
}, runTimeoutS * 1000);

let finished = false;
function finish() {
  if (finished) return;
  finished = true;
  clearInterval(watch);
  clearTimeout(deadline);
  for (const job of running) killMarked(job.mark, 'SIGKILL');
  rmSync(outDir, { recursive: true, force: true });
  const done = new Set(results.map((r) => r.file));
  const notRun = chosen.filter((f) => !done.has(f));
  console.log(`\n# run-tests summary: ${chosen.length} files`);
  results.forEach((r, i) => console.log(`${r.passed ? 'ok' : 'not ok'} ${i + 1} - ${r.file} (${r.seconds.toFixed(1)} s, peak ${Math.round(r.peakMb)} MB)${r.passed ? '' : ` # ${r.why}`}`));
  notRun.forEach((f, i) => console.log(`not ok ${results.length + i + 1} - ${f} # not run: the whole run passed its bound`));
  const failed = results.filter((r) => !r.passed).length + notRun.length;
  console.log(`# files ${chosen.length}, passed ${chosen.length - failed}, failed ${failed}`);
  console.log(`# tests ${totals.tests}, pass ${totals.pass}, fail ${totals.fail} (tests in files that were killed are not counted)`);
  process.exit(failed === 0 ? 0 : 1);
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    for (const job of running) {
      try {
        process.kill(-job.child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      killMarked(job.mark, 'SIGKILL');
    }
    process.exit(130);
  });
}

launch();
