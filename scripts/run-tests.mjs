#!/usr/bin/env node
// Runs every test/**/*.test.ts through node's test runner with tsx (Node 20's --test has no globs).
// Optional arguments filter the files by substring: `node scripts/run-tests.mjs zones console`.
//
// Nothing may hang the run: node's --test-timeout bounds each file (Node 20 applies it to the
// file's process as a whole and kills it), and the whole run is bounded too, its process group
// killed at the deadline, so a test that leaves a child holding the runner's pipes cannot stall CI.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';

const root = join(import.meta.dirname, '..');
const filters = process.argv.slice(2);
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.ts')) files.push(relative(root, p));
  }
})(join(root, 'test'));
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
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const fileTimeoutS = Number(process.env.TEST_FILE_TIMEOUT_S ?? 1500);
const runTimeoutS = Number(process.env.TEST_RUN_TIMEOUT_S ?? 3600);

const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, `--test-timeout=${fileTimeoutS * 1000}`, ...chosen],
  { cwd: root, stdio: 'inherit', detached: true },
);
const killGroup = (signal) => {
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* already gone */
  }
};
const deadline = setTimeout(() => {
  console.error(`\nrun-tests: the whole run passed its ${runTimeoutS} s bound; stopping it`);
  killGroup('SIGTERM');
  setTimeout(() => killGroup('SIGKILL'), 10_000).unref();
}, runTimeoutS * 1000);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => killGroup(sig));
child.on('exit', (code, signal) => {
  clearTimeout(deadline);
  // Anything a killed test file left behind in our group goes with it.
  killGroup('SIGKILL');
  process.exit(code ?? (signal ? 1 : 1));
});
