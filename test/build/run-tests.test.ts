import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The test runner is what keeps CI from hanging: a file that hangs, leaves a process behind that
 * escaped its process group, or eats the machine's memory is killed, reported, and the run goes on.
 */
const root = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'roombox-runner-'));

function runRunner(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'scripts/run-tests.mjs')], { cwd: root, env: { ...process.env, TEST_DIR: dir, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

/** Whether a pid is still alive (a zombie counts as gone). */
function alive(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return false;
  }
}

describe('scripts/run-tests.mjs', { timeout: 120_000 }, () => {
  after(() => rmSync(dir, { recursive: true, force: true }), { timeout: 10_000 });

  it('kills a hung file and the process it started in a session of its own, reports it, and runs the next file', async () => {
    const pidFile = join(dir, 'escaped.pid');
    writeFileSync(
      join(dir, 'a-hangs.test.ts'),
      `import { it } from 'node:test';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
it('hangs', async () => {
  const escaped = spawn('setsid', ['sleep', '600'], { stdio: 'ignore' });
  escaped.unref();
  await new Promise((r) => setTimeout(r, 300));
  writeFileSync(${JSON.stringify(pidFile)}, String(escaped.pid));
  await new Promise(() => setInterval(() => {}, 1000));
});
`,
    );
    writeFileSync(join(dir, 'b-passes.test.ts'), `import { it } from 'node:test';\nit('passes', () => {});\n`);
    const { code, out } = await runRunner({ TEST_FILE_TIMEOUT_S: '4', TEST_CONCURRENCY: '1' });
    rmSync(join(dir, 'a-hangs.test.ts'));
    rmSync(join(dir, 'b-passes.test.ts'));
    assert.equal(code, 1, out);
    assert.match(out, /not ok 1 - .*a-hangs\.test\.ts .*# passed its 4 s bound/);
    assert.match(out, /^ok 2 - .*b-passes\.test\.ts/m);
    assert.match(out, /# files 2, passed 1, failed 1/);
    assert.ok(existsSync(pidFile), out);
    // setsid's sleep left the file's process group; the environment marker still finds it.
    const pid = Number(readFileSync(pidFile, 'utf8'));
    assert.equal(alive(pid), false, `the escaped sleep ${pid} is still running`);
  });

  it('kills a file whose processes hold more memory than TEST_FILE_RSS_MB', async () => {
    writeFileSync(
      join(dir, 'grows.test.ts'),
      `import { it } from 'node:test';
it('grows', async () => {
  const held: Buffer[] = [];
  await new Promise(() => setInterval(() => held.push(Buffer.alloc(8 * 1024 * 1024, 1)), 50));
});
`,
    );
    const { code, out } = await runRunner({ TEST_FILE_RSS_MB: '400', TEST_FILE_TIMEOUT_S: '60' });
    rmSync(join(dir, 'grows.test.ts'));
    assert.equal(code, 1, out);
    assert.match(out, /not ok 1 - .*grows\.test\.ts .*# its processes held \d+ MB, over TEST_FILE_RSS_MB=400/);
  });
});
