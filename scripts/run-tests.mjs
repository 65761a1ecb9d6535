#!/usr/bin/env node
// Runs every test/**/*.test.ts through node's test runner with tsx (Node 20's --test has no globs).
// Optional arguments filter the files by substring: `node scripts/run-tests.mjs zones console`.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

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
// The longest files first (the arm64 bundle, image and boot; the minute of broker flapping), so
// they overlap the many short ones instead of running alone at the end.
const SLOW_FIRST = ['test/ship/', 'test/reliability/flapping', 'test/reliability/kill-restart'];
const rank = (f) => {
  const i = SLOW_FIRST.findIndex((s) => f.startsWith(s));
  return i === -1 ? SLOW_FIRST.length : i;
};
chosen.sort((a, b) => rank(a) - rank(b));
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...chosen], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
